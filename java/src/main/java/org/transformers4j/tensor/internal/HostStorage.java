package org.transformers4j.tensor.internal;

import java.lang.foreign.MemorySegment;
import org.transformers4j.tensor.Device;

/**
 * Host memory under a tensor: a block of an arena, a slice of a pooled slab or a checkpoint's
 * bytes; its lifetime is the segment's.
 *
 * @param memory the whole block the tensor's views index into
 */
public record HostStorage(MemorySegment memory) implements Storage {

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public boolean isAlive() {
        return memory.scope().isAlive();
    }

    @Override
    public long byteSize() {
        return memory.byteSize();
    }
}
