package org.transformers4j.nn;

import org.transformers4j.backend.Activation;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** The position-wise feed-forward block of a transformer layer. */
public interface FeedForward {
    /** x: [N, C] to a new [N, C] tensor of the arena. */
    Tensor forward(Backend backend, Tensor x, TensorArena arena);

    /** down(act(up x)): GPT-2, GPT-Neo, BART, T5 v1.0. */
    record Plain(Linear up, Activation act, Linear down) implements FeedForward {
        @Override
        public Tensor forward(Backend backend, Tensor x, TensorArena arena) {
            return down.forward(backend, up.forward(backend, x, act, arena), Activation.NONE, arena);
        }
    }

    /**
     * down(act(gate x) * (up x)) with gate and up as one fused [2F, C] projection, rows gate | up:
     * SwiGLU (Llama) with SILU, gated GELU (T5 v1.1) with GELU_TANH.
     */
    record Gated(Linear gateUp, Activation act, Linear down) implements FeedForward {
        @Override
        public Tensor forward(Backend backend, Tensor x, TensorArena arena) {
            long f = gateUp.outFeatures() / 2;
            Tensor both = gateUp.forward(backend, x, Activation.NONE, arena);
            Tensor inner = arena.empty(x.dim(0), f);
            backend.gatedActivation(act, both.narrow(1, 0, f), both.narrow(1, f, f), inner);
            return down.forward(backend, inner, Activation.NONE, arena);
        }
    }
}
