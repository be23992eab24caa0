package org.transformers4j.tensor;

/**
 * Memory on a device other than the host, for {@link TensorArena#onDevice}: a backend supplies
 * one. Addresses are device addresses, never dereferenced on the host.
 */
public interface DeviceAllocator {

    /** {@return the device the memory is on} */
    Device device();

    /**
     * The address of a new block of at least the given bytes (64-byte aligned or better); throws
     * an unchecked exception naming the size and what is free when the device has not enough.
     *
     * @param bytes the size
     * @return the block's device address
     */
    long allocate(long bytes);

    /**
     * Returns a block from {@link #allocate}.
     *
     * @param address the block's address
     * @param bytes its size
     */
    void free(long address, long bytes);

    /**
     * Sets bytes to zero from address.
     *
     * @param address the first byte
     * @param bytes how many
     */
    void zero(long address, long bytes);
}
