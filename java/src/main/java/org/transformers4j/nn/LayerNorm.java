package org.transformers4j.nn;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** Layer norm over the last axis with weight (gamma) and bias (beta), optionally after a residual add. */
public record LayerNorm(Tensor weight, Tensor bias, float eps) implements Norm {

    /** Loads {prefix}.weight and {prefix}.bias, both [C]. */
    public static LayerNorm load(Weights w, String prefix, long c, double eps) {
        return new LayerNorm(w.get(prefix + ".weight", c), w.get(prefix + ".bias", c), (float) eps);
    }

    @Override
    public void apply(Backend backend, Tensor x, Tensor residual, Tensor sumOut, Tensor y) {
        backend.layerNorm(x, residual, sumOut, weight, bias, eps, y);
    }

    /** LN(x + residual) into a new tensor; residual may be null. */
    @Override
    public Tensor forward(Backend backend, Tensor x, Tensor residual, TensorArena arena) {
        Tensor y = arena.empty(x.shape().toArray());
        backend.layerNorm(x, residual, null, weight, bias, eps, y);
        return y;
    }
}
