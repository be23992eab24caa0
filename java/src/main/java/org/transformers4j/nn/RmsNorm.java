package org.transformers4j.nn;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;

/** RMS norm (Llama, T5): y = s / sqrt(mean(s^2) + eps) * weight, no centring and no bias. */
public record RmsNorm(Tensor weight, float eps) implements Norm {

    /** Loads {prefix}.weight [C]. */
    public static RmsNorm load(Weights w, String prefix, long c, double eps) {
        return new RmsNorm(w.get(prefix + ".weight", c), (float) eps);
    }

    /**
     * Gemma's norm, whose stored weight is an offset from 1: y = s / sqrt(mean(s^2) + eps) * (1 + weight),
     * with 1 + weight computed once, in float32, as transformers' GemmaRMSNorm computes it.
     */
    public static RmsNorm loadOffsetFromOne(Weights w, String prefix, long c, double eps) {
        float[] gain = w.hostFloats(prefix + ".weight", c);
        for (int i = 0; i < gain.length; i++) {
            gain[i] = 1.0f + gain[i];
        }
        return new RmsNorm(w.backend().values(gain, w.arena(), c), (float) eps);
    }

    @Override
    public void apply(Backend backend, Tensor x, Tensor residual, Tensor sumOut, Tensor y) {
        backend.rmsNorm(x, residual, sumOut, weight, eps, y);
    }
}
