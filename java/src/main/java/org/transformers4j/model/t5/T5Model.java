package org.transformers4j.model.t5;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.model.TransformerSeq2Seq;
import org.transformers4j.nn.CrossAttention;
import org.transformers4j.nn.FeedForward;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.RelativePositionBias;
import org.transformers4j.nn.RmsNorm;
import org.transformers4j.nn.SelfAttention;
import org.transformers4j.nn.TokenEmbeddings;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.Weights;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * T5 (T5ForConditionalGeneration; T5 v1.1 and Flan-T5 with feed_forward_proj "gated-gelu"):
 * pre-norm with RMS norms, unscaled attention, relative position buckets computed once per stack
 * (bidirectional in the encoder, causal in the decoder) and given to the attention kernel as a
 * bias, an LM head tied to the embeddings (scaled by d_model^-0.5) or stored apart.
 */
public final class T5Model {
    private T5Model() {
    }

    public static Seq2SeqModel load(ModelConfig config, Checkpoint checkpoint, Backend backend, String architecture) {
        int d = config.requireInt("d_model"), vocab = config.requireInt("vocab_size");
        int heads = config.requireInt("num_heads"), dkv = config.requireInt("d_kv");
        boolean tied = config.getBoolean("tie_word_embeddings", true);
        float logitScale = config.getBoolean("scale_decoder_outputs", tied) ? (float) Math.pow(d, -0.5) : 1f;
        TensorArena arena = backend.longLived();
        try {
            Weights w = new Weights(checkpoint, arena, backend);
            Tensor shared = w.first(new long[] {vocab, d}, "shared.weight", "encoder.embed_tokens.weight");
            var tokens = new TokenEmbeddings(shared, 1f, null, 0, null);
            var encoder = stack(w, "encoder.", config, tokens, false);
            var decoder = stack(w, "decoder.", config, tokens, true);
            Tensor head;
            if (w.has("lm_head.weight")) {
                head = w.get("lm_head.weight", vocab, d);
            } else if (tied) {
                head = shared;
            } else {
                throw new CheckpointException(checkpoint.source() + ": missing parameter lm_head.weight "
                        + "(tie_word_embeddings is false)");
            }
            var parts = new TransformerSeq2Seq.Parts(encoder, decoder, new Linear(head, null), logitScale, heads, dkv);
            return new TransformerSeq2Seq(config, backend, checkpoint, arena, parts, SpecialTokens.from(config));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static TransformerSeq2Seq.Stack stack(Weights w, String stack, ModelConfig config, TokenEmbeddings tokens,
                                                  boolean decoder) {
        int d = config.requireInt("d_model"), heads = config.requireInt("num_heads"), dkv = config.requireInt("d_kv");
        int count = decoder ? config.getInt("num_decoder_layers", config.requireInt("num_layers"))
                : config.requireInt("num_layers");
        double eps = config.getDouble("layer_norm_epsilon", 1e-6);
        long inner = (long) heads * dkv;
        List<TransformerLayer> layers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String b = stack + "block." + i + ".layer.", a = b + "0.SelfAttention.";
            var self = new SelfAttention(new Linear(w.concatRows(d, new String[] {a + "q.weight", a + "k.weight",
                    a + "v.weight"}, new long[] {inner, inner, inner}), null),
                    new Linear(w.get(a + "o.weight", d, inner), null), heads, heads, dkv, 1f, 0, null, decoder);
            int ffIndex = decoder ? 2 : 1;
            var ff = feedForward(w, b + ffIndex + ".DenseReluDense.", config, d);
            var selfNorm = RmsNorm.load(w, b + "0.layer_norm", d, eps);
            var ffNorm = RmsNorm.load(w, b + ffIndex + ".layer_norm", d, eps);
            if (decoder) {
                String c = b + "1.EncDecAttention.";
                var cross = new CrossAttention(new Linear(w.get(c + "q.weight", inner, d), null),
                        new Linear(w.concatRows(d, new String[] {c + "k.weight", c + "v.weight"},
                                new long[] {inner, inner}), null),
                        new Linear(w.get(c + "o.weight", d, inner), null), heads, dkv, 1f);
                layers.add(new TransformerLayer(true, selfNorm, self, RmsNorm.load(w, b + "1.layer_norm", d, eps), cross,
                        ffNorm, ff));
            } else {
                layers.add(TransformerLayer.preNorm(selfNorm, self, ffNorm, ff));
            }
        }
        var bias = RelativePositionBias.load(w, stack + "block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                config.getInt("relative_attention_num_buckets", 32), heads,
                config.getInt("relative_attention_max_distance", 128), !decoder);
        return new TransformerSeq2Seq.Stack(tokens, layers, RmsNorm.load(w, stack + "final_layer_norm", d, eps), bias);
    }

    /** DenseReluDense: wo(act(wi x)), or gated wo(act(wi_0 x) * wi_1 x) for "gated-*" projections. */
    private static FeedForward feedForward(Weights w, String prefix, ModelConfig config, int d) {
        int ff = config.requireInt("d_ff");
        String proj = config.getString("feed_forward_proj", "relu");
        boolean gated = proj.startsWith("gated-");
        String actName = proj.substring(proj.lastIndexOf('-') + 1);
        if (gated && actName.equals("gelu")) {
            actName = "gelu_new"; // as Hugging Face maps "gated-gelu"
        }
        Activation act = Activation.fromConfigName(config.getString("dense_act_fn", actName));
        Linear down = new Linear(w.get(prefix + "wo.weight", d, ff), null);
        if (gated) {
            return new FeedForward.Gated(new Linear(w.concatRows(d, new String[] {prefix + "wi_0.weight",
                    prefix + "wi_1.weight"}, new long[] {ff, ff}), null), act, down);
        }
        return new FeedForward.Plain(new Linear(w.get(prefix + "wi.weight", ff, d), null), act, down);
    }
}
