package org.transformers4j.nn;

import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Multi-head self-attention: one fused projection to queries, keys and values (rows q | k | v,
 * grouped-query when kvHeads &lt; heads), optional rotary positions, the fused attention kernel
 * (over a KV cache in decoders), and the output projection.
 *
 * @param scale multiplies q k^T (1/sqrt(D) usually, 1 for GPT-Neo)
 * @param window sliding window length, or 0 for global attention
 * @param rope rotary embedding of queries and keys, or null for models with learned positions
 * @param causal whether a position sees only those before it (decoders)
 */
public record SelfAttention(Linear qkv, Linear out, int heads, int kvHeads, int headDim, float scale, int window,
                            Rope rope, boolean causal) {

    /**
     * Rotary embedding, rotate-half convention, of the first 2R dimensions of each head.
     *
     * @param invFreq float32 [R] on the backend's device: the inverse frequencies
     */
    public record Rope(Tensor invFreq) {
    }

    /**
     * x: [B * S, C] (normalised input). With a cache, writes this layer's keys and values into it
     * and attends over everything it holds; without one (encoders), over the S positions only.
     * positions: [B * S] (for rotary embeddings); mask: the padding options (and any position bias)
     * over the keys.
     */
    public Tensor forward(Backend backend, Tensor x, int batch, int seq, KvCache cache, int layer, long[] positions,
                          AttentionOptions mask, TensorArena arena) {
        return forward(backend, x, batch, seq, cache, layer, positions, mask, null, arena);
    }

    /** As above, with T5's relative position bias of this pass added to the scores (null: none). */
    public Tensor forward(Backend backend, Tensor x, int batch, int seq, KvCache cache, int layer, long[] positions,
                          AttentionOptions mask, RelativePositionBias.Pass positionBias, TensorArena arena) {
        Tensor fused = qkv.forward(backend, x, Activation.NONE, arena).reshape(batch, seq, heads + 2L * kvHeads,
                headDim);
        Tensor q = fused.narrow(2, 0, heads), k = fused.narrow(2, heads, kvHeads);
        Tensor v = fused.narrow(2, heads + (long) kvHeads, kvHeads);
        if (rope != null) {
            backend.rope(q, positions, rope.invFreq());
            backend.rope(k, positions, rope.invFreq());
        }
        Tensor[] kv = cache == null ? new Tensor[] {k, v} : cache.append(layer, k, v);
        AttentionOptions options = mask.withScale(scale);
        if (causal) {
            options = options.withCausal();
        }
        if (window > 0) {
            options = seq == 1 ? windowAsKeyRange(options, batch, (int) kv[0].dim(1)) : options.withWindow(window);
        }
        Tensor context = arena.empty(batch, seq, heads, headDim);
        if (positionBias == null) {
            backend.attention(q, kv[0], kv[1], options, context);
        } else {
            positionBias.attend(backend, q, kv[0], kv[1], options, context);
        }
        return out.forward(backend, context.reshape((long) batch * seq, (long) heads * headDim), Activation.NONE, arena);
    }

    /**
     * For one query per row, the window as a range of keys: the query is the last key its row
     * sees, and it sees the window's keys before it. The kernel's window counts back from the
     * last key of the whole batch, which is the row's own only when every row holds as many
     * positions; rows of a continuous batch hold different numbers.
     */
    private AttentionOptions windowAsKeyRange(AttentionOptions options, int batch, int keys) {
        int[] start = new int[batch], end = new int[batch];
        for (int b = 0; b < batch; b++) {
            end[b] = options.keyLength() == null ? keys : options.keyLength()[b];
            int from = options.keyStart() == null ? 0 : options.keyStart()[b];
            start[b] = Math.min(end[b], Math.max(from, end[b] - window));
        }
        return options.withKeyStart(start).withKeyLength(end);
    }
}
