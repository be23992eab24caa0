package org.transformers4j.tensor.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.transformers4j.tensor.Device;

/**
 * A block of a device's memory under a tensor: its device address and size, and the arena whose
 * close frees it. No host segment ever spans it: a backend gets a {@link #pointer} for its native
 * calls, a segment of length zero (every host read or write through it is refused) tied to the
 * owning arena, so that a call on memory already freed fails rather than reaching the device.
 */
public final class DeviceStorage implements Storage {
    private final Device device;
    private final long address;
    private final long byteSize;
    private final Arena owner;

    /**
     * A block from a device allocator, freed when owner closes.
     *
     * @param device the device, not the host
     * @param address the block's device address
     * @param byteSize its size in bytes
     * @param owner the arena whose close frees the block
     * @throws IllegalArgumentException when device is the host or byteSize is negative
     */
    public DeviceStorage(Device device, long address, long byteSize, Arena owner) {
        if (device.equals(Device.CPU)) {
            throw new IllegalArgumentException("device storage cannot be on the host");
        }
        if (byteSize < 0) {
            throw new IllegalArgumentException("byteSize must be >= 0, got " + byteSize);
        }
        this.device = device;
        this.address = address;
        this.byteSize = byteSize;
        this.owner = owner;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public boolean isAlive() {
        return owner.scope().isAlive();
    }

    /** {@return the block's size in bytes} */
    public long byteSize() {
        return byteSize;
    }

    /**
     * {@return the device address offset bytes into the block, as a value (for address arithmetic
     * such as overlap checks; never to read through)}
     *
     * @param offset bytes from the block's start, within it
     */
    public long address(long offset) {
        if (offset < 0 || offset > byteSize) {
            throw new IndexOutOfBoundsException("offset " + offset + " outside a device block of " + byteSize
                    + " bytes");
        }
        return address + offset;
    }

    /**
     * The device address offset bytes into the block, for a native call of this device's backend:
     * a zero-length segment in the owning arena's scope, which the call keeps open while it runs.
     *
     * @param offset bytes from the block's start, within it
     * @return the pointer
     * @throws IllegalStateException when the owning arena is closed
     */
    public MemorySegment pointer(long offset) {
        if (!isAlive()) {
            throw new IllegalStateException("device memory on " + device + " belongs to a closed arena");
        }
        return MemorySegment.ofAddress(address(offset)).reinterpret(0, owner, null);
    }

    @Override
    public String toString() {
        return "DeviceStorage(" + byteSize + " bytes on " + device + ")";
    }
}
