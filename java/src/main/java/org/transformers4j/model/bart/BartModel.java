package org.transformers4j.model.bart;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.model.TransformerSeq2Seq;
import org.transformers4j.nn.CrossAttention;
import org.transformers4j.nn.FeedForward;
import org.transformers4j.nn.LayerNorm;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.Norm;
import org.transformers4j.nn.SelfAttention;
import org.transformers4j.nn.TokenEmbeddings;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.Weights;
import org.transformers4j.tensor.Tensor;

/**
 * BART (BartForConditionalGeneration: learned positions offset by 2, layer norm after the
 * embeddings, post-norm), Marian (MarianMTModel: sinusoidal positions computed, not read,
 * post-norm), mBART (MBartForConditionalGeneration: BART's embeddings, pre-norm layers and a
 * layer norm after each stack) and Pegasus (PegasusForConditionalGeneration: sinusoidal
 * positions, pre-norm layers and a layer norm after each stack), all with final_logits_bias and
 * optionally scaled embeddings.
 */
public final class BartModel {
    private BartModel() {
    }

    /**
     * Builds the model from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static Seq2SeqModel load(ModelConfig config, BartConfig cfg, Weights w, String architecture) {
        w.ignore("(model\\.)?(encoder|decoder)\\.version"); // fairseq leftovers
        boolean marian = cfg.isMarian();
        int d = cfg.d_model(), vocab = cfg.vocab_size(), target = cfg.targetVocabSize();
        int positions = cfg.max_position_embeddings();
        float scale = cfg.scale_embedding() ? (float) Math.sqrt(d) : 1f;
        Activation act = Activation.fromConfigName(cfg.activation_function());
        String p = w.has("model.shared.weight") || w.has("model.encoder.embed_tokens.weight") ? "model." : "";
        String sharedName = p + "shared.weight", encoderName = p + "encoder.embed_tokens.weight";
        String decoderName = p + "decoder.embed_tokens.weight";
        Tensor sourceTokens, targetTokens;
        if (!marian || cfg.share_encoder_decoder_embeddings()) {
            sourceTokens = w.first(new long[] {vocab, d}, sharedName, encoderName, decoderName);
            targetTokens = sourceTokens;
        } else {
            sourceTokens = w.first(new long[] {vocab, d}, encoderName, sharedName);
            targetTokens = w.get(decoderName, target, d);
        }
        if (!cfg.learnedPositions()) {
            requireHeapFor(config, positions, d);
        }
        var encoder = new TransformerSeq2Seq.Stack(embeddings(w, p + "encoder.", sourceTokens, scale, cfg),
                layers(w, p + "encoder.", cfg, false, act), finalNorm(w, p + "encoder.", cfg), null);
        var decoder = new TransformerSeq2Seq.Stack(embeddings(w, p + "decoder.", targetTokens, scale, cfg),
                layers(w, p + "decoder.", cfg, true, act), finalNorm(w, p + "decoder.", cfg), null);
        Tensor head = w.tiedOr("lm_head.weight", new long[] {target, d}, targetTokens, cfg.tie_word_embeddings());
        // a buffer of zeros where older checkpoints lack it, as transformers
        Tensor bias = w.has("final_logits_bias") ? w.vector("final_logits_bias", 1, target) : null;
        int heads = cfg.decoder_attention_heads();
        var parts = new TransformerSeq2Seq.Parts(encoder, decoder, new Linear(head, bias), 1f, heads, d / heads);
        return new TransformerSeq2Seq(config, w.backend(), w.checkpoint(), w.arena(), parts, cfg.specialTokens());
    }

    /** A sinusoidal table (Marian, Pegasus) is computed on the heap, sized by the config alone: it must fit easily. */
    private static void requireHeapFor(ModelConfig config, int positions, int d) {
        long bytes = 4L * positions * d, heap = Runtime.getRuntime().maxMemory();
        if (bytes > heap / 4) {
            throw new CheckpointException(config.source() + ": max_position_embeddings " + positions + " x d_model " + d
                    + " make a sinusoidal position table of " + (bytes >> 20) + " MiB, more than a quarter of the "
                    + (heap >> 20) + " MiB heap");
        }
    }

    private static TokenEmbeddings embeddings(Weights w, String stack, Tensor tokens, float scale, BartConfig cfg) {
        int positions = cfg.max_position_embeddings(), d = cfg.d_model();
        String name = stack + "embed_positions.weight";
        if (cfg.learnedPositions()) {
            Norm norm = cfg.embeddingNorm()
                    ? LayerNorm.load(w, stack + "layernorm_embedding", d, BartConfig.LAYER_NORM_EPS) : null;
            return new TokenEmbeddings(tokens, scale, w.get(name, positions + 2L, d), 2, norm);
        }
        return new TokenEmbeddings(tokens, scale, sinusoidalTable(w, name, cfg), 0, null);
    }

    /**
     * The sinusoidal position table: Pegasus checkpoints store it (transformers saves and loads it
     * as a parameter), so the stored one is used where present, else it is computed; Marian's is
     * computed as before (transformers does not save it; older checkpoints hold the same values).
     */
    private static Tensor sinusoidalTable(Weights w, String name, BartConfig cfg) {
        int positions = cfg.max_position_embeddings(), d = cfg.d_model();
        if (!cfg.isMarian() && w.has(name)) {
            return w.get(name, positions, d);
        }
        w.skip(name, positions, d);
        return TokenEmbeddings.sinusoidal(w.backend(), positions, d, w.arena());
    }

    /** The layer norm after a pre-norm stack's last layer (mBART, Pegasus), or none. */
    private static Norm finalNorm(Weights w, String stack, BartConfig cfg) {
        return cfg.preNorm() ? LayerNorm.load(w, stack + "layer_norm", cfg.d_model(), BartConfig.LAYER_NORM_EPS) : null;
    }

    private static List<TransformerLayer> layers(Weights w, String stack, BartConfig cfg, boolean decoder,
                                                 Activation act) {
        int d = cfg.d_model(), count = decoder ? cfg.decoder_layers() : cfg.encoder_layers();
        int heads = decoder ? cfg.decoder_attention_heads() : cfg.encoder_attention_heads();
        int ff = decoder ? cfg.decoder_ffn_dim() : cfg.encoder_ffn_dim();
        int hd = d / heads;
        float scale = (float) (1 / Math.sqrt(hd));
        double eps = BartConfig.LAYER_NORM_EPS;
        List<TransformerLayer> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String l = stack + "layers." + i + ".";
            var self = new SelfAttention(fused(w, l + "self_attn.", d, new String[] {"q_proj", "k_proj", "v_proj"}),
                    Linear.load(w, l + "self_attn.out_proj", d, d), heads, heads, hd, scale, 0, null, decoder);
            CrossAttention cross = null;
            LayerNorm crossNorm = null;
            if (decoder) {
                String c = l + "encoder_attn.";
                cross = new CrossAttention(Linear.load(w, c + "q_proj", d, d),
                        fused(w, c, d, new String[] {"k_proj", "v_proj"}), Linear.load(w, c + "out_proj", d, d), heads,
                        hd, scale);
                crossNorm = LayerNorm.load(w, l + "encoder_attn_layer_norm", d, eps);
            }
            out.add(new TransformerLayer(cfg.preNorm(), LayerNorm.load(w, l + "self_attn_layer_norm", d, eps), self, crossNorm,
                    cross, LayerNorm.load(w, l + "final_layer_norm", d, eps),
                    new FeedForward.Plain(Linear.load(w, l + "fc1", ff, d), act, Linear.load(w, l + "fc2", d, ff))));
        }
        return out;
    }

    /** Projections {prefix}{name}.weight / .bias stacked into one linear layer, in the order given. */
    private static Linear fused(Weights w, String prefix, int d, String[] names) {
        String[] weights = new String[names.length], biases = new String[names.length];
        long[] rows = new long[names.length];
        for (int i = 0; i < names.length; i++) {
            weights[i] = prefix + names[i] + ".weight";
            biases[i] = prefix + names[i] + ".bias";
            rows[i] = d;
        }
        return new Linear(w.concatRows(d, weights, rows), w.concat(biases, rows));
    }
}
