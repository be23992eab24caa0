package org.transformers4j.model.gptneo;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.gpt2.Gpt2Model;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.FeedForward;
import org.transformers4j.nn.LayerNorm;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.SelfAttention;
import org.transformers4j.nn.Weights;

/**
 * GPT-Neo (GPTNeoForCausalLM, GPTNeoModel): layers alternate global attention and local attention
 * over the last window_size positions, as attention_types says; scores are not scaled.
 */
public final class GptNeoModel {
    private GptNeoModel() {
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
    public static DecoderModel load(ModelConfig config, GptNeoConfig cfg, Weights w, String architecture) {
        w.ignore("(transformer\\.)?h\\.\\d+\\.attn\\.attention\\.(bias|masked_bias)"); // causal-mask buffers
        int c = cfg.hidden_size(), heads = cfg.num_heads(), d = cfg.headDim(), inner = cfg.inner();
        double eps = cfg.layer_norm_epsilon();
        Activation act = Activation.fromConfigName(cfg.activation_function());
        String p = w.has("transformer.wte.weight") ? "transformer." : "";
        var tokens = w.get(p + "wte.weight", cfg.vocab_size(), c);
        List<TransformerLayer> stack = new ArrayList<>();
        for (int i = 0; i < cfg.num_layers(); i++) {
            String l = p + "h." + i + ".", a = l + "attn.attention.";
            long[] rows = {c, c, c};
            var qkv = new Linear(w.concatRows(c, new String[] {a + "q_proj.weight", a + "k_proj.weight",
                    a + "v_proj.weight"}, rows), null);
            var attention = new SelfAttention(qkv, Linear.load(w, a + "out_proj", c, c), heads, heads, d, 1f,
                    cfg.layerKind(i).equals("local") ? cfg.window_size() : 0, null, true);
            var ff = new FeedForward.Plain(Linear.load(w, l + "mlp.c_fc", inner, c), act,
                    Linear.load(w, l + "mlp.c_proj", c, inner));
            stack.add(TransformerLayer.preNorm(LayerNorm.load(w, l + "ln_1", c, eps), attention,
                    LayerNorm.load(w, l + "ln_2", c, eps), ff));
        }
        return Gpt2Model.assemble(config, w, p, tokens, stack, heads, d, cfg.max_position_embeddings(), eps,
                cfg.tie_word_embeddings(), cfg.specialTokens());
    }
}
