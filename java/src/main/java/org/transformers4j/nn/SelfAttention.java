package org.transformers4j.nn;

import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Multi-head self-attention: one fused projection to queries, keys and values (rows q | k | v,
 * grouped-query when kvHeads &lt; heads), optional per-head norms of queries and keys, optional
 * rotary positions, the fused attention kernel (over a KV cache in decoders), and the output
 * projection.
 *
 * @param scale multiplies q k^T (1/sqrt(D) usually, 1 for GPT-Neo)
 * @param window sliding window length, or 0 for global attention
 * @param rope rotary embedding of queries and keys, or null for models with learned positions
 * @param causal whether a position sees only those before it (decoders)
 * @param qkNorm norms of each query and key head before the rotary embedding (Qwen3), or null
 */
public record SelfAttention(Linear qkv, Linear out, int heads, int kvHeads, int headDim, float scale, int window,
                            Rope rope, boolean causal, QkNorm qkNorm) {

    /** Attention without norms of the query and key heads. */
    public SelfAttention(Linear qkv, Linear out, int heads, int kvHeads, int headDim, float scale, int window, Rope rope,
                         boolean causal) {
        this(qkv, out, heads, kvHeads, headDim, scale, window, rope, causal, null);
    }

    /**
     * Rotary embedding, rotate-half convention, of the first 2R dimensions of each head. LongRoPE
     * (Phi-3) has a second set of frequencies for passes that reach past longAbove positions, as
     * transformers' rotary embedding switches on max(position_ids) + 1 &gt; original_max_position_embeddings.
     *
     * @param invFreq float32 [R] on the backend's device: the inverse frequencies
     * @param longInvFreq float32 [R]: those of passes reaching past longAbove positions, or null
     * @param longAbove the original context: a pass whose highest position is at least this uses longInvFreq
     */
    public record Rope(Tensor invFreq, Tensor longInvFreq, int longAbove) {
        /** One set of frequencies for every pass. */
        public Rope(Tensor invFreq) {
            this(invFreq, null, 0);
        }

        /**
         * The frequencies of a pass at these positions. Keys a cache holds were rotated by the
         * frequencies of the pass that wrote them; a pass that switches to the long ones while the
         * cache holds keys of short ones would mix both, which transformers never does (its
         * generate re-runs the whole sequence there): that is refused, naming the lengths.
         */
        Tensor frequencies(long[] positions, KvCache cache) {
            if (longInvFreq == null) {
                return invFreq;
            }
            long highest = 0;
            for (long p : positions) {
                highest = Math.max(highest, p);
            }
            if (highest + 1 <= longAbove) {
                return invFreq;
            }
            for (int r = 0; cache != null && r < cache.batch(); r++) {
                int held = cache.length(r);
                if (held > 0 && held <= longAbove) {
                    throw new IllegalStateException("LongRoPE: a pass reaching position " + highest + " uses the long"
                            + " frequencies, but cache row " + r + " holds " + held + " positions rotated by the short"
                            + " ones (original_max_position_embeddings " + longAbove + "); re-run the whole sequence"
                            + " from an empty cache, as transformers' generate does at this length");
                }
            }
            return longInvFreq;
        }
    }

    /** RMS norms over D of each query head and each key head (Qwen3's q_norm and k_norm). */
    public record QkNorm(Norm q, Norm k) {
    }

    /**
     * x: [B * S, C] (normalised input). With the step's cache, writes this layer's keys and
     * values into it and attends over everything it holds; without one (encoders), over the S
     * positions only. The step's positions rotate queries and keys; its mask (and any position
     * bias) covers the keys. When the step records attentions, the probabilities are computed
     * unfused and kept.
     */
    public Tensor forward(Backend backend, Tensor x, LayerStep step, int layer, TensorArena arena) {
        int batch = step.batch(), seq = step.seq();
        KvCache cache = step.cache();
        long[] positions = step.positions();
        AttentionOptions mask = step.selfMask();
        RelativePositionBias.Pass positionBias = step.positionBias();
        Tensor fused = qkv.forward(backend, x, Activation.NONE, arena).reshape(batch, seq, heads + 2L * kvHeads,
                headDim);
        Tensor q = fused.narrow(2, 0, heads), k = fused.narrow(2, heads, kvHeads);
        Tensor v = fused.narrow(2, heads + (long) kvHeads, kvHeads);
        if (qkNorm != null) {
            q = perHead(backend, qkNorm.q(), q, arena);
            k = perHead(backend, qkNorm.k(), k, arena);
        }
        if (rope != null) {
            Tensor invFreq = rope.frequencies(positions, cache);
            backend.rope(q, positions, invFreq);
            backend.rope(k, positions, invFreq);
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
        if (step.packed() != null) {
            attendPacked(backend, step.packed(), q, kv[0], kv[1], options, context);
        } else if (step.attentions() != null) {
            step.attentions().attend(backend, q, kv[0], kv[1], options, positionBias, context, arena);
        } else if (positionBias == null) {
            backend.attention(q, kv[0], kv[1], options, context);
        } else {
            positionBias.attend(backend, q, kv[0], kv[1], options, context);
        }
        return out.forward(backend, context.reshape((long) batch * seq, (long) heads * headDim), Activation.NONE, arena);
    }

    /**
     * Packed sequences in one row: each attends over its own positions, one kernel call per
     * sequence on views of the row (no copies; an empty sequence has nothing to attend).
     */
    private static void attendPacked(Backend backend, LayerStep.Packed packed, Tensor q, Tensor k, Tensor v,
                                     AttentionOptions options, Tensor context) {
        for (int i = 0; i < packed.starts().length; i++) {
            int start = packed.starts()[i], length = packed.lengths()[i];
            if (length > 0) {
                backend.attention(q.narrow(1, start, length), k.narrow(1, start, length), v.narrow(1, start, length),
                        options, context.narrow(1, start, length));
            }
        }
    }

    /** x: [B, S, N, D] (a view into the fused projection) normalised over D, head by head, into a new tensor. */
    private static Tensor perHead(Backend backend, Norm norm, Tensor x, TensorArena arena) {
        long[] shape = x.shape().toArray();
        Tensor heads = arena.empty(shape);
        backend.copy(x, heads);
        long rows = shape[0] * shape[1] * shape[2];
        return norm.forward(backend, heads.reshape(rows, shape[3]), null, arena).reshape(shape);
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
