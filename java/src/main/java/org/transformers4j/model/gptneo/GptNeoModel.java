package org.transformers4j.model.gptneo;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.gpt2.Gpt2Model;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.FeedForward;
import org.transformers4j.nn.LayerNorm;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.SelfAttention;
import org.transformers4j.nn.Weights;
import org.transformers4j.tensor.TensorArena;

/**
 * GPT-Neo (GPTNeoForCausalLM, GPTNeoModel): layers alternate global attention and local attention
 * over the last window_size positions, as attention_types says; scores are not scaled.
 */
public final class GptNeoModel {
    private GptNeoModel() {
    }

    public static DecoderModel load(ModelConfig config, Checkpoint checkpoint, Backend backend, String architecture) {
        int c = config.requireInt("hidden_size"), heads = config.requireInt("num_heads");
        int layers = config.requireInt("num_layers"), positions = config.requireInt("max_position_embeddings");
        int vocab = config.requireInt("vocab_size"), window = config.requireInt("window_size");
        int inner = config.has("intermediate_size") ? config.requireInt("intermediate_size") : 4 * c;
        double eps = config.getDouble("layer_norm_epsilon", 1e-5);
        Activation act = Activation.fromConfigName(config.getString("activation_function", "gelu_new"));
        List<String> types = attentionLayers(config, layers);
        int d = c / heads;
        TensorArena arena = backend.longLived();
        try {
            Weights w = new Weights(checkpoint, arena, backend);
            String p = w.has("transformer.wte.weight") ? "transformer." : "";
            var tokens = w.get(p + "wte.weight", vocab, c);
            List<TransformerLayer> stack = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                String l = p + "h." + i + ".", a = l + "attn.attention.";
                long[] rows = {c, c, c};
                var qkv = new Linear(w.concatRows(c, new String[] {a + "q_proj.weight", a + "k_proj.weight",
                        a + "v_proj.weight"}, rows), null);
                var attention = new SelfAttention(qkv, Linear.load(w, a + "out_proj", c, c), heads, heads, d, 1f,
                        types.get(i).equals("local") ? window : 0, null, true);
                var ff = new FeedForward.Plain(Linear.load(w, l + "mlp.c_fc", inner, c), act,
                        Linear.load(w, l + "mlp.c_proj", c, inner));
                stack.add(TransformerLayer.preNorm(LayerNorm.load(w, l + "ln_1", c, eps), attention,
                        LayerNorm.load(w, l + "ln_2", c, eps), ff));
            }
            return Gpt2Model.assemble(config, backend, checkpoint, w, p, tokens, stack, heads, d, positions, eps);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** "global" or "local" per layer: attention_layers, else attention_types expanded ([[kinds], repeat] ...). */
    static List<String> attentionLayers(ModelConfig config, int layers) {
        List<String> out = new ArrayList<>();
        var json = config.json();
        if (json.has("attention_layers")) {
            json.getAsJsonArray("attention_layers").forEach(e -> out.add(e.getAsString()));
        } else if (json.has("attention_types")) {
            for (var group : json.getAsJsonArray("attention_types")) {
                var pair = group.getAsJsonArray();
                for (int r = 0; r < pair.get(1).getAsInt(); r++) {
                    pair.get(0).getAsJsonArray().forEach(e -> out.add(e.getAsString()));
                }
            }
        }
        if (out.size() != layers || !out.stream().allMatch(t -> t.equals("global") || t.equals("local"))) {
            throw new CheckpointException(config.source() + ": attention_layers/attention_types give " + out
                    + ", expected global or local for each of " + layers + " layers");
        }
        return out;
    }
}
