package org.transformers4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.transformers4j.tensor.internal.HostStorage;
import org.transformers4j.tensor.internal.Storage;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * An n-dimensional view over memory owned by a {@link TensorArena}: a shape,
 * strides in elements (the last dimension of a view made here is always
 * contiguous), an element offset, a dtype and a device. Views share memory
 * with the tensor they come from.
 *
 * <p>The memory itself is not part of the API: host tensors are read and written through the
 * element accessors, device tensors through a backend ({@code toHost}, {@code toDevice}). The
 * library's backends and loaders reach it through an unexported package, to which this class
 * registers its access when it is initialised.
 */
public final class Tensor {
    static {
        TensorMemory.register(new TensorMemory.Access() {
            @Override
            public Storage storage(Tensor t) {
                return t.storage;
            }

            @Override
            public long byteOffset(Tensor t) {
                return t.offset * t.dtype.byteSize();
            }

            @Override
            public long byteSpan(Tensor t) {
                return t.byteSpan();
            }
        });
    }

    private final Storage storage;
    private final long offset;
    private final Shape shape;
    private final long[] strides;
    private final DType dtype;

    Tensor(Storage storage, long offset, Shape shape, long[] strides, DType dtype) {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
        this.dtype = dtype;
        checkWithinStorage();
    }

    /**
     * Every view lies within its block: the kernels trust a tensor's shape, strides and offset,
     * so a view reaching past its memory would let native code read or write outside it.
     */
    private void checkWithinStorage() {
        long span = byteSpan();
        if (span == 0 && offset >= 0) {
            return; // no elements: nothing of the block is reached
        }
        long start = offset < 0 || offset > Long.MAX_VALUE / dtype.byteSize() ? -1 : offset * dtype.byteSize();
        if (start < 0 || span < 0 || span > storage.byteSize() - start) {
            throw new IllegalArgumentException("a view of shape " + shape + ", strides " + Arrays.toString(strides)
                    + " at element " + offset + " lies outside its " + storage.byteSize() + "-byte block");
        }
    }

    /**
     * {@return the shape}
     */
    public Shape shape() {
        return shape;
    }

    /**
     * {@return the number of dimensions}
     */
    public int rank() {
        return shape.rank();
    }

    /**
     * {@return size of dimension i; negative i counts from the end}
     *
     * @param i the dimension
     */
    public long dim(int i) {
        return shape.dim(i);
    }

    /**
     * {@return the element type}
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * {@return the device whose memory holds the elements}
     */
    public Device device() {
        return storage.device();
    }

    /**
     * Stride of dimension i in elements; negative i counts from the end.
     *
     * @param i the dimension
     * @return the stride
     */
    public long stride(int i) {
        int j = i < 0 ? strides.length + i : i;
        if (j < 0 || j >= strides.length) {
            throw new IllegalArgumentException("dimension " + i + " out of range for rank " + strides.length);
        }
        return strides[j];
    }

    /** {@return a copy of the strides in elements} */
    public long[] strides() {
        return strides.clone();
    }

    /**
     * Offset of the first element from the start of the underlying memory, in elements.
     *
     * @return the offset
     */
    public long offset() {
        return offset;
    }

    /** {@return whether the owning arena is still open} */
    public boolean isAlive() {
        return storage.isAlive();
    }

    /** {@return whether the elements are laid out row-major without gaps} */
    public boolean isContiguous() {
        if (shape.elements() <= 1) {
            return true;
        }
        long[] want = shape.contiguousStrides();
        for (int i = 0; i < strides.length; i++) {
            if (shape.dim(i) > 1 && strides[i] != want[i]) {
                return false;
            }
        }
        return true;
    }

    /** Bytes from the first element to the end of the last (0 for no elements). */
    private long byteSpan() {
        if (shape.elements() == 0) {
            return 0;
        }
        try {
            long last = 0;
            for (int i = 0; i < strides.length; i++) {
                last = Math.addExact(last, Math.multiplyExact(shape.dim(i) - 1, strides[i]));
            }
            return Math.multiplyExact(last + 1, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            return -1; // more than a long counts: outside any block
        }
    }

    /** A view of the whole of this tensor's host memory (the storage's block, not just this view). */
    MemorySegment hostMemory() {
        if (!(storage instanceof HostStorage h)) {
            throw new IllegalArgumentException("tensor " + dtype + shape + " is on " + device()
                    + ": copy it to the host first (Backend.toHost)");
        }
        return h.memory();
    }

    /** The host memory of this view, from its first element to its last (refused on a device). */
    MemorySegment hostSpan() {
        return hostMemory().asSlice(offset * dtype.byteSize(), byteSpan());
    }

    /**
     * {@return the same memory with another shape of the same element count (contiguous tensors only)}
     *
     * @param dims the new shape
     */
    public Tensor reshape(long... dims) {
        Shape s = Shape.of(dims);
        if (s.elements() != shape.elements()) {
            throw new IllegalArgumentException("cannot reshape " + shape + " to " + s + ": element counts differ");
        }
        if (!isContiguous()) {
            throw new IllegalArgumentException("cannot reshape a non-contiguous view of shape " + shape);
        }
        return new Tensor(storage, offset, s, s.contiguousStrides(), dtype);
    }

    /**
     * {@return the view of indices [start, start + length) along dimension dim}
     *
     * @param dim the dimension
     * @param start the first index kept
     * @param length how many indices are kept
     */
    public Tensor narrow(int dim, long start, long length) {
        long size = shape.dim(dim);
        if (start < 0 || length < 0 || start > size || length > size - start) {
            throw new IllegalArgumentException("narrow(" + dim + ", " + start + ", " + length
                    + ") is outside dimension of size " + size);
        }
        int d = dim < 0 ? rank() + dim : dim;
        long[] dims = shape.toArray();
        dims[d] = length;
        return new Tensor(storage, offset + start * strides[d], Shape.of(dims), strides.clone(), dtype);
    }

    /**
     * {@return the view with dimensions a and b swapped (no copy): a head-major cache seen position-major}
     *
     * @param a a dimension
     * @param b another dimension
     */
    public Tensor transpose(int a, int b) {
        int da = a < 0 ? rank() + a : a, db = b < 0 ? rank() + b : b;
        if (da < 0 || da >= rank() || db < 0 || db >= rank()) {
            throw new IllegalArgumentException("transpose(" + a + ", " + b + ") of a tensor of rank " + rank());
        }
        long[] dims = shape.toArray(), st = strides.clone();
        long d = dims[da];
        dims[da] = dims[db];
        dims[db] = d;
        long t = st[da];
        st[da] = st[db];
        st[db] = t;
        return new Tensor(storage, offset, Shape.of(dims), st, dtype);
    }

    /**
     * {@return element at the given indices as a float (F32 only)}
     *
     * @param index one index per dimension
     */
    public float getFloat(long... index) {
        requireType(DType.F32);
        long i = elementIndex(index);
        return hostMemory().getAtIndex(ValueLayout.JAVA_FLOAT, i);
    }

    /**
     * Sets the element at the given indices (F32 only).
     *
     * @param value the new value
     * @param index one index per dimension
     */
    public void setFloat(float value, long... index) {
        requireType(DType.F32);
        long i = elementIndex(index);
        hostMemory().setAtIndex(ValueLayout.JAVA_FLOAT, i, value);
    }

    /**
     * {@return element at the given indices as a long (I64 only)}
     *
     * @param index one index per dimension
     */
    public long getLong(long... index) {
        requireType(DType.I64);
        long i = elementIndex(index);
        return hostMemory().getAtIndex(ValueLayout.JAVA_LONG, i);
    }

    /** {@return all elements in row-major order (F32 only)} */
    public float[] toFloatArray() {
        requireType(DType.F32);
        requireAlive();
        MemorySegment memory = hostMemory();
        float[] out = new float[Math.toIntExact(shape.elements())];
        if (isContiguous()) {
            MemorySegment.copy(memory, ValueLayout.JAVA_FLOAT, offset * 4, out, 0, out.length);
            return out;
        }
        long[] idx = new long[rank()];
        for (int i = 0; i < out.length; i++) {
            out[i] = memory.getAtIndex(ValueLayout.JAVA_FLOAT, flat(idx));
            increment(idx);
        }
        return out;
    }

    /**
     * Overwrites all elements from data in row-major order (F32 only).
     *
     * @param data as many values as the tensor has elements
     */
    public void copyFrom(float[] data) {
        requireType(DType.F32);
        requireAlive();
        MemorySegment memory = hostMemory();
        if (data.length != shape.elements()) {
            throw new IllegalArgumentException("data has " + data.length + " values, tensor " + shape + " has "
                    + shape.elements());
        }
        long[] idx = new long[rank()];
        for (float v : data) {
            memory.setAtIndex(ValueLayout.JAVA_FLOAT, flat(idx), v);
            increment(idx);
        }
    }

    private long elementIndex(long[] index) {
        requireAlive();
        hostMemory();
        if (index.length != rank()) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " has rank " + index.length
                    + ", tensor has rank " + rank());
        }
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape.dim(i)) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " outside shape " + shape);
            }
        }
        return flat(index);
    }

    private long flat(long[] index) {
        long e = offset;
        for (int i = 0; i < index.length; i++) {
            e += index[i] * strides[i];
        }
        return e;
    }

    private void increment(long[] idx) {
        for (int i = idx.length - 1; i >= 0; i--) {
            if (++idx[i] < shape.dim(i)) {
                return;
            }
            idx[i] = 0;
        }
    }

    void requireType(DType want) {
        if (dtype != want) {
            throw new IllegalArgumentException("tensor is " + dtype + ", this needs " + want);
        }
    }

    private void requireAlive() {
        if (!isAlive()) {
            throw new IllegalArgumentException("tensor " + dtype + shape + " belongs to a closed arena");
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + shape + " on " + device() + ")";
    }
}
