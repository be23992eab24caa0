package org.transformers4j.nn;

import org.transformers4j.backend.Activation;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** y = act(x w^T + b) with w: [out, in] as Hugging Face stores nn.Linear. */
public record Linear(Tensor weight, Tensor bias) {

    /** Loads {prefix}.weight [out, in] and {prefix}.bias [out] (the bias may be absent). */
    public static Linear load(Weights w, String prefix, long out, long in) {
        return new Linear(w.get(prefix + ".weight", out, in), w.optional(prefix + ".bias", out));
    }

    public long outFeatures() {
        return weight.dim(0);
    }

    /** y = act(x w^T + b) into a new [N, out] tensor of the arena. */
    public Tensor forward(Backend backend, Tensor x, Activation act, TensorArena arena) {
        Tensor y = arena.empty(x.dim(0), weight.dim(0));
        backend.linear(x, weight, bias, act, y);
        return y;
    }
}
