package org.transformers4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * An n-dimensional view over memory owned by a {@link TensorArena}: a shape,
 * strides in elements (the last dimension of a view made here is always
 * contiguous), an element offset, a dtype and a device. Views share memory
 * with the tensor they come from.
 */
public final class Tensor {
    private final MemorySegment memory;
    private final long offset;
    private final Shape shape;
    private final long[] strides;
    private final DType dtype;
    private final Device device;

    Tensor(MemorySegment memory, long offset, Shape shape, long[] strides, DType dtype, Device device) {
        this.memory = memory;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
        this.dtype = dtype;
        this.device = device;
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
        return device;
    }

    /**
     * Stride of dimension i in elements; negative i counts from the end.
     *
     * @param i the dimension
     * @return the stride
     */
    public long stride(int i) {
        return strides[i < 0 ? strides.length + i : i];
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
        return memory.scope().isAlive();
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

    /**
     * The host memory from this view's first element to its last, for backends and loaders.
     * Callers outside a backend should use the element accessors. Refused for a tensor on a GPU.
     *
     * @return the host memory of this view
     */
    public MemorySegment segment() {
        requireHost();
        return span();
    }

    /**
     * The memory span of this view wherever it lives: for a GPU tensor a segment whose address is
     * a device address, which only a backend of that device may hand to its native calls.
     *
     * @return the memory of this view, on its device
     */
    public MemorySegment deviceSegment() {
        return span();
    }

    private MemorySegment span() {
        long n = shape.elements();
        if (n == 0) {
            return memory.asSlice(offset * dtype.byteSize(), 0);
        }
        long last = 0;
        for (int i = 0; i < strides.length; i++) {
            last += (shape.dim(i) - 1) * strides[i];
        }
        return memory.asSlice(offset * dtype.byteSize(), (last + 1) * dtype.byteSize());
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
        return new Tensor(memory, offset, s, s.contiguousStrides(), dtype, device);
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
        if (start < 0 || length < 0 || start + length > size) {
            throw new IllegalArgumentException("narrow(" + dim + ", " + start + ", " + length
                    + ") is outside dimension of size " + size);
        }
        int d = dim < 0 ? rank() + dim : dim;
        long[] dims = shape.toArray();
        dims[d] = length;
        return new Tensor(memory, offset + start * strides[d], Shape.of(dims), strides.clone(), dtype, device);
    }

    /**
     * {@return the view with dimensions a and b swapped (no copy): a head-major cache seen position-major}
     *
     * @param a a dimension
     * @param b another dimension
     */
    public Tensor transpose(int a, int b) {
        int da = a < 0 ? rank() + a : a, db = b < 0 ? rank() + b : b;
        long[] dims = shape.toArray(), st = strides.clone();
        long d = dims[da];
        dims[da] = dims[db];
        dims[db] = d;
        long t = st[da];
        st[da] = st[db];
        st[db] = t;
        return new Tensor(memory, offset, Shape.of(dims), st, dtype, device);
    }

    /**
     * {@return element at the given indices as a float (F32 only)}
     *
     * @param index one index per dimension
     */
    public float getFloat(long... index) {
        requireType(DType.F32);
        return memory.getAtIndex(ValueLayout.JAVA_FLOAT, elementIndex(index));
    }

    /**
     * Sets the element at the given indices (F32 only).
     *
     * @param value the new value
     * @param index one index per dimension
     */
    public void setFloat(float value, long... index) {
        requireType(DType.F32);
        memory.setAtIndex(ValueLayout.JAVA_FLOAT, elementIndex(index), value);
    }

    /**
     * {@return element at the given indices as a long (I64 only)}
     *
     * @param index one index per dimension
     */
    public long getLong(long... index) {
        requireType(DType.I64);
        return memory.getAtIndex(ValueLayout.JAVA_LONG, elementIndex(index));
    }

    /** {@return all elements in row-major order (F32 only)} */
    public float[] toFloatArray() {
        requireType(DType.F32);
        requireAlive();
        requireHost();
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
        requireHost();
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
        requireHost();
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

    private void requireHost() {
        if (!device.equals(Device.CPU)) {
            throw new IllegalArgumentException("tensor " + dtype + shape + " is on " + device
                    + ": copy it to the host first (Backend.toHost)");
        }
    }

    private void requireAlive() {
        if (!isAlive()) {
            throw new IllegalArgumentException("tensor " + dtype + shape + " belongs to a closed arena");
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + shape + " on " + device + ")";
    }
}
