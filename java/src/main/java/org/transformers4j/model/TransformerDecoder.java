package org.transformers4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.AttentionMaps;
import org.transformers4j.nn.KvCache;
import org.transformers4j.nn.LayerStep;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.Norm;
import org.transformers4j.nn.PackedTokens;
import org.transformers4j.nn.PaddingMask;
import org.transformers4j.tensor.BFloat16;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Token (and learned position) embeddings, a stack of pre-norm decoder layers, a final norm and
 * the LM head: what GPT-2, GPT-Neo, Llama and the Llama-shaped families share. The family classes
 * load the parameters under their own names.
 */
public final class TransformerDecoder extends TransformerBase implements DecoderModel {
    /**
     * The parts of a decoder; positions is null for models with rotary embeddings. embedScale
     * multiplies the token embeddings (Gemma's sqrt(hidden_size)), rounded to the type the model
     * computes in as transformers rounds it; 1 for none.
     *
     * @param tokens the token embeddings, [V, C]
     * @param positions the learned position embeddings, [maxPositions, C], or null
     * @param layers the decoder layers, in order
     * @param finalNorm the norm after the last layer
     * @param lmHead the projection to the vocabulary, [V, C] (often tokens itself)
     * @param kvHeads K, the key/value heads the cache holds
     * @param headDim D, the size of each cached head
     * @param maxPositions the longest sequence, prompt and generated tokens together
     * @param embedScale multiplies the token embeddings; 1 for none
     */
    public record Parts(Tensor tokens, Tensor positions, List<TransformerLayer> layers, Norm finalNorm, Linear lmHead,
                        int kvHeads, int headDim, int maxPositions, float embedScale) {
        /** Copies what could change underneath, so that the record stays as made. */
        public Parts {
            layers = List.copyOf(layers);
        }

        /**
         * Parts with unscaled token embeddings.
         *
         * @param tokens the token embeddings, [V, C]
         * @param positions the learned position embeddings, [maxPositions, C], or null
         * @param layers the decoder layers, in order
         * @param finalNorm the norm after the last layer
         * @param lmHead the projection to the vocabulary, [V, C]
         * @param kvHeads K, the key/value heads the cache holds
         * @param headDim D, the size of each cached head
         * @param maxPositions the longest sequence, prompt and generated tokens together
         */
        public Parts(Tensor tokens, Tensor positions, List<TransformerLayer> layers, Norm finalNorm, Linear lmHead,
                     int kvHeads, int headDim, int maxPositions) {
            this(tokens, positions, layers, finalNorm, lmHead, kvHeads, headDim, maxPositions, 1f);
        }
    }

    private final Parts parts;
    private final SpecialTokens special;

    /**
     * Assembles a model; it owns the weights arena and the checkpoint and closes both.
     *
     * @param config the model's configuration
     * @param backend the backend the weights are on and the passes run on
     * @param checkpoint the file the weights were read from
     * @param weights the arena holding the weights
     * @param parts the embeddings, layers, final norm and LM head
     * @param special the special token ids generation uses
     */
    public TransformerDecoder(ModelConfig config, Backend backend, Checkpoint checkpoint, TensorArena weights,
                              Parts parts, SpecialTokens special) {
        super(config, backend, checkpoint, weights);
        this.parts = parts;
        this.special = special;
    }

    @Override
    public int vocabSize() {
        return (int) parts.lmHead().outFeatures();
    }

    @Override
    public int hiddenSize() {
        return (int) parts.tokens().dim(1);
    }

    @Override
    public int maxPositions() {
        return parts.maxPositions();
    }

    @Override
    public SpecialTokens specialTokens() {
        return special;
    }

    @Override
    public KvCache newCache(int batch, int capacity) {
        guard.ensureOpen();
        if (capacity > maxPositions()) {
            throw new IllegalArgumentException("a cache of " + capacity + " positions exceeds the context of "
                    + maxPositions() + " positions of " + config.source());
        }
        return new KvCache(backend, parts.layers().size(), batch, capacity, parts.kvHeads(), parts.headDim());
    }

    /** The cache length at which LongRoPE's frequencies switch (see {@link DecoderModel#recomputeAt()}), else -1. */
    @Override
    public int recomputeAt() {
        var rope = parts.layers().isEmpty() ? null : parts.layers().get(0).self().rope();
        return rope != null && rope.longInvFreq() != null ? rope.longAbove() : -1;
    }

    @Override
    public DecoderOutput forward(DecoderInput in, KvCache cache, boolean allHiddenStates, boolean lastLogitsOnly,
                                 TensorArena out) {
        return run(in, cache, allHiddenStates, true, lastLogitsOnly, null, out);
    }

    @Override
    public DecoderOutput forward(DecoderInput in, KvCache cache, boolean allHiddenStates, boolean lastLogitsOnly,
                                 boolean outputAttentions, TensorArena out) {
        return run(in, cache, allHiddenStates, true, lastLogitsOnly, outputAttentions ? new AttentionMaps(out) : null,
                out);
    }

    @Override
    public Tensor decodeStep(DecoderInput in, KvCache cache, TensorArena out) {
        return run(in, cache, false, false, true, null, out).logits();
    }

    /** forward, with the last hidden state copied out only when lastHidden; the model and cache stay open meanwhile. */
    private DecoderOutput run(DecoderInput in, KvCache cache, boolean allHiddenStates, boolean lastHidden,
                              boolean lastLogitsOnly, AttentionMaps maps, TensorArena out) {
        guard.enter();
        try {
            cache.enter();
            try {
                return runOpen(in, cache, allHiddenStates, lastHidden, lastLogitsOnly, maps, out);
            } finally {
                cache.exit();
            }
        } finally {
            guard.exit();
        }
    }

    private DecoderOutput runOpen(DecoderInput in, KvCache cache, boolean allHiddenStates, boolean lastHidden,
                                  boolean lastLogitsOnly, AttentionMaps maps, TensorArena out) {
        int b = in.batch(), s = in.seq(), c = hiddenSize();
        int keys = checkInput(in, cache);
        if (s > 1 && !cache.uniform()) {
            // causal masking places every row's queries at the end of the longest row
            throw new IllegalArgumentException("rows of the cache hold different lengths; they can take one new "
                    + "token each, not " + s + " (prefill each row through its own view, KvCache.rows)");
        }
        long[] positions = in.positions() != null ? in.positions()
                : cache.uniform() ? defaultPositions(b, s, cache.length()) : cache.positions(s);
        // rows holding different lengths (a continuous batch) see only their own positions
        long[] attentionMask = in.attentionMask() != null || cache.uniform() ? in.attentionMask() : cache.attentionMask(s);
        for (long p : positions) {
            if (p < 0 || p >= maxPositions()) {
                throw new IllegalArgumentException("position " + p + " is outside the context of " + maxPositions()
                        + " positions of " + config.source());
            }
        }
        List<Tensor> hidden = new ArrayList<>();
        try (TensorArena work = backend.scratch()) {
            Tensor x = embed(in.ids(), positions, work);
            AttentionOptions mask = in.keyStarts() != null ? keyRanges(in.keyStarts(), b, keys)
                    : PaddingMask.apply(backend, AttentionOptions.scaled(1f), attentionMask, b, keys, work);
            LayerStep step = LayerStep.causal(b, s, positions, mask, cache).withAttentions(maps);
            for (int i = 0; i < parts.layers().size(); i++) {
                if (allHiddenStates) {
                    hidden.add(Rows.copyOut(backend, x, b, s, out));
                }
                try (TensorArena layerWork = backend.scratch()) {
                    parts.layers().get(i).forward(backend, x, step, i, layerWork);
                }
            }
            cache.advance(s);
            Tensor last = parts.finalNorm().forward(backend, x, null, work);
            if (lastHidden) {
                hidden.add(Rows.copyOut(backend, last, b, s, out));
            }
            Tensor rows = lastLogitsOnly ? Rows.last(backend, last, b, s, work) : last;
            long v = parts.lmHead().outFeatures();
            Tensor logits = Rows.target(backend, out, work).empty(rows.dim(0), v);
            backend.linear(rows, parts.lmHead().weight(), parts.lmHead().bias(), Activation.NONE, logits);
            return new DecoderOutput(List.copyOf(hidden),
                    backend.toHost(logits, out).reshape(b, lastLogitsOnly ? 1 : s, v),
                    maps == null ? List.of() : maps.layers());
        }
    }

    /**
     * A pass over packed sequences (a padded batch's kept tokens, each row's one run; no cache):
     * every layer over the kept tokens alone, each sequence attending causally over its own, at
     * the position ids the padded rows give them; then the final norm and the head at the given
     * packed rows alone. Returns the last hidden state at its padded positions [B, S, C] (zeros
     * at padding) and the head's logits [P, V], both in out.
     */
    EncoderOutput packedPass(PackedTokens packed, long[] headRows, TensorArena out) {
        guard.enter();
        try (TensorArena work = backend.scratch()) {
            for (long p : packed.positions()) {
                if (p < 0 || p >= maxPositions()) {
                    throw new IllegalArgumentException("position " + p + " is outside the context of " + maxPositions()
                            + " positions of " + config.source());
                }
            }
            Tensor x = embed(packed.ids(), packed.positions(), work);
            LayerStep step = LayerStep.packedEncoder(packed.sequences(), AttentionOptions.scaled(1f))
                    .withPositions(packed.positions());
            for (int i = 0; i < parts.layers().size(); i++) {
                try (TensorArena layerWork = backend.scratch()) {
                    parts.layers().get(i).forward(backend, x, step, i, layerWork);
                }
            }
            Tensor last = parts.finalNorm().forward(backend, x, null, work);
            Tensor rows = Rows.at(backend, last, headRows, work);
            Tensor logits = Rows.target(backend, out, work).empty(headRows.length, parts.lmHead().outFeatures());
            backend.linear(rows, parts.lmHead().weight(), parts.lmHead().bias(), Activation.NONE, logits);
            Tensor hidden = Rows.copyOut(backend, packed.unpack(backend, last, work), packed.batch(), packed.seq(), out);
            return new EncoderOutput(List.of(hidden), backend.toHost(logits, out));
        } finally {
            guard.exit();
        }
    }

    /** Checks the input against the cache; returns the key count (cached + new). */
    private int checkInput(DecoderInput in, KvCache cache) {
        if (cache.batch() != in.batch()) {
            throw new IllegalArgumentException("input batch " + in.batch() + " differs from the cache's batch "
                    + cache.batch());
        }
        cache.requireRoom(in.seq());
        int keys = cache.length() + in.seq();
        if (in.attentionMask() != null && in.attentionMask().length != (long) in.batch() * keys) {
            throw new IllegalArgumentException("attention mask has " + in.attentionMask().length + " entries, expected"
                    + " batch " + in.batch() + " x (cached " + cache.length() + " + new " + in.seq() + ")");
        }
        if (in.keyStarts() != null) {
            if (!cache.uniform()) {
                throw new IllegalArgumentException("keyStarts need rows of one length; the cache's rows hold"
                        + " different lengths");
            }
            for (int r = 0; r < in.batch(); r++) {
                if (in.keyStarts()[r] < 0 || in.keyStarts()[r] >= keys) {
                    throw new IllegalArgumentException("keyStarts[" + r + "] = " + in.keyStarts()[r]
                            + " is outside the " + keys + " keys (cached " + cache.length() + " + new " + in.seq()
                            + ")");
                }
            }
        }
        return keys;
    }

    /** Rows whose keys are real from their start to the last: the ranges a left-padding mask gives. */
    private static AttentionOptions keyRanges(int[] starts, int b, int keys) {
        int[] ends = new int[b];
        Arrays.fill(ends, keys);
        return AttentionOptions.scaled(1f).withKeyStart(starts).withKeyLength(ends);
    }

    private static long[] defaultPositions(int b, int s, int past) {
        long[] pos = new long[b * s];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = past + i % s;
        }
        return pos;
    }

    private Tensor embed(long[] ids, long[] positions, TensorArena work) {
        int n = ids.length;
        Tensor x = work.empty(n, hiddenSize());
        backend.embedding(parts.tokens(), backend.longs(ids, work, n), x);
        if (parts.embedScale() != 1f) {
            backend.scale(x, inType(parts.embedScale(), x.dtype()), x);
        }
        if (parts.positions() != null) {
            Tensor p = work.empty(n, hiddenSize());
            backend.embedding(parts.positions(), backend.longs(positions, work, n), p);
            backend.add(x, p, x);
        }
        return x;
    }

    /** v rounded to the type t holds (transformers multiplies by the scale cast to the model's dtype). */
    static float inType(float v, DType t) {
        return switch (t) {
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            case BF16 -> BFloat16.widen(BFloat16.round(v));
            default -> v;
        };
    }

}
