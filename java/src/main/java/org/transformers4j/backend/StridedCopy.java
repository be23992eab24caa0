package org.transformers4j.backend;

import java.lang.foreign.MemorySegment;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.internal.TensorMemory;

/** Copies between strided views of host memory, one contiguous run at a time. */
public final class StridedCopy {
    private StridedCopy() {
    }

    /**
     * dst = src for views of one shape; a run is the largest block of trailing dimensions that both
     * lay out row-major without gaps, and runs are found by stepping the outer indices. Nothing is
     * checked here: the caller has checked the shapes, dtypes and that both are in host memory.
     *
     * @param src the view read
     * @param dst the view written, of src's shape and dtype, not overlapping it
     */
    public static void host(Tensor src, Tensor dst) {
        int rank = src.rank(), inner = innerContiguousDims(src, dst);
        long runElements = 1;
        for (int d = rank - inner; d < rank; d++) {
            runElements *= src.dim(d);
        }
        long elementBytes = src.dtype().byteSize(), runBytes = runElements * elementBytes;
        MemorySegment from = TensorMemory.host(src), to = TensorMemory.host(dst);
        int outer = rank - inner;
        long[] idx = new long[outer];
        long runs = 1;
        for (int d = 0; d < outer; d++) {
            runs *= src.dim(d);
        }
        for (long r = 0; r < runs; r++) {
            long so = 0, d0 = 0;
            for (int d = 0; d < outer; d++) {
                so += idx[d] * src.stride(d);
                d0 += idx[d] * dst.stride(d);
            }
            MemorySegment.copy(from, so * elementBytes, to, d0 * elementBytes, runBytes);
            for (int d = outer - 1; d >= 0; d--) {
                if (++idx[d] < src.dim(d)) {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    /** How many trailing dimensions both tensors lay out row-major without gaps. */
    private static int innerContiguousDims(Tensor a, Tensor b) {
        int n = 0;
        long expected = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.dim(d) > 1 && (a.stride(d) != expected || b.stride(d) != expected)) {
                break;
            }
            expected *= a.dim(d);
            n++;
        }
        return n;
    }
}
