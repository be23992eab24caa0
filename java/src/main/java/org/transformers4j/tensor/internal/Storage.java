package org.transformers4j.tensor.internal;

import org.transformers4j.tensor.Device;

/**
 * The memory under a tensor, by kind: {@link HostStorage} the JVM may read, or {@link DeviceStorage}
 * a device's memory, which nothing on the host reads. A tensor's device is its storage's, so a
 * tensor cannot claim to be on the host while its memory is on a GPU (or the reverse).
 */
public sealed interface Storage permits HostStorage, DeviceStorage {

    /** {@return the device holding the memory} */
    Device device();

    /** {@return whether the arena that owns the memory is still open} */
    boolean isAlive();

    /** {@return the bytes of the block, which every view of it lies within} */
    long byteSize();
}
