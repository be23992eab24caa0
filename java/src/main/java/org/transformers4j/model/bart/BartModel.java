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
import org.transformers4j.nn.SelfAttention;
import org.transformers4j.nn.TokenEmbeddings;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.Weights;
import org.transformers4j.tensor.Tensor;

/**
 * BART (BartForConditionalGeneration: learned positions offset by 2, layer norm after the
 * embeddings) and Marian (MarianMTModel: sinusoidal positions computed, not read), both
 * post-norm, with final_logits_bias and optionally scaled embeddings.
 */
public final class BartModel {
    private BartModel() {
    }

    /** Builds the model from the checked config and the weights. */
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
        if (marian) {
            requireHeapFor(config, positions, d);
        }
        var encoder = new TransformerSeq2Seq.Stack(embeddings(w, p + "encoder.", sourceTokens, scale, positions, d,
                marian), layers(w, p + "encoder.", cfg, false, act), null, null);
        var decoder = new TransformerSeq2Seq.Stack(embeddings(w, p + "decoder.", targetTokens, scale, positions, d,
                marian), layers(w, p + "decoder.", cfg, true, act), null, null);
        Tensor head = w.tiedOr("lm_head.weight", new long[] {target, d}, targetTokens, cfg.tie_word_embeddings());
        // a buffer of zeros where older checkpoints lack it, as transformers
        Tensor bias = w.has("final_logits_bias") ? w.vector("final_logits_bias", 1, target) : null;
        int heads = cfg.decoder_attention_heads();
        var parts = new TransformerSeq2Seq.Parts(encoder, decoder, new Linear(head, bias), 1f, heads, d / heads);
        return new TransformerSeq2Seq(config, w.backend(), w.checkpoint(), w.arena(), parts, cfg.specialTokens());
    }

    /** Marian's sinusoidal table is computed on the heap, sized by the config alone: it must fit easily. */
    private static void requireHeapFor(ModelConfig config, int positions, int d) {
        long bytes = 4L * positions * d, heap = Runtime.getRuntime().maxMemory();
        if (bytes > heap / 4) {
            throw new CheckpointException(config.source() + ": max_position_embeddings " + positions + " x d_model " + d
                    + " make a sinusoidal position table of " + (bytes >> 20) + " MiB, more than a quarter of the "
                    + (heap >> 20) + " MiB heap");
        }
    }

    private static TokenEmbeddings embeddings(Weights w, String stack, Tensor tokens, float scale, int positions, int d,
                                              boolean marian) {
        if (marian) {
            w.skip(stack + "embed_positions.weight", positions, d); // stored by older versions; computed here
            Tensor table = TokenEmbeddings.sinusoidal(w.backend(), positions, d, w.arena());
            return new TokenEmbeddings(tokens, scale, table, 0, null);
        }
        return new TokenEmbeddings(tokens, scale, w.get(stack + "embed_positions.weight", positions + 2L, d), 2,
                LayerNorm.load(w, stack + "layernorm_embedding", d, BartConfig.LAYER_NORM_EPS));
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
            out.add(new TransformerLayer(false, LayerNorm.load(w, l + "self_attn_layer_norm", d, eps), self, crossNorm,
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
