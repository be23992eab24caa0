package org.transformers4j.nn;

import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Attention from the decoder to the encoder's output: queries from the decoder, keys and values
 * (one fused [2 H D, C] projection, rows k | v) from the encoder output, computed once per
 * source and kept for every generation step.
 */
public record CrossAttention(Linear query, Linear keyValue, Linear out, int heads, int headDim, float scale) {

    /** Keys and values [B, T, H, D] of the encoder output [B * T, C], allocated in the arena. */
    public Tensor[] keysValues(Backend backend, Tensor encoded, int batch, int sourceLength, TensorArena arena) {
        Tensor fused = keyValue.forward(backend, encoded, Activation.NONE, arena).reshape(batch, sourceLength,
                2L * heads, headDim);
        return new Tensor[] {fused.narrow(2, 0, heads), fused.narrow(2, heads, heads)};
    }

    /**
     * x: [B * S, C] (decoder side); sourceMask: the encoder's padding over the T source keys;
     * maps: where the probabilities go (computed unfused), or null (the fused kernel runs).
     */
    public Tensor forward(Backend backend, Tensor x, int batch, int seq, Tensor[] keysValues,
                          AttentionOptions sourceMask, AttentionMaps maps, TensorArena arena) {
        Tensor q = query.forward(backend, x, Activation.NONE, arena).reshape(batch, seq, heads, headDim);
        Tensor context = arena.empty(batch, seq, heads, headDim);
        if (maps == null) {
            backend.attention(q, keysValues[0], keysValues[1], sourceMask.withScale(scale), context);
        } else {
            maps.attendCross(backend, q, keysValues[0], keysValues[1], sourceMask.withScale(scale), context, arena);
        }
        return out.forward(backend, context.reshape((long) batch * seq, (long) heads * headDim), Activation.NONE,
                arena);
    }
}
