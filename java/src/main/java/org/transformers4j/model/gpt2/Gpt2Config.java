package org.transformers4j.model.gpt2;

import static org.transformers4j.model.ConfigChecks.activation;
import static org.transformers4j.model.ConfigChecks.finitePositive;
import static org.transformers4j.model.ConfigChecks.intProduct;
import static org.transformers4j.model.ConfigChecks.multipleOf;
import static org.transformers4j.model.ConfigChecks.positive;
import static org.transformers4j.model.ConfigChecks.tensor;
import static org.transformers4j.model.ConfigChecks.tokenId;
import static org.transformers4j.model.ConfigChecks.tokenIds;

import com.google.gson.JsonObject;
import java.util.Map;
import org.transformers4j.model.ConfigReader;
import org.transformers4j.model.FamilyConfig;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.model.TokenIds;

/**
 * The keys of a GPT-2 config.json, with Hugging Face's defaults for missing ones (transformers'
 * GPT2Config, whose attribute_map also accepts hidden_size, max_position_embeddings,
 * num_attention_heads and num_hidden_layers for n_embd, n_positions, n_head and n_layer), checked
 * when made.
 *
 * @param n_inner the feed-forward size, or null for 4 n_embd
 * @param add_cross_attention only false: cross-attention layers need an encoder
 * @param vocab_size V, rows of the token embedding table
 * @param n_positions the longest sequence: rows of the position embedding table
 * @param n_embd C, the width of the hidden states
 * @param n_layer the number of transformer layers
 * @param n_head H, the attention heads
 * @param activation_function the feed-forward activation, by its Hugging Face name
 * @param layer_norm_epsilon the epsilon of the layer norms
 * @param scale_attn_weights whether attention scores are divided by the square root of D
 * @param scale_attn_by_inverse_layer_idx whether attention scores are also divided by the layer's number (1-based)
 * @param bos_token_id the beginning-of-sequence token, or null
 * @param eos_token_id the end-of-sequence token or tokens, or null
 * @param pad_token_id the padding token, or null
 * @param tie_word_embeddings whether the output projection shares the token embedding table
 */
public record Gpt2Config(int vocab_size, int n_positions, int n_embd, int n_layer, int n_head, Integer n_inner,
                         String activation_function, double layer_norm_epsilon, boolean scale_attn_weights,
                         boolean scale_attn_by_inverse_layer_idx, boolean add_cross_attention, Integer bos_token_id,
                         TokenIds eos_token_id, Integer pad_token_id, boolean tie_word_embeddings)
        implements FamilyConfig {

    private static final Map<String, String> ALIASES = Map.of("hidden_size", "n_embd", "max_position_embeddings",
            "n_positions", "num_attention_heads", "n_head", "num_hidden_layers", "n_layer");
    private static final JsonObject DEFAULTS = ConfigReader.defaults("""
            {"vocab_size": 50257, "n_positions": 1024, "n_embd": 768, "n_layer": 12, "n_head": 12,
             "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "scale_attn_weights": true,
             "scale_attn_by_inverse_layer_idx": false, "add_cross_attention": false, "bos_token_id": 50256,
             "eos_token_id": 50256, "tie_word_embeddings": true}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public Gpt2Config {
        positive("vocab_size", vocab_size);
        positive("n_positions", n_positions);
        positive("n_embd", n_embd);
        positive("n_layer", n_layer);
        positive("n_head", n_head);
        multipleOf("n_embd", n_embd, "n_head", n_head);
        int inner = n_inner != null ? n_inner : intProduct("4", 4, "n_embd", n_embd);
        positive("n_inner", inner);
        activation("activation_function", activation_function);
        finitePositive("layer_norm_epsilon", layer_norm_epsilon);
        if (add_cross_attention) {
            throw new IllegalArgumentException("add_cross_attention true is not supported (GPT-2 as a decoder of an"
                    + " encoder-decoder model)");
        }
        tensor("vocab_size", vocab_size, "n_embd", n_embd);
        tensor("n_positions", n_positions, "n_embd", n_embd);
        tensor("n_inner", inner, "n_embd", n_embd);
        tensor("3 x n_embd", 3L * n_embd, "n_embd", n_embd);
        tokenId("bos_token_id", bos_token_id, "vocab_size", vocab_size);
        tokenIds("eos_token_id", eos_token_id, "vocab_size", vocab_size);
        tokenId("pad_token_id", pad_token_id, "vocab_size", vocab_size);
    }

    /**
     * Reads and checks config.json.
     *
     * @param c the parsed config.json
     * @return the checked config
     */
    public static Gpt2Config from(ModelConfig c) {
        return ConfigReader.read(c, Gpt2Config.class, ALIASES, DEFAULTS);
    }

    /** {@return the feed-forward size: n_inner, else 4 n_embd} */
    public int inner() {
        return n_inner != null ? n_inner : 4 * n_embd;
    }

    /** {@return D, the size of a head} */
    public int headDim() {
        return n_embd / n_head;
    }

    @Override
    public SpecialTokens specialTokens() {
        return SpecialTokens.of(bos_token_id, eos_token_id, pad_token_id, null);
    }
}
