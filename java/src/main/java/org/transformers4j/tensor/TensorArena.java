package org.transformers4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.transformers4j.tensor.internal.DeviceStorage;
import org.transformers4j.tensor.internal.HostStorage;
import org.transformers4j.tensor.internal.Storage;

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
    private final Blocks blocks;
    private final DType floatType;

    private TensorArena(Arena arena, Blocks blocks, DType floatType) {
        this.arena = arena;
        this.blocks = blocks;
        this.floatType = floatType;
    }

    /**
     * Where an arena's memory comes from, which decides the storage of its tensors: host memory of
     * the arena itself, slabs of the process-wide pool, or a device's allocator.
     */
    private sealed interface Blocks permits HostBlocks, PooledBlocks, DeviceBlocks {
        Device device();

        /** A new block, zero-filled where cheap (fresh host memory); see {@link #zero}. */
        Storage allocate(long bytes);

        /** Sets a block's first bytes to zero, unless it came zero-filled. */
        void zero(Storage block, long bytes);

        /** Frees or returns the blocks (after the arena's scope has closed). */
        void release();
    }

    /** Host memory of the arena's own scope: zero-filled on allocation, freed on close. */
    private record HostBlocks(Arena arena) implements Blocks {
        @Override
        public Device device() {
            return Device.CPU;
        }

        @Override
        public Storage allocate(long bytes) {
            return new HostStorage(arena.allocate(bytes, ALIGNMENT));
        }

        @Override
        public void zero(Storage block, long bytes) {
            // arena memory starts zeroed
        }

        @Override
        public void release() {
        }
    }

    /** Slices of the pool's slabs, seen through the arena's scope; contents left by earlier users. */
    private record PooledBlocks(Arena arena, SlabPool.Lease lease) implements Blocks {
        @Override
        public Device device() {
            return Device.CPU;
        }

        @Override
        public Storage allocate(long bytes) {
            // the arena's own checks (closed, another thread's) before a slab leaves the pool: after, it
            // would stay leased to a lease that is never released again
            MemorySegment.NULL.reinterpret(arena, null);
            return new HostStorage(lease.allocate(bytes, ALIGNMENT).reinterpret(arena, null));
        }

        @Override
        public void zero(Storage block, long bytes) {
            ((HostStorage) block).memory().asSlice(0, bytes).fill((byte) 0);
        }

        @Override
        public void release() {
            lease.release();
        }
    }

    /** Blocks of a device allocator, each freed when the arena closes; never readable on the host. */
    private static final class DeviceBlocks implements Blocks {
        private final Arena arena;
        private final DeviceAllocator allocator;
        private final List<long[]> held = new ArrayList<>(); // address, bytes
        private boolean released; // under held's lock

        DeviceBlocks(Arena arena, DeviceAllocator allocator) {
            this.arena = arena;
            this.allocator = allocator;
        }

        @Override
        public Device device() {
            return allocator.device();
        }

        @Override
        public Storage allocate(long bytes) {
            if (!arena.scope().isAlive()) {
                throw new IllegalStateException("arena on " + device() + " is closed");
            }
            long address = allocator.allocate(bytes);
            synchronized (held) {
                if (released) { // closed by another thread since the check above: nothing would free it
                    allocator.free(address, bytes);
                    throw new IllegalStateException("arena on " + device() + " is closed");
                }
                held.add(new long[] {address, bytes});
            }
            return new DeviceStorage(allocator.device(), address, bytes, arena);
        }

        @Override
        public void zero(Storage block, long bytes) {
            allocator.zero(((DeviceStorage) block).address(0), bytes);
        }

        @Override
        public void release() {
            synchronized (held) {
                released = true;
                for (long[] b : held) {
                    allocator.free(b[0], b[1]);
                }
                held.clear();
            }
        }
    }

    private TensorArena(Arena arena) {
        this(arena, new HostBlocks(arena), DType.F32);
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
        return new TensorArena(scope, new DeviceBlocks(scope, allocator), floatType);
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
        Arena scope = Arena.ofConfined();
        return new TensorArena(scope, new PooledBlocks(scope, SlabPool.lease()), DType.F32);
    }

    /** {@return a host-memory arena usable from any thread} */
    public static TensorArena shared() {
        return new TensorArena(Arena.ofShared());
    }

    /** {@return a host-memory arena usable only from the calling thread (cheaper to close)} */
    public static TensorArena confined() {
        return new TensorArena(Arena.ofConfined());
    }

    /** {@return the device this arena allocates on} */
    public Device device() {
        return blocks.device();
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
        requireOpen();
        Shape shape = Shape.of(dims);
        long bytes = Math.multiplyExact(shape.elements(), (long) dtype.byteSize());
        Storage block = blocks.allocate(Math.max(bytes, 1));
        blocks.zero(block, bytes);
        return new Tensor(block, 0, shape, shape.contiguousStrides(), dtype);
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
        requireOpen();
        Shape shape = Shape.of(dims);
        long bytes = Math.max(Math.multiplyExact(shape.elements(), (long) dtype.byteSize()), 1);
        return new Tensor(blocks.allocate(bytes), 0, shape, shape.contiguousStrides(), dtype);
    }

    private void requireOpen() {
        if (!isOpen()) {
            throw new IllegalStateException("tensor arena on " + device() + " is closed: nothing can be allocated in it");
        }
    }

    private void requireHost(String what) {
        if (blocks instanceof DeviceBlocks) {
            throw new IllegalArgumentException(what + " needs a host arena; this one is on " + device()
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
        java.util.Objects.requireNonNull(data, "data");
        Tensor t = allocate(DType.F32, dims);
        if (t.shape().elements() != data.length) {
            throw new IllegalArgumentException("data has " + data.length + " values, shape "
                    + t.shape() + " needs " + t.shape().elements());
        }
        MemorySegment.copy(data, 0, t.hostSpan(), ValueLayout.JAVA_FLOAT, 0, data.length);
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
        java.util.Objects.requireNonNull(data, "data");
        Tensor t = allocate(DType.I64, dims);
        if (t.shape().elements() != data.length) {
            throw new IllegalArgumentException("data has " + data.length + " values, shape "
                    + t.shape() + " needs " + t.shape().elements());
        }
        MemorySegment.copy(data, 0, t.hostSpan(), ValueLayout.JAVA_LONG, 0, data.length);
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
        return new Tensor(new HostStorage(segment), 0, shape, shape.contiguousStrides(), dtype);
    }

    /** Frees every tensor allocated here (a pooled arena returns its blocks to the pool). */
    @Override
    public void close() {
        arena.close();
        blocks.release();
    }
}
