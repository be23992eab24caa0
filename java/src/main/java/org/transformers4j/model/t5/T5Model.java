package org.transformers4j.model.t5;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.Seq2SeqModel;
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

/**
 * T5 (T5ForConditionalGeneration; T5 v1.1 and Flan-T5 with feed_forward_proj "gated-gelu"):
 * pre-norm with RMS norms, unscaled attention, relative position buckets (bidirectional in the
 * encoder, causal in the decoder) added to every self-attention's scores, an LM head tied to the
 * embeddings (scaled by d_model^-0.5) or stored apart; and mT5 (MT5ForConditionalGeneration, the
 * same modules under the same names), whose head is never scaled.
 */
public final class T5Model {
    private T5Model() {
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
    public static Seq2SeqModel load(ModelConfig config, T5Config cfg, Weights w, String architecture) {
        // transformers' _keys_to_ignore_on_load_unexpected: a bias old checkpoints store and no layer uses
        w.ignore("decoder\\.block\\.0\\.layer\\.1\\.EncDecAttention\\.relative_attention_bias\\.weight");
        int d = cfg.d_model(), vocab = cfg.vocab_size();
        float logitScale = cfg.scalesDecoderOutputs() ? (float) Math.pow(d, -0.5) : 1f;
        long[] table = {vocab, d};
        Tensor shared = w.first(table, "shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight");
        var tokens = new TokenEmbeddings(shared, 1f, null, 0, null);
        var encoder = stack(w, "encoder.", cfg, tokens, false);
        var decoder = stack(w, "decoder.", cfg, tokens, true);
        Tensor head = w.tiedOr("lm_head.weight", table, shared, cfg.tie_word_embeddings());
        var parts = new TransformerSeq2Seq.Parts(encoder, decoder, new Linear(head, null), logitScale, cfg.num_heads(),
                cfg.d_kv());
        return new TransformerSeq2Seq(config, w.backend(), w.checkpoint(), w.arena(), parts, cfg.specialTokens());
    }

    private static TransformerSeq2Seq.Stack stack(Weights w, String stack, T5Config cfg, TokenEmbeddings tokens,
                                                  boolean decoder) {
        int d = cfg.d_model(), heads = cfg.num_heads(), dkv = cfg.d_kv();
        int count = decoder ? cfg.decoderLayers() : cfg.num_layers();
        double eps = cfg.layer_norm_epsilon();
        long inner = (long) heads * dkv;
        List<TransformerLayer> layers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String b = stack + "block." + i + ".layer.", a = b + "0.SelfAttention.";
            var self = new SelfAttention(new Linear(w.concatRows(d, new String[] {a + "q.weight", a + "k.weight",
                    a + "v.weight"}, new long[] {inner, inner, inner}), null),
                    new Linear(w.get(a + "o.weight", d, inner), null), heads, heads, dkv, 1f, 0, null, decoder);
            int ffIndex = decoder ? 2 : 1;
            var ff = feedForward(w, b + ffIndex + ".DenseReluDense.", cfg);
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
                cfg.relative_attention_num_buckets(), heads, cfg.relative_attention_max_distance(), !decoder);
        return new TransformerSeq2Seq.Stack(tokens, layers, RmsNorm.load(w, stack + "final_layer_norm", d, eps), bias);
    }

    /** DenseReluDense: wo(act(wi x)), or gated wo(act(wi_0 x) * wi_1 x). */
    private static FeedForward feedForward(Weights w, String prefix, T5Config cfg) {
        int d = cfg.d_model(), ff = cfg.d_ff();
        Activation act = Activation.fromConfigName(cfg.activationName());
        Linear down = new Linear(w.get(prefix + "wo.weight", d, ff), null);
        if (cfg.gated()) {
            return new FeedForward.Gated(new Linear(w.concatRows(d, new String[] {prefix + "wi_0.weight",
                    prefix + "wi_1.weight"}, new long[] {ff, ff}), null), act, down);
        }
        return new FeedForward.Plain(new Linear(w.get(prefix + "wi.weight", ff, d), null), act, down);
    }
}
