package org.transformers4j.model.bart;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.model.SpecialTokens;
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
import org.transformers4j.tensor.TensorArena;

/**
 * BART (BartForConditionalGeneration: learned positions offset by 2, layer norm after the
 * embeddings) and Marian (MarianMTModel: sinusoidal positions computed, not stored), both
 * post-norm, with final_logits_bias and optionally scaled embeddings.
 */
public final class BartModel {
    private BartModel() {
    }

    public static Seq2SeqModel load(ModelConfig config, Checkpoint checkpoint, Backend backend, String architecture) {
        boolean marian = config.modelType().equals("marian");
        int d = config.requireInt("d_model"), vocab = config.requireInt("vocab_size");
        int positions = config.requireInt("max_position_embeddings");
        float scale = config.getBoolean("scale_embedding", false) ? (float) Math.sqrt(d) : 1f;
        Activation act = Activation.fromConfigName(config.getString("activation_function", "gelu"));
        TensorArena arena = backend.longLived();
        try {
            Weights w = new Weights(checkpoint, arena, backend);
            String p = w.has("model.shared.weight") || w.has("model.encoder.embed_tokens.weight") ? "model." : "";
            Tensor shared = w.first(new long[] {vocab, d}, p + "shared.weight", p + "encoder.embed_tokens.weight");
            Tensor decoderTokens = marian && w.has(p + "decoder.embed_tokens.weight")
                    ? w.get(p + "decoder.embed_tokens.weight", vocab, d) : shared;
            var encoder = new TransformerSeq2Seq.Stack(embeddings(w, p + "encoder.", shared, scale, positions, d, marian,
                    config), layers(w, p + "encoder.", config, false, act), null, null);
            var decoder = new TransformerSeq2Seq.Stack(embeddings(w, p + "decoder.", decoderTokens, scale, positions, d,
                    marian, config), layers(w, p + "decoder.", config, true, act), null, null);
            Tensor head = w.has("lm_head.weight") ? w.get("lm_head.weight", vocab, d) : decoderTokens;
            Tensor bias = w.has("final_logits_bias") ? w.vector("final_logits_bias", 1, vocab) : null;
            int heads = config.requireInt("decoder_attention_heads");
            var parts = new TransformerSeq2Seq.Parts(encoder, decoder, new Linear(head, bias), 1f, heads, d / heads);
            return new TransformerSeq2Seq(config, backend, checkpoint, arena, parts, SpecialTokens.from(config));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static TokenEmbeddings embeddings(Weights w, String stack, Tensor tokens, float scale, int positions, int d,
                                              boolean marian, ModelConfig config) {
        if (marian) {
            return new TokenEmbeddings(tokens, scale, TokenEmbeddings.sinusoidal(w.backend(), positions, d, w.arena()), 0, null);
        }
        return new TokenEmbeddings(tokens, scale, w.get(stack + "embed_positions.weight", positions + 2L, d), 2,
                LayerNorm.load(w, stack + "layernorm_embedding", d, 1e-5));
    }

    private static List<TransformerLayer> layers(Weights w, String stack, ModelConfig config, boolean decoder,
                                                 Activation act) {
        String side = decoder ? "decoder_" : "encoder_";
        int d = config.requireInt("d_model"), count = config.requireInt(side + "layers");
        int heads = config.requireInt(side + "attention_heads"), ff = config.requireInt(side + "ffn_dim");
        int hd = d / heads;
        float scale = (float) (1 / Math.sqrt(hd));
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
                crossNorm = LayerNorm.load(w, l + "encoder_attn_layer_norm", d, 1e-5);
            }
            out.add(new TransformerLayer(false, LayerNorm.load(w, l + "self_attn_layer_norm", d, 1e-5), self, crossNorm,
                    cross, LayerNorm.load(w, l + "final_layer_norm", d, 1e-5),
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
