package org.transformers4j.model.gpt2;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
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

/**
 * GPT-2 (GPT2LMHeadModel, GPT2Model): learned positions, Conv1D weights stored [in, out] and
 * transposed at load, the LM head tied to the token embeddings unless stored.
 */
public final class Gpt2Model {
    private Gpt2Model() {
    }

    /**
     * Builds the model from the checked config (n_embd, n_head, n_layer, n_positions, ...) and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static DecoderModel load(ModelConfig config, Gpt2Config cfg, Weights w, String architecture) {
        w.ignore("(transformer\\.)?h\\.\\d+\\.attn\\.(bias|masked_bias)"); // causal-mask buffers
        int c = cfg.n_embd(), heads = cfg.n_head(), d = cfg.headDim(), inner = cfg.inner();
        double eps = cfg.layer_norm_epsilon();
        Activation act = Activation.fromConfigName(cfg.activation_function());
        String p = w.has("transformer.wte.weight") ? "transformer." : "";
        var tokens = w.get(p + "wte.weight", cfg.vocab_size(), c);
        List<TransformerLayer> stack = new ArrayList<>();
        for (int i = 0; i < cfg.n_layer(); i++) {
            String l = p + "h." + i + ".";
            float scale = (float) ((cfg.scale_attn_weights() ? 1 / Math.sqrt(d) : 1)
                    / (cfg.scale_attn_by_inverse_layer_idx() ? i + 1 : 1));
            var attention = new SelfAttention(conv1d(w, l + "attn.c_attn", c, 3L * c),
                    conv1d(w, l + "attn.c_proj", c, c), heads, heads, d, scale, 0, null, true);
            var ff = new FeedForward.Plain(conv1d(w, l + "mlp.c_fc", c, inner), act,
                    conv1d(w, l + "mlp.c_proj", inner, c));
            stack.add(TransformerLayer.preNorm(LayerNorm.load(w, l + "ln_1", c, eps), attention,
                    LayerNorm.load(w, l + "ln_2", c, eps), ff));
        }
        return assemble(config, w, p, tokens, stack, heads, d, cfg.n_positions(), eps, cfg.tie_word_embeddings(),
                cfg.specialTokens());
    }

    /**
     * The parts GPT-2 and GPT-Neo name alike around their layers: learned positions ({p}wpe),
     * the final norm ({p}ln_f) and the LM head (lm_head, else tied to the token embeddings).
     *
     * @param config the parsed config.json
     * @param w the checkpoint's tensors
     * @param p the prefix of the stack's tensors ("transformer." or "")
     * @param tokens the token embeddings, [V, C]
     * @param stack the loaded layers
     * @param heads H, which is also K: every head has its own keys and values
     * @param d D, the head dimension
     * @param positions the rows of wpe (n_positions, max_position_embeddings)
     * @param eps the final layer norm's epsilon
     * @param tied whether the LM head is the token embedding table when lm_head.weight is absent
     * @param special the special token ids generation and padding use
     * @return the model, which owns its weights
     * @throws org.transformers4j.checkpoint.CheckpointException when a tensor is missing or has another shape
     */
    public static DecoderModel assemble(ModelConfig config, Weights w, String p, Tensor tokens,
                                        List<TransformerLayer> stack, int heads, int d, int positions, double eps,
                                        boolean tied, SpecialTokens special) {
        long vocab = tokens.dim(0), c = tokens.dim(1);
        var head = new Linear(w.tiedOr("lm_head.weight", new long[] {vocab, c}, tokens, tied), null);
        var parts = new TransformerDecoder.Parts(tokens, w.get(p + "wpe.weight", positions, c), stack,
                LayerNorm.load(w, p + "ln_f", c, eps), head, heads, d, positions);
        return new TransformerDecoder(config, w.backend(), w.checkpoint(), w.arena(), parts, special);
    }

    /** A Conv1D layer: weight [in, out] (transposed here), bias [out]. */
    private static Linear conv1d(Weights w, String prefix, long in, long out) {
        return new Linear(w.transposed(prefix + ".weight", in, out), w.get(prefix + ".bias", out));
    }
}
