package org.transformers4j.model.llama;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.TransformerDecoder;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.FeedForward;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.RmsNorm;
import org.transformers4j.nn.SelfAttention;
import org.transformers4j.nn.Weights;

/**
 * Llama (LlamaForCausalLM, LlamaModel): rotary positions with rope_theta (and linear or Llama 3
 * scaling), RMS norm, SwiGLU,
 * grouped-query attention with num_key_value_heads, a tied or untied LM head.
 */
public final class LlamaModel {
    private LlamaModel() {
    }

    /** Builds the model from the checked config and the weights. */
    public static DecoderModel load(ModelConfig config, LlamaConfig cfg, Weights w, String architecture) {
        w.ignore("(model\\.)?(layers\\.\\d+\\.self_attn\\.)?rotary_emb\\.inv_freq"); // a buffer older checkpoints store
        int c = cfg.hidden_size(), heads = cfg.num_attention_heads(), kvHeads = cfg.kvHeads(), d = cfg.headDim();
        int ff = cfg.intermediate_size();
        double eps = cfg.rms_norm_eps();
        boolean attnBias = cfg.attention_bias(), mlpBias = cfg.mlp_bias();
        Activation act = Activation.fromConfigName(cfg.hidden_act());
        SelfAttention.Rope rope = null;
        String p = w.has("model.embed_tokens.weight") ? "model." : "";
        var tokens = w.get(p + "embed_tokens.weight", cfg.vocab_size(), c);
        List<TransformerLayer> stack = new ArrayList<>();
        for (int i = 0; i < cfg.num_hidden_layers(); i++) {
            String l = p + "layers." + i + ".", a = l + "self_attn.", m = l + "mlp.";
            long q = (long) heads * d, kv = (long) kvHeads * d;
            long[] rows = {q, kv, kv};
            String[] names = {a + "q_proj", a + "k_proj", a + "v_proj"};
            var qkv = new Linear(w.concatRows(c, suffixed(names, ".weight"), rows),
                    attnBias ? w.concat(suffixed(names, ".bias"), rows) : null);
            if (rope == null) { // sized by head_dim once the checkpoint has confirmed it
                float[] invFreq = RopeFrequencies.of(cfg.rope(), d);
                rope = new SelfAttention.Rope(w.backend().floats(invFreq, w.arena(), invFreq.length));
            }
            var attention = new SelfAttention(qkv, Linear.load(w, a + "o_proj", c, q, attnBias), heads, kvHeads, d,
                    (float) (1 / Math.sqrt(d)), 0, rope, true);
            String[] gateUp = {m + "gate_proj", m + "up_proj"};
            var gated = new FeedForward.Gated(new Linear(w.concatRows(c, suffixed(gateUp, ".weight"),
                    new long[] {ff, ff}), mlpBias ? w.concat(suffixed(gateUp, ".bias"), new long[] {ff, ff}) : null),
                    act, Linear.load(w, m + "down_proj", c, ff, mlpBias));
            stack.add(TransformerLayer.preNorm(RmsNorm.load(w, l + "input_layernorm", c, eps), attention,
                    RmsNorm.load(w, l + "post_attention_layernorm", c, eps), gated));
        }
        var head = new Linear(w.tiedOr("lm_head.weight", new long[] {cfg.vocab_size(), c}, tokens,
                cfg.tie_word_embeddings()), null);
        var parts = new TransformerDecoder.Parts(tokens, null, stack, RmsNorm.load(w, p + "norm", c, eps), head,
                kvHeads, d, cfg.max_position_embeddings());
        return new TransformerDecoder(config, w.backend(), w.checkpoint(), w.arena(), parts, cfg.specialTokens());
    }

    private static String[] suffixed(String[] names, String suffix) {
        String[] out = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            out[i] = names[i] + suffix;
        }
        return out;
    }
}
