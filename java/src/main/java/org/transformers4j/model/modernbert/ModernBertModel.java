package org.transformers4j.model.modernbert;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.model.EncoderHead;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.EncoderOutput;
import org.transformers4j.model.Heads;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.Rows;
import org.transformers4j.nn.AttentionMaps;
import org.transformers4j.nn.BidirectionalWindow;
import org.transformers4j.nn.FeedForward;
import org.transformers4j.nn.LayerNorm;
import org.transformers4j.nn.LayerStep;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.PackedTokens;
import org.transformers4j.nn.PaddingMask;
import org.transformers4j.nn.Weights;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.util.CloseGuard;

/**
 * ModernBERT (ModernBertModel, ModernBertForMaskedLM, ModernBertForSequenceClassification,
 * ModernBertForTokenClassification, ModernBertForQuestionAnswering): token embeddings and a norm;
 * pre-norm layers (the first without its attention norm) whose attention is global or, in
 * sliding layers, bidirectional within local_attention / 2 positions each side, with rotary
 * positions of the layer type's theta; GeGLU feed-forward; a final norm. Biases of attention,
 * MLP and norms only where the config says. Sequences run padded, as transformers' eager path
 * runs them (its unpadded path computes the same): positions 0 .. S-1 in every row.
 */
public final class ModernBertModel implements EncoderModel {
    /** One layer; attnNorm is null in the first. */
    private record Layer(LayerNorm attnNorm, Linear wqkv, Linear wo, boolean sliding, LayerNorm mlpNorm,
                         FeedForward mlp) {
    }

    private final ModelConfig config;
    private final ModernBertConfig cfg;
    private final Backend backend;
    private final Checkpoint checkpoint;
    private final TensorArena weights;
    private final Tensor tokens;
    private final LayerNorm embeddingNorm;
    private final List<Layer> layers;
    private final LayerNorm finalNorm;
    private final Tensor globalInvFreq, localInvFreq;
    private final EncoderHead head;
    private final CloseGuard guard;

    private ModernBertModel(ModelConfig config, ModernBertConfig cfg, Weights w, Tensor tokens, LayerNorm embeddingNorm,
                            List<Layer> layers, LayerNorm finalNorm, EncoderHead head) {
        this.config = config;
        this.cfg = cfg;
        this.backend = w.backend();
        this.checkpoint = w.checkpoint();
        this.weights = w.arena();
        this.tokens = tokens;
        this.embeddingNorm = embeddingNorm;
        this.layers = List.copyOf(layers);
        this.finalNorm = finalNorm;
        this.globalInvFreq = invFreq(w, cfg.theta(ModernBertConfig.FULL), cfg.headDim());
        this.localInvFreq = invFreq(w, cfg.theta(ModernBertConfig.SLIDING), cfg.headDim());
        this.head = head;
        this.guard = new CloseGuard("model " + config.source(), this::release);
    }

    /**
     * Builds the model for the architecture named in the config from the checkpoint's weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static EncoderModel load(ModelConfig config, ModernBertConfig cfg, Weights w, String architecture) {
        String p = w.has("model.embeddings.tok_embeddings.weight") ? "model." : "";
        long c = cfg.hidden_size(), f = cfg.intermediate_size();
        boolean attnBias = cfg.attention_bias(), mlpBias = cfg.mlp_bias();
        Tensor tokens = w.get(p + "embeddings.tok_embeddings.weight", cfg.vocab_size(), c);
        LayerNorm embeddingNorm = norm(w, cfg, p + "embeddings.norm");
        Activation act = Activation.fromConfigName(cfg.hidden_activation());
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < cfg.num_hidden_layers(); i++) {
            String l = p + "layers." + i + ".";
            // ModernBertMLP: Wi's first half goes through the activation, its second half gates it
            var mlp = new FeedForward.Gated(Linear.load(w, l + "mlp.Wi", 2 * f, c, mlpBias), act,
                    Linear.load(w, l + "mlp.Wo", c, f, mlpBias));
            layers.add(new Layer(i == 0 ? null : norm(w, cfg, l + "attn_norm"),
                    Linear.load(w, l + "attn.Wqkv", 3 * c, c, attnBias), Linear.load(w, l + "attn.Wo", c, c, attnBias),
                    cfg.sliding(i), norm(w, cfg, l + "mlp_norm"), mlp));
        }
        LayerNorm finalNorm = norm(w, cfg, p + "final_norm");
        EncoderHead head = head(config, cfg, w, architecture, tokens);
        return new ModernBertModel(config, cfg, w, tokens, embeddingNorm, layers, finalNorm, head);
    }

    private static EncoderHead head(ModelConfig config, ModernBertConfig cfg, Weights w, String architecture,
                                    Tensor tokens) {
        long c = cfg.hidden_size(), v = cfg.vocab_size(), labels = cfg.numLabels();
        if (architecture.equals("ModernBertForMaskedLM")) {
            var decoder = new Linear(w.tiedOr("decoder.weight", new long[] {v, c}, tokens, cfg.tie_word_embeddings()),
                    cfg.decoder_bias() ? w.get("decoder.bias", v) : null);
            return new Heads.MaskedLm(Linear.load(w, "head.dense", c, c, cfg.classifier_bias()),
                    Activation.fromConfigName(cfg.classifier_activation()), norm(w, cfg, "head.norm"), decoder);
        }
        if (architecture.equals("ModernBertForQuestionAnswering")) {
            Heads.checkQuestionAnsweringLabels(config, (int) labels);
        }
        return switch (architecture) {
            case "ModernBertForSequenceClassification" -> new ModernBertHeads.SequenceClassification(
                    cfg.classifier_pooling().equals("mean"), prediction(w, cfg), Linear.load(w, "classifier", labels, c));
            case "ModernBertForTokenClassification" -> new ModernBertHeads.PerToken(Head.TOKEN_CLASSIFICATION,
                    prediction(w, cfg), Linear.load(w, "classifier", labels, c));
            case "ModernBertForQuestionAnswering" -> new ModernBertHeads.PerToken(Head.QUESTION_ANSWERING,
                    prediction(w, cfg), Linear.load(w, "classifier", 2, c));
            default -> Heads.NONE;
        };
    }

    private static ModernBertHeads.Prediction prediction(Weights w, ModernBertConfig cfg) {
        long c = cfg.hidden_size();
        return new ModernBertHeads.Prediction(Linear.load(w, "head.dense", c, c, cfg.classifier_bias()),
                Activation.fromConfigName(cfg.classifier_activation()), norm(w, cfg, "head.norm"));
    }

    /** A layer norm of width C, its bias stored only where norm_bias says. */
    private static LayerNorm norm(Weights w, ModernBertConfig cfg, String prefix) {
        long c = cfg.hidden_size();
        return new LayerNorm(w.get(prefix + ".weight", c), cfg.norm_bias() ? w.get(prefix + ".bias", c) : null,
                (float) cfg.norm_eps());
    }

    /**
     * 1 / theta^(2i / D) for i &lt; D / 2, in float32 step by step as transformers' default rope
     * initialisation computes it.
     */
    static float[] inverseFrequencies(double theta, int d) {
        float[] inv = new float[d / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / d;
            inv[i] = 1.0f / (float) Math.pow((float) theta, exponent);
        }
        return inv;
    }

    private static Tensor invFreq(Weights w, double theta, int d) {
        float[] inv = inverseFrequencies(theta, d);
        return w.backend().floats(inv, w.arena(), inv.length);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public int vocabSize() {
        return cfg.vocab_size();
    }

    @Override
    public int hiddenSize() {
        return cfg.hidden_size();
    }

    @Override
    public int maxPositions() {
        return cfg.max_position_embeddings();
    }

    @Override
    public Head head() {
        return head.kind();
    }

    /**
     * The hidden states are the embeddings' output and each layer's, the last layer's after the
     * final norm: the model's last_hidden_state, which transformers 5 puts last in its hidden
     * states too (its output recorder replaces the last layer's output with it). With
     * allHiddenStates false only that one.
     */
    @Override
    public EncoderOutput forward(EncoderInput in, boolean allHiddenStates, TensorArena out) {
        return forward(in, allHiddenStates, false, out);
    }

    /**
     * As above; with outputAttentions each layer's probabilities [B, H, S, S] as transformers'
     * eager attention gives them (zero outside a sliding layer's band and at padded keys).
     */
    @Override
    public EncoderOutput forward(EncoderInput in, boolean allHiddenStates, boolean outputAttentions,
                                 TensorArena out) {
        guard.enter();
        try {
            return run(in, allHiddenStates, outputAttentions ? new AttentionMaps(out) : null, out);
        } finally {
            guard.exit();
        }
    }

    /**
     * The real tokens alone, packed end to end: each sequence attends (globally or within its
     * band) over its own tokens, as transformers' ModernBERT does on its unpadded path. A mask
     * with a hidden token between kept ones runs padded: the band counts positions in the row.
     */
    @Override
    public EncoderOutput forwardUnpadded(EncoderInput in, TensorArena out) {
        PackedTokens packed = pack(in);
        if (packed == null) {
            return forward(in, false, out);
        }
        checkLength(in);
        guard.enter();
        try (TensorArena work = backend.scratch()) {
            Tensor padded = packed.unpack(backend, packedLayers(packed, work), work);
            Tensor logits = head.forward(backend, padded, in, work, out);
            return new EncoderOutput(List.of(Rows.copyOut(backend, padded, in.batch(), in.seq(), out)), logits);
        } finally {
            guard.exit();
        }
    }

    /** The head over the rows asked for alone, after a packed pass where the input packs. */
    @Override
    public Tensor logitsAt(EncoderInput in, long[] positions, TensorArena out) {
        Rows.checkPositions(this, in, positions);
        checkLength(in);
        guard.enter();
        try (TensorArena work = backend.scratch()) {
            PackedTokens packed = pack(in);
            if (packed == null) {
                return Rows.headAt(backend, head, paddedLayers(in, null, null, work, out), positions, work, out);
            }
            return Rows.headAt(backend, head, packedLayers(packed, work), packed.packedIndices(positions), work, out);
        } finally {
            guard.exit();
        }
    }

    /** The real tokens packed, or null where they cannot be (a mask with a hole: the band counts row positions). */
    private static PackedTokens pack(EncoderInput in) {
        PackedTokens packed = PackedTokens.of(in.batch(), in.seq(), in.ids(), in.attentionMask(), null,
                in.absolutePositions());
        return packed == null || !packed.contiguous() ? null : packed;
    }

    /** Every layer and the final norm over the packed tokens alone: their last hidden state [N, C] in work. */
    private Tensor packedLayers(PackedTokens packed, TensorArena work) {
        int n = packed.ids().length;
        Tensor x = work.empty(n, cfg.hidden_size());
        backend.embedding(tokens, backend.longs(packed.ids(), work, n), x);
        embeddingNorm.apply(backend, x, null, null, x);
        AttentionOptions scale = AttentionOptions.scaled((float) (1 / Math.sqrt(cfg.headDim())));
        for (Layer layer : layers) {
            try (TensorArena layerWork = backend.scratch()) {
                layerForward(layer, x, 1, n, packed.positions(), scale, packed.sequences(), null, layerWork);
            }
        }
        finalNorm.apply(backend, x, null, null, x);
        return x;
    }

    private void checkLength(EncoderInput in) {
        if (in.seq() > maxPositions()) {
            throw new IllegalArgumentException("sequence of " + in.seq() + " tokens is longer than the "
                    + maxPositions() + " positions of " + config.source() + "; truncate the input");
        }
    }

    private EncoderOutput run(EncoderInput in, boolean allHiddenStates, AttentionMaps maps, TensorArena out) {
        checkLength(in);
        List<Tensor> hidden = new ArrayList<>();
        try (TensorArena work = backend.scratch()) {
            Tensor x = paddedLayers(in, allHiddenStates ? hidden : null, maps, work, out);
            if (!allHiddenStates) {
                hidden.add(Rows.copyOut(backend, x, in.batch(), in.seq(), out));
            }
            Tensor logits = head.forward(backend, x, in, work, out);
            return new EncoderOutput(List.copyOf(hidden), logits, maps == null ? List.of() : maps.layers());
        }
    }

    /**
     * Every layer and the final norm over the padded rows: the last hidden state [B * S, C] in
     * work; hidden (when not null) gets a copy in out after the embeddings and after each layer
     * (the last after the final norm), maps (when not null) each layer's attention probabilities.
     */
    private Tensor paddedLayers(EncoderInput in, List<Tensor> hidden, AttentionMaps maps, TensorArena work,
                                TensorArena out) {
        int b = in.batch(), s = in.seq();
        Tensor x = work.empty((long) b * s, cfg.hidden_size());
        backend.embedding(tokens, backend.longs(in.ids(), work, in.ids().length), x);
        embeddingNorm.apply(backend, x, null, null, x);
        if (hidden != null) {
            hidden.add(Rows.copyOut(backend, x, b, s, out));
        }
        AttentionOptions padding = PaddingMask.apply(backend, AttentionOptions.scaled(
                (float) (1 / Math.sqrt(cfg.headDim()))), in.attentionMask(), b, s, work);
        long[] positions = in.absolutePositions();
        for (int i = 0; i < layers.size(); i++) {
            try (TensorArena layerWork = backend.scratch()) {
                layerForward(layers.get(i), x, b, s, positions, padding, null, maps, layerWork);
            }
            if (i == layers.size() - 1) { // the last is listed after the final norm, as transformers lists it
                finalNorm.apply(backend, x, null, null, x);
            }
            if (hidden != null) {
                hidden.add(Rows.copyOut(backend, x, b, s, out));
            }
        }
        return x;
    }

    /**
     * x: [B * S, C], replaced by x + attn(n1(x)), then h + mlp(n2(h)); n2 also makes the residual
     * sum h. maps (padded passes only), when not null, get the layer's attention probabilities.
     */
    private void layerForward(Layer l, Tensor x, int b, int s, long[] positions, AttentionOptions padding,
                              LayerStep.Packed packed, AttentionMaps maps, TensorArena arena) {
        Tensor in = l.attnNorm() == null ? x : l.attnNorm().forward(backend, x, null, arena);
        Tensor attended = attention(l, in, b, s, positions, padding, packed, maps, arena);
        long[] shape = x.shape().toArray();
        Tensor h = arena.empty(shape), normed = arena.empty(shape);
        l.mlpNorm().apply(backend, attended, x, h, normed);
        backend.add(h, l.mlp().forward(backend, normed, arena), x);
    }

    /**
     * Wo(attention(rope(q), rope(k), v)) with Wqkv's rows q | k | v; the band of a sliding layer.
     * Packed sequences (one row, b = 1) attend one by one over their own positions.
     */
    private Tensor attention(Layer l, Tensor x, int b, int s, long[] positions, AttentionOptions padding,
                             LayerStep.Packed packed, AttentionMaps maps, TensorArena arena) {
        int heads = cfg.num_attention_heads(), d = cfg.headDim();
        Tensor fused = l.wqkv().forward(backend, x, Activation.NONE, arena).reshape(b, s, 3L * heads, d);
        Tensor q = fused.narrow(2, 0, heads), k = fused.narrow(2, heads, heads), v = fused.narrow(2, 2L * heads, heads);
        Tensor invFreq = l.sliding() ? localInvFreq : globalInvFreq;
        backend.rope(q, positions, invFreq);
        backend.rope(k, positions, invFreq);
        Tensor context = arena.empty(b, s, heads, d);
        if (maps != null) {
            if (l.sliding()) {
                maps.attendBand(backend, q, k, v, padding, cfg.halfWindow(), context, arena);
            } else {
                maps.attend(backend, q, k, v, padding, context, arena);
            }
        } else if (packed == null) {
            attend(l, q, k, v, padding, context);
        } else {
            for (int i = 0; i < packed.starts().length; i++) {
                int from = packed.starts()[i], n = packed.lengths()[i];
                if (n > 0) {
                    attend(l, q.narrow(1, from, n), k.narrow(1, from, n), v.narrow(1, from, n), padding,
                            context.narrow(1, from, n));
                }
            }
        }
        return l.wo().forward(backend, context.reshape((long) b * s, (long) heads * d), Activation.NONE, arena);
    }

    private void attend(Layer l, Tensor q, Tensor k, Tensor v, AttentionOptions options, Tensor context) {
        if (l.sliding()) {
            BidirectionalWindow.attend(backend, q, k, v, options, cfg.halfWindow(), context);
        } else {
            backend.attention(q, k, v, options, context);
        }
    }

    /** Frees the weights once no forward pass is in flight; later calls fail, a second close does nothing. */
    @Override
    public void close() {
        guard.close();
    }

    private void release() {
        try {
            weights.close();
        } finally {
            checkpoint.close();
        }
    }
}
