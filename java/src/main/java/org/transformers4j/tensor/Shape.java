package org.transformers4j.tensor;

import java.util.Arrays;

/** An immutable list of dimension sizes, each at least zero. */
public final class Shape {
    private final long[] dims;

    private Shape(long[] dims) {
        this.dims = dims;
    }

    /**
     * {@return a shape of the given sizes; throws if any is negative}
     *
     * @param dims the sizes
     */
    public static Shape of(long... dims) {
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("dimension " + i + " is negative: " + Arrays.toString(dims));
            }
        }
        return new Shape(dims.clone());
    }

    /** {@return number of dimensions} */
    public int rank() {
        return dims.length;
    }

    /**
     * {@return size of dimension i; negative i counts from the end}
     *
     * @param i the dimension
     */
    public long dim(int i) {
        int j = i < 0 ? dims.length + i : i;
        if (j < 0 || j >= dims.length) {
            throw new IllegalArgumentException("dimension " + i + " out of range for rank " + dims.length);
        }
        return dims[j];
    }

    /**
     * Total number of elements (1 for rank 0); an ArithmeticException naming the shape on overflow.
     *
     * @return the number of elements
     */
    public long elements() {
        long n = 1;
        for (long d : dims) {
            if (d == 0) {
                return 0;
            }
            if (n > Long.MAX_VALUE / d) { // an ArithmeticException, which readers of files turn into their own
                throw new ArithmeticException("shape " + Arrays.toString(dims) + " has more elements than a long"
                        + " counts");
            }
            n *= d;
        }
        return n;
    }

    /** {@return a copy of the sizes} */
    public long[] toArray() {
        return dims.clone();
    }

    /**
     * Row-major strides (in elements) of a contiguous tensor of this shape.
     *
     * @return the strides
     */
    public long[] contiguousStrides() {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(dims[i], 1);
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape other && Arrays.equals(dims, other.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
