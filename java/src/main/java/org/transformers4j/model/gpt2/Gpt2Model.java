package org.transformers4j.model.gpt2;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.model.TransformerDecoder;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.FeedForward;
import org.transformers4j.nn.LayerNorm;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.SelfAttention;
import org.transformers4j.nn.Weights;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * GPT-2 (GPT2LMHeadModel, GPT2Model): learned positions, Conv1D weights stored [in, out] and
 * transposed at load, the LM head tied to the token embeddings unless stored.
 */
public final class Gpt2Model {
    private Gpt2Model() {
    }

    /** Builds the model from config.json keys (n_embd, n_head, n_layer, n_positions, ...) and the weights. */
    public static DecoderModel load(ModelConfig config, Checkpoint checkpoint, Backend backend, String architecture) {
        int c = config.requireInt("n_embd"), heads = config.requireInt("n_head");
        int layers = config.requireInt("n_layer"), positions = config.requireInt("n_positions");
        int vocab = config.requireInt("vocab_size");
        int inner = config.has("n_inner") ? config.requireInt("n_inner") : 4 * c;
        double eps = config.getDouble("layer_norm_epsilon", 1e-5);
        Activation act = Activation.fromConfigName(config.getString("activation_function", "gelu_new"));
        if (c % heads != 0) {
            throw new IllegalArgumentException(config.source() + ": n_embd " + c + " is not a multiple of n_head " + heads);
        }
        int d = c / heads;
        boolean scaled = config.getBoolean("scale_attn_weights", true);
        boolean byLayer = config.getBoolean("scale_attn_by_inverse_layer_idx", false);
        TensorArena arena = backend.longLived();
        try {
            Weights w = new Weights(checkpoint, arena, backend);
            String p = w.has("transformer.wte.weight") ? "transformer." : "";
            var tokens = w.get(p + "wte.weight", vocab, c);
            List<TransformerLayer> stack = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                String l = p + "h." + i + ".";
                float scale = (float) ((scaled ? 1 / Math.sqrt(d) : 1) / (byLayer ? i + 1 : 1));
                var attention = new SelfAttention(conv1d(w, l + "attn.c_attn", c, 3L * c),
                        conv1d(w, l + "attn.c_proj", c, c), heads, heads, d, scale, 0, null, true);
                var ff = new FeedForward.Plain(conv1d(w, l + "mlp.c_fc", c, inner), act,
                        conv1d(w, l + "mlp.c_proj", inner, c));
                stack.add(TransformerLayer.preNorm(LayerNorm.load(w, l + "ln_1", c, eps), attention,
                        LayerNorm.load(w, l + "ln_2", c, eps), ff));
            }
            return assemble(config, backend, checkpoint, w, p, tokens, stack, heads, d, positions, eps);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * The parts GPT-2 and GPT-Neo name alike around their layers: learned positions ({p}wpe),
     * the final norm ({p}ln_f) and the LM head (lm_head, else tied to the token embeddings).
     */
    public static DecoderModel assemble(ModelConfig config, Backend backend, Checkpoint checkpoint, Weights w, String p,
                                        Tensor tokens, List<TransformerLayer> stack, int heads, int d, int positions,
                                        double eps) {
        long vocab = tokens.dim(0), c = tokens.dim(1);
        var head = new Linear(w.has("lm_head.weight") ? w.get("lm_head.weight", vocab, c) : tokens, null);
        var parts = new TransformerDecoder.Parts(tokens, w.get(p + "wpe.weight", positions, c), stack,
                LayerNorm.load(w, p + "ln_f", c, eps), head, heads, d, positions);
        return new TransformerDecoder(config, backend, checkpoint, w.arena(), parts, SpecialTokens.from(config));
    }

    /** A Conv1D layer: weight [in, out] (transposed here), bias [out]. */
    private static Linear conv1d(Weights w, String prefix, long in, long out) {
        return new Linear(w.transposed(prefix + ".weight", in, out), w.get(prefix + ".bias", out));
    }
}
