package org.transformers4j.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** Random tensors and the error measure the kernel tests use. */
final class TestTensors {
    private TestTensors() {
    }

    /** Uniform values in [-spread, spread), never all zero. */
    static Tensor random(TensorArena arena, SplittableRandom rnd, float spread, long... dims) {
        Tensor t = arena.zeros(dims);
        float[] v = new float[Math.toIntExact(t.shape().elements())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextDouble(-spread, spread);
        }
        t.copyFrom(v);
        return t;
    }

    /** A tensor filled with NaN, so that an output the kernel forgets to write shows. */
    static Tensor poisoned(TensorArena arena, long... dims) {
        Tensor t = arena.zeros(dims);
        float[] v = new float[Math.toIntExact(t.shape().elements())];
        java.util.Arrays.fill(v, Float.NaN);
        t.copyFrom(v);
        return t;
    }

    /** max |got - want| / max |want|; infinite where NaN-ness differs. */
    static double relativeError(Tensor got, Tensor want) {
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        double err = 0, mag = 0;
        for (int i = 0; i < g.length; i++) {
            double d = Float.isNaN(g[i]) != Float.isNaN(w[i]) ? Double.POSITIVE_INFINITY : Math.abs(g[i] - w[i]);
            err = Double.isNaN(d) ? err : Math.max(err, d);
            mag = Math.max(mag, Math.abs(w[i]));
        }
        return mag == 0 ? err : err / mag;
    }

    static void assertClose(String what, Tensor got, Tensor want, double bound) {
        double err = relativeError(got, want);
        assertTrue(err <= bound, what + ": relative error " + err + " exceeds " + bound);
    }
}
