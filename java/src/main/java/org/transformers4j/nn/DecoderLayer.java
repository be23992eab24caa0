package org.transformers4j.nn;

import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * A pre-norm decoder layer (GPT-2, GPT-Neo, Llama):
 *   h = x + attention(norm1(x));  out = h + ff(norm2(h))
 * The second norm also returns the residual sum, so h costs no pass of its own.
 */
public record DecoderLayer(Norm attentionNorm, SelfAttention attention, Norm ffNorm, FeedForward ff) {

    /** x: [B * S, C]; returns the layer output [B * S, C] in the arena. */
    public Tensor forward(Backend backend, Tensor x, int batch, int seq, KvCache cache, int layer, long[] positions,
                          AttentionOptions mask, TensorArena arena) {
        Tensor normed = attentionNorm.forward(backend, x, null, arena);
        Tensor attended = attention.forward(backend, normed, batch, seq, cache, layer, positions, mask, arena);
        long[] shape = x.shape().toArray();
        Tensor h = arena.empty(shape), n2 = arena.empty(shape);
        ffNorm.apply(backend, attended, x, h, n2);
        Tensor f = ff.forward(backend, n2, arena);
        Tensor out = arena.empty(shape);
        backend.add(h, f, out);
        return out;
    }
}
