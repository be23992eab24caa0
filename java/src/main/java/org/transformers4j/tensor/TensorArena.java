package org.transformers4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Owns the memory of the tensors it allocates; closing it frees them all at
 * once, after which any use of those tensors fails with an
 * {@link IllegalArgumentException} naming the tensor. Tensors of a shared
 * arena may be used from any thread; a confined or pooled arena's only from
 * the thread that made it.
 */
public final class TensorArena implements AutoCloseable {
    private static final long ALIGNMENT = 64;
    private final Arena arena;
    private final Device device;
    private final SlabPool.Lease lease; // non-null for pooled arenas
    private final DeviceAllocator allocator; // non-null for device arenas
    private final DType floatType;
    private final List<long[]> blocks = new ArrayList<>(); // device blocks: address, bytes

    private TensorArena(Arena arena, Device device, SlabPool.Lease lease, DeviceAllocator allocator, DType floatType) {
        this.arena = arena;
        this.device = device;
        this.lease = lease;
        this.allocator = allocator;
        this.floatType = floatType;
    }

    private TensorArena(Arena arena, Device device) {
        this(arena, device, null, null, DType.F32);
    }

    /**
     * An arena on a device other than the host, its memory from the allocator (a backend's), usable
     * from any thread. Its tensors' elements cannot be read on the host: a backend copies them.
     *
     * @param allocator the backend's device memory
     * @return the arena
     */
    public static TensorArena onDevice(DeviceAllocator allocator) {
        return onDevice(allocator, DType.F32);
    }

    /**
     * As {@link #onDevice(DeviceAllocator)}, with floatType (F32, F16 or BF16) as the type of the
     * tensors made without a dtype ({@link #empty(long...)}, {@link #zeros(long...)}): a model run
     * on such a backend computes in that type without naming it.
     *
     * @param allocator the backend's device memory
     * @param floatType the type of tensors made without a dtype
     * @return the arena
     */
    public static TensorArena onDevice(DeviceAllocator allocator, DType floatType) {
        return onDevice(allocator, floatType, Arena.ofShared());
    }

    /**
     * A scratch arena on a device, as {@link #onDevice(DeviceAllocator, DType)} but confined to the
     * calling thread (cheaper to close, as {@link #pooled()} is on the host).
     *
     * @param allocator the backend's device memory
     * @param floatType the type of tensors made without a dtype
     * @return the arena
     */
    public static TensorArena scratchOnDevice(DeviceAllocator allocator, DType floatType) {
        return onDevice(allocator, floatType, Arena.ofConfined());
    }

    private static TensorArena onDevice(DeviceAllocator allocator, DType floatType, Arena scope) {
        if (floatType != DType.F32 && floatType != DType.F16 && floatType != DType.BF16) {
            scope.close();
            throw new IllegalArgumentException("float type must be F32, F16 or BF16, got " + floatType);
        }
        return new TensorArena(scope, allocator.device(), null, allocator, floatType);
    }

    /** {@return the type of tensors made without a dtype: F32 except in half-precision device arenas} */
    public DType floatType() {
        return floatType;
    }

    /**
     * A scratch arena for intermediate results, confined to the calling thread: its memory comes
     * from a process-wide pool of large blocks and goes back to the pool on close, so repeated
     * forward passes neither map fresh pages nor zero them ({@link #empty} leaves contents
     * undefined here). Its tensors are unusable after close, as with any arena.
     *
     * @return the arena
     */
    public static TensorArena pooled() {
        return new TensorArena(Arena.ofConfined(), Device.CPU, SlabPool.lease(), null, DType.F32);
    }

    /** {@return a host-memory arena usable from any thread} */
    public static TensorArena shared() {
        return new TensorArena(Arena.ofShared(), Device.CPU);
    }

    /** {@return a host-memory arena usable only from the calling thread (cheaper to close)} */
    public static TensorArena confined() {
        return new TensorArena(Arena.ofConfined(), Device.CPU);
    }

    /** {@return the device this arena allocates on} */
    public Device device() {
        return device;
    }

    /** Frees the idle blocks of the pool that pooled arenas draw from. */
    public static void trimPool() {
        SlabPool.trim();
    }

    /** {@return bytes of native memory the pool of scratch arenas holds, in use or idle} */
    public static long poolBytes() {
        return SlabPool.heldBytes();
    }

    /** {@return bytes of the pool's idle blocks: what {@link #trimPool()} would free now} */
    public static long idlePoolBytes() {
        return SlabPool.idleBytes();
    }

    /** {@return whether the arena is still open} */
    public boolean isOpen() {
        return arena.scope().isAlive();
    }

    /**
     * {@return a new zero-filled contiguous tensor}
     *
     * @param dtype the element type
     * @param dims the shape
     */
    public Tensor allocate(DType dtype, long... dims) {
        Tensor t = empty(dtype, dims);
        if (allocator != null) {
            MemorySegment s = t.deviceSegment();
            allocator.zero(s.address(), s.byteSize());
        } else if (lease != null) {
            t.segment().fill((byte) 0);
        }
        return t;
    }

    /**
     * A new contiguous tensor for an operation to overwrite: zero-filled in ordinary arenas,
     * undefined in pooled ones.
     *
     * @param dtype the element type
     * @param dims the shape
     * @return the tensor
     */
    public Tensor empty(DType dtype, long... dims) {
        Shape shape = Shape.of(dims);
        long bytes = Math.max(Math.multiplyExact(shape.elements(), (long) dtype.byteSize()), 1);
        if (allocator != null) {
            return new Tensor(deviceBlock(bytes), 0, shape, shape.contiguousStrides(), dtype, device);
        }
        MemorySegment seg = lease == null ? arena.allocate(bytes, ALIGNMENT)
                : lease.allocate(bytes, ALIGNMENT).reinterpret(arena, null);
        return new Tensor(seg, 0, shape, shape.contiguousStrides(), dtype, device);
    }

    private MemorySegment deviceBlock(long bytes) {
        if (!isOpen()) {
            throw new IllegalStateException("arena on " + device + " is closed");
        }
        long address = allocator.allocate(bytes);
        synchronized (blocks) {
            blocks.add(new long[] {address, bytes});
        }
        return MemorySegment.ofAddress(address).reinterpret(bytes, arena, null);
    }

    private void requireHost(String what) {
        if (allocator != null) {
            throw new IllegalArgumentException(what + " needs a host arena; this one is on " + device
                    + " (a backend's toDevice copies host tensors there)");
        }
    }

    /**
     * {@return a new tensor of the arena's float type for an operation to overwrite (see {@link #empty(DType, long...)})}
     *
     * @param dims the shape
     */
    public Tensor empty(long... dims) {
        return empty(floatType, dims);
    }

    /**
     * {@return a new tensor of the arena's float type, zero-filled}
     *
     * @param dims the shape
     */
    public Tensor zeros(long... dims) {
        return allocate(floatType, dims);
    }

    /**
     * {@return a new float32 tensor holding a copy of data, with the given shape}
     *
     * @param data the values, row-major
     * @param dims the shape, of as many elements
     */
    public Tensor of(float[] data, long... dims) {
        requireHost("of(float[])");
        Tensor t = allocate(DType.F32, dims);
        if (t.shape().elements() != data.length) {
            throw new IllegalArgumentException("data has " + data.length + " values, shape "
                    + t.shape() + " needs " + t.shape().elements());
        }
        MemorySegment.copy(data, 0, t.segment(), ValueLayout.JAVA_FLOAT, 0, data.length);
        return t;
    }

    /**
     * {@return a new int64 tensor holding a copy of data, with the given shape}
     *
     * @param data the values, row-major
     * @param dims the shape, of as many elements
     */
    public Tensor ofLongs(long[] data, long... dims) {
        requireHost("ofLongs");
        Tensor t = allocate(DType.I64, dims);
        if (t.shape().elements() != data.length) {
            throw new IllegalArgumentException("data has " + data.length + " values, shape "
                    + t.shape() + " needs " + t.shape().elements());
        }
        MemorySegment.copy(data, 0, t.segment(), ValueLayout.JAVA_LONG, 0, data.length);
        return t;
    }

    /**
     * Views existing memory as a contiguous tensor without copying (for example a
     * memory-mapped checkpoint). The memory's lifetime is the segment's, not this arena's.
     *
     * @param segment the memory
     * @param dtype the element type
     * @param dims the shape, whose elements fill the segment
     * @return the tensor
     */
    public Tensor wrap(MemorySegment segment, DType dtype, long... dims) {
        requireHost("wrap");
        Shape shape = Shape.of(dims);
        long bytes = Math.multiplyExact(shape.elements(), (long) dtype.byteSize());
        if (segment.byteSize() < bytes) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes is too small for "
                    + dtype + shape + " (" + bytes + " bytes)");
        }
        if (segment.address() % dtype.byteSize() != 0) {
            throw new IllegalArgumentException("segment is not aligned to " + dtype.byteSize() + " bytes");
        }
        return new Tensor(segment, 0, shape, shape.contiguousStrides(), dtype, device);
    }

    /** Frees every tensor allocated here (a pooled arena returns its blocks to the pool). */
    @Override
    public void close() {
        arena.close();
        if (lease != null) {
            lease.release();
        }
        if (allocator != null) {
            synchronized (blocks) {
                for (long[] b : blocks) {
                    allocator.free(b[0], b[1]);
                }
                blocks.clear();
            }
        }
    }
}
