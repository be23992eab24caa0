package org.transformers4j.nn;

import org.transformers4j.backend.Activation;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** y = act(x w^T + b) with w: [out, in] as Hugging Face stores nn.Linear. */
public record Linear(Tensor weight, Tensor bias) {

    /** Loads {prefix}.weight [out, in] and {prefix}.bias [out], both of which must be stored. */
    public static Linear load(Weights w, String prefix, long out, long in) {
        return load(w, prefix, out, in, true);
    }

    /** Loads {prefix}.weight [out, in] and, where the config says the layer has one, {prefix}.bias [out]. */
    public static Linear load(Weights w, String prefix, long out, long in, boolean bias) {
        return new Linear(w.get(prefix + ".weight", out, in), bias ? w.get(prefix + ".bias", out) : null);
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
