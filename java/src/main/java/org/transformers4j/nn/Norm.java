package org.transformers4j.nn;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** A normalisation over the last axis (layer norm or RMS norm), optionally after a residual add. */
public interface Norm {
    /** y = norm(x + residual); residual and sumOut may be null, sumOut receives x + residual. */
    void apply(Backend backend, Tensor x, Tensor residual, Tensor sumOut, Tensor y);

    /** norm(x + residual) into a new tensor of the arena; residual may be null. */
    default Tensor forward(Backend backend, Tensor x, Tensor residual, TensorArena arena) {
        Tensor y = arena.empty(x.shape().toArray());
        apply(backend, x, residual, null, y);
        return y;
    }
}
