package org.transformers4j.model.llama;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.model.TransformerDecoder;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.FeedForward;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.RmsNorm;
import org.transformers4j.nn.SelfAttention;
import org.transformers4j.nn.Weights;
import org.transformers4j.tensor.TensorArena;

/**
 * Llama (LlamaForCausalLM, LlamaModel): rotary positions with rope_theta (and linear or Llama 3
 * scaling), RMS norm, SwiGLU,
 * grouped-query attention with num_key_value_heads, a tied or untied LM head.
 */
public final class LlamaModel {
    private LlamaModel() {
    }

    public static DecoderModel load(ModelConfig config, Checkpoint checkpoint, Backend backend, String architecture) {
        int c = config.requireInt("hidden_size"), heads = config.requireInt("num_attention_heads");
        int kvHeads = config.getInt("num_key_value_heads", heads), layers = config.requireInt("num_hidden_layers");
        int ff = config.requireInt("intermediate_size"), vocab = config.requireInt("vocab_size");
        int positions = config.requireInt("max_position_embeddings");
        int d = config.getInt("head_dim", c / heads);
        double eps = config.getDouble("rms_norm_eps", 1e-6);
        boolean attnBias = config.getBoolean("attention_bias", false), mlpBias = config.getBoolean("mlp_bias", false);
        Activation act = Activation.fromConfigName(config.getString("hidden_act", "silu"));
        if (heads % kvHeads != 0) {
            throw new CheckpointException(config.source() + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        float[] invFreq = RopeFrequencies.fromConfig(config, d);
        TensorArena arena = backend.longLived();
        try {
            var rope = new SelfAttention.Rope(backend.floats(invFreq, arena, invFreq.length));
            Weights w = new Weights(checkpoint, arena, backend);
            String p = w.has("model.embed_tokens.weight") ? "model." : "";
            var tokens = w.get(p + "embed_tokens.weight", vocab, c);
            List<TransformerLayer> stack = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                String l = p + "layers." + i + ".", a = l + "self_attn.", m = l + "mlp.";
                long q = (long) heads * d, kv = (long) kvHeads * d;
                long[] rows = {q, kv, kv};
                String[] names = {a + "q_proj", a + "k_proj", a + "v_proj"};
                var qkv = new Linear(w.concatRows(c, suffixed(names, ".weight"), rows),
                        attnBias ? w.concat(suffixed(names, ".bias"), rows) : null);
                var attention = new SelfAttention(qkv, linear(w, a + "o_proj", c, q, attnBias), heads, kvHeads, d,
                        (float) (1 / Math.sqrt(d)), 0, rope, true);
                String[] gateUp = {m + "gate_proj", m + "up_proj"};
                var gated = new FeedForward.Gated(new Linear(w.concatRows(c, suffixed(gateUp, ".weight"),
                        new long[] {ff, ff}), mlpBias ? w.concat(suffixed(gateUp, ".bias"), new long[] {ff, ff}) : null),
                        act, linear(w, m + "down_proj", c, ff, mlpBias));
                stack.add(TransformerLayer.preNorm(RmsNorm.load(w, l + "input_layernorm", c, eps), attention,
                        RmsNorm.load(w, l + "post_attention_layernorm", c, eps), gated));
            }
            var head = new Linear(w.has("lm_head.weight") ? w.get("lm_head.weight", vocab, c) : tied(config, tokens), null);
            var parts = new TransformerDecoder.Parts(tokens, null, stack, RmsNorm.load(w, p + "norm", c, eps), head,
                    kvHeads, d, positions);
            return new TransformerDecoder(config, backend, checkpoint, arena, parts, SpecialTokens.from(config));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static org.transformers4j.tensor.Tensor tied(ModelConfig config, org.transformers4j.tensor.Tensor tokens) {
        if (!config.getBoolean("tie_word_embeddings", false)) {
            throw new CheckpointException(config.source() + ": missing parameter lm_head.weight (and "
                    + "tie_word_embeddings is false)");
        }
        return tokens;
    }

    private static Linear linear(Weights w, String prefix, long out, long in, boolean bias) {
        return new Linear(w.get(prefix + ".weight", out, in), bias ? w.get(prefix + ".bias", out) : null);
    }

    private static String[] suffixed(String[] names, String suffix) {
        String[] out = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            out[i] = names[i] + suffix;
        }
        return out;
    }
}
