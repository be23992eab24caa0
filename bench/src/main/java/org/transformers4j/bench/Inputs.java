package org.transformers4j.bench;

import java.util.SplittableRandom;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/** Random inputs for the benchmarks. */
final class Inputs {
    private Inputs() {
    }

    static Tensor random(TensorArena arena, long seed, long... dims) {
        Tensor t = arena.zeros(dims);
        SplittableRandom rnd = new SplittableRandom(seed);
        long n = t.shape().elements();
        var seg = TensorMemory.host(t);
        for (long i = 0; i < n; i++) {
            seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
        }
        return t;
    }
}
