package org.transformers4j.backend;

import java.util.function.BiConsumer;
import org.transformers4j.tensor.Tensor;

/** Splits a copy between strided views into copies of their contiguous runs. */
final class StridedCopy {
    private StridedCopy() {
    }

    /**
     * Calls copy(srcRun, dstRun) for each run of the outer dimensions; a run is the largest block of
     * trailing dimensions that both tensors hold contiguously.
     */
    static void rows(Tensor src, Tensor dst, BiConsumer<Tensor, Tensor> copy) {
        int inner = innerContiguousDims(src, dst);
        if (inner == src.rank()) {
            copy.accept(src, dst);
            return;
        }
        runs(src, dst, 0, inner, copy);
    }

    private static void runs(Tensor src, Tensor dst, int dim, int inner, BiConsumer<Tensor, Tensor> copy) {
        if (dim >= src.rank() - inner) {
            copy.accept(src, dst);
            return;
        }
        for (long i = 0; i < src.dim(dim); i++) {
            runs(src.narrow(dim, i, 1), dst.narrow(dim, i, 1), dim + 1, inner, copy);
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
