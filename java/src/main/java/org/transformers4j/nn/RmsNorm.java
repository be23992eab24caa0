package org.transformers4j.nn;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;

/** RMS norm (Llama, T5): y = s / sqrt(mean(s^2) + eps) * weight, no centring and no bias. */
public record RmsNorm(Tensor weight, float eps) implements Norm {

    /** Loads {prefix}.weight [C]. */
    public static RmsNorm load(Weights w, String prefix, long c, double eps) {
        return new RmsNorm(w.get(prefix + ".weight", c), (float) eps);
    }

    @Override
    public void apply(Backend backend, Tensor x, Tensor residual, Tensor sumOut, Tensor y) {
        backend.rmsNorm(x, residual, sumOut, weight, eps, y);
    }
}
