package org.transformers4j.model;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.nn.AttentionMaps;
import org.transformers4j.nn.KvCache;
import org.transformers4j.nn.LayerStep;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.Norm;
import org.transformers4j.nn.PaddingMask;
import org.transformers4j.nn.RelativePositionBias;
import org.transformers4j.nn.TokenEmbeddings;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * An encoder stack and a decoder stack with cross-attention, and the LM head: what BART, Marian,
 * mBART, Pegasus, T5 and mT5 share. The family classes load the parameters under their own names.
 */
public final class TransformerSeq2Seq extends TransformerBase implements Seq2SeqModel {
    /**
     * One stack: embeddings, layers, an optional final norm and an optional relative position
     * bias (T5), which every layer's self-attention adds and which bounds the positions.
     *
     * @param embeddings the token (and learned position) embeddings
     * @param layers the layers, in order
     * @param finalNorm the norm after the last layer, or null
     * @param positionBias T5's relative position bias, or null
     */
    public record Stack(TokenEmbeddings embeddings, List<TransformerLayer> layers, Norm finalNorm,
                        RelativePositionBias positionBias) {
        /** Copies what could change underneath, so that the record stays as made. */
        public Stack {
            layers = List.copyOf(layers);
        }

        /** Positions the stack takes: its position table's, or as many as its position bias allows. */
        int maxPositions() {
            int table = embeddings.maxPositions();
            return positionBias == null ? table : Math.min(table, positionBias.maxKeys());
        }
    }

    /**
     * The parts of the model.
     *
     * @param encoder the encoder stack
     * @param decoder the decoder stack, whose layers attend to the encoder's output
     * @param lmHead the projection to the vocabulary, [V, C]
     * @param logitScale multiplies the last hidden state before the LM head (T5's d_model^-0.5)
     * @param heads decoder self-attention heads, headDim their size (for the KV cache)
     * @param headDim D, the size of each cached head
     */
    public record Parts(Stack encoder, Stack decoder, Linear lmHead, float logitScale, int heads, int headDim) {
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
     * @param parts the two stacks and the LM head
     * @param special the special token ids generation uses (decoder start, end of sequence)
     */
    public TransformerSeq2Seq(ModelConfig config, Backend backend, Checkpoint checkpoint, TensorArena weights,
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
        return (int) parts.decoder().embeddings().tokens().dim(1);
    }

    @Override
    public int maxSourcePositions() {
        return parts.encoder().maxPositions();
    }

    @Override
    public int maxTargetPositions() {
        return parts.decoder().maxPositions();
    }

    @Override
    public SpecialTokens specialTokens() {
        return special;
    }

    @Override
    public EncoderOutput encode(EncoderInput in, boolean allHiddenStates, TensorArena out) {
        return encode(in, allHiddenStates, false, out);
    }

    @Override
    public EncoderOutput encode(EncoderInput in, boolean allHiddenStates, boolean outputAttentions, TensorArena out) {
        guard.enter();
        try {
            return encodeOpen(in, allHiddenStates, outputAttentions ? new AttentionMaps(out) : null, out);
        } finally {
            guard.exit();
        }
    }

    private EncoderOutput encodeOpen(EncoderInput in, boolean allHiddenStates, AttentionMaps maps, TensorArena out) {
        int b = in.batch(), s = in.seq();
        if (s > maxSourcePositions()) {
            throw new IllegalArgumentException("a source of " + s + " tokens is longer than the " + maxSourcePositions()
                    + " positions the encoder of " + config.source() + " takes; truncate it");
        }
        Stack enc = parts.encoder();
        List<Tensor> hidden = new ArrayList<>();
        try (TensorArena work = backend.scratch()) {
            long[] positions = in.absolutePositions();
            Tensor x = enc.embeddings().forward(backend, in.ids(), positions, work);
            AttentionOptions mask = PaddingMask.apply(backend, AttentionOptions.scaled(1f), in.attentionMask(), b, s, work);
            LayerStep step = LayerStep.encoder(b, s, mask).withPositions(positions)
                    .withPositionBias(positionBias(enc, mask, b, s, s, work)).withAttentions(maps);
            x = runStack(enc, x, step, allHiddenStates, hidden, work, out);
            hidden.add(Rows.copyOut(backend, x, b, s, out));
            return new EncoderOutput(List.copyOf(hidden), null, maps == null ? List.of() : maps.layers());
        }
    }

    @Override
    public Seq2SeqCache newCache(Tensor encoded, long[] sourceMask, int capacity) {
        guard.enter();
        try {
            return newCacheOpen(encoded, sourceMask, capacity);
        } finally {
            guard.exit();
        }
    }

    private Seq2SeqCache newCacheOpen(Tensor encoded, long[] sourceMask, int capacity) {
        if (encoded.rank() != 3 || encoded.dim(2) != hiddenSize()) {
            throw new IllegalArgumentException("encoded must be [B, T, " + hiddenSize() + "], has shape "
                    + encoded.shape());
        }
        if (capacity > maxTargetPositions()) {
            throw new IllegalArgumentException("a target of " + capacity + " positions exceeds the "
                    + maxTargetPositions() + " positions the decoder of " + config.source() + " takes");
        }
        int b = (int) encoded.dim(0), t = (int) encoded.dim(1);
        TensorArena arena = backend.longLived();
        try {
            Tensor flat = backend.place(encoded, arena);
            List<TransformerLayer> layers = parts.decoder().layers();
            Tensor[][] crossKv = new Tensor[layers.size()][];
            for (int i = 0; i < layers.size(); i++) {
                crossKv[i] = layers.get(i).cross().keysValues(backend, flat.reshape((long) b * t, hiddenSize()), b, t,
                        arena);
            }
            AttentionOptions mask = PaddingMask.apply(backend, AttentionOptions.scaled(1f), sourceMask, b, t, arena);
            KvCache self = new KvCache(backend, layers.size(), b, capacity, parts.heads(), parts.headDim());
            return new Seq2SeqCache(backend, self, arena, crossKv, mask, t);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public Seq2SeqCache encodeToCache(EncoderInput source, int capacity) {
        try (TensorArena onDevice = backend.scratch()) { // the encoder's output never leaves the device
            Tensor encoded = encode(source, false, onDevice).lastHiddenState();
            return newCache(encoded, source.attentionMask(), capacity);
        }
    }

    @Override
    public DecoderOutput decode(DecoderInput in, Seq2SeqCache cache, boolean allHiddenStates, boolean lastLogitsOnly,
                                TensorArena out) {
        return decode(in, cache, allHiddenStates, true, lastLogitsOnly, null, out);
    }

    @Override
    public DecoderOutput decode(DecoderInput in, Seq2SeqCache cache, boolean allHiddenStates, boolean lastLogitsOnly,
                                boolean outputAttentions, TensorArena out) {
        return decode(in, cache, allHiddenStates, true, lastLogitsOnly, outputAttentions ? new AttentionMaps(out) : null,
                out);
    }

    @Override
    public Tensor decodeStep(DecoderInput in, Seq2SeqCache cache, TensorArena out) {
        return decode(in, cache, false, false, true, null, out).logits();
    }

    /**
     * decode, with the last hidden state copied out only when lastHidden and the attention
     * probabilities kept in maps (null: none); the model and cache stay open meanwhile.
     */
    private DecoderOutput decode(DecoderInput in, Seq2SeqCache cache, boolean allHiddenStates, boolean lastHidden,
                                 boolean lastLogitsOnly, AttentionMaps maps, TensorArena out) {
        guard.enter();
        try {
            cache.enter();
            try {
                return decodeOpen(in, cache, allHiddenStates, lastHidden, lastLogitsOnly, maps, out);
            } finally {
                cache.exit();
            }
        } finally {
            guard.exit();
        }
    }

    private DecoderOutput decodeOpen(DecoderInput in, Seq2SeqCache cache, boolean allHiddenStates, boolean lastHidden,
                                     boolean lastLogitsOnly, AttentionMaps maps, TensorArena out) {
        KvCache self = cache.self();
        int b = in.batch(), s = in.seq(), past = self.length(), keys = past + s;
        if (self.batch() != b) {
            throw new IllegalArgumentException("target batch " + b + " differs from the cache's batch " + self.batch());
        }
        self.requireRoom(s);
        long[] positions = new long[b * s];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = past + i % s;
        }
        Stack dec = parts.decoder();
        List<Tensor> hidden = new ArrayList<>();
        try (TensorArena work = backend.scratch()) {
            Tensor x = dec.embeddings().forward(backend, in.ids(), positions, work);
            AttentionOptions mask = PaddingMask.apply(backend, AttentionOptions.scaled(1f), in.attentionMask(), b, keys, work);
            LayerStep step = LayerStep.cross(b, s, positions, mask, self, cache::crossKeysValues, cache.sourceMask())
                    .withPositionBias(positionBias(dec, mask, b, s, keys, work)).withAttentions(maps);
            x = runStack(dec, x, step, allHiddenStates, hidden, work, out);
            self.advance(s);
            if (lastHidden) {
                hidden.add(Rows.copyOut(backend, x, b, s, out));
            }
            Tensor rows = lastLogitsOnly ? Rows.last(backend, x, b, s, work) : x;
            Tensor logits = logits(rows, out, work).reshape(b, lastLogitsOnly ? 1 : s, vocabSize());
            return maps == null ? new DecoderOutput(List.copyOf(hidden), logits)
                    : new DecoderOutput(List.copyOf(hidden), logits, maps.layers(), maps.crossLayers());
        }
    }

    /** The layers of a stack (the decoder's with the cache's cross keys), then its final norm. */
    private Tensor runStack(Stack stack, Tensor x, LayerStep step, boolean allHiddenStates, List<Tensor> hidden,
                            TensorArena work, TensorArena out) {
        int b = step.batch(), s = step.seq();
        for (int i = 0; i < stack.layers().size(); i++) {
            if (allHiddenStates) {
                hidden.add(Rows.copyOut(backend, x, b, s, out));
            }
            try (TensorArena layerWork = backend.scratch()) {
                stack.layers().get(i).forward(backend, x, step, i, layerWork);
            }
        }
        return stack.finalNorm() == null ? x : stack.finalNorm().forward(backend, x, null, work);
    }

    /** For a stack with one, this pass's position bias over keys keys (null without one). */
    private RelativePositionBias.Pass positionBias(Stack stack, AttentionOptions padding, int b, int s, int keys,
                                                   TensorArena work) {
        RelativePositionBias bias = stack.positionBias();
        return bias == null ? null : bias.pass(backend, b, s, keys, padding, work);
    }

    private Tensor logits(Tensor rows, TensorArena out, TensorArena work) {
        Linear head = parts.lmHead();
        Tensor logits = Rows.target(backend, out, work).empty(rows.dim(0), head.outFeatures());
        Tensor input = rows;
        if (parts.logitScale() != 1f) { // scaled before the head, in transformers' order
            input = work.empty(rows.dim(0), rows.dim(1));
            backend.copy(rows, input);
            backend.scale(input, parts.logitScale(), input);
        }
        backend.linear(input, head.weight(), head.bias(), Activation.NONE, logits);
        return backend.toHost(logits, out);
    }

}
