package org.transformers4j.model.distilbert;

import static org.transformers4j.model.ConfigChecks.multipleOf;
import static org.transformers4j.model.ConfigChecks.positive;
import static org.transformers4j.model.ConfigChecks.tensor;
import static org.transformers4j.model.ConfigChecks.tokenId;
import static org.transformers4j.model.ConfigChecks.tokenIds;

import com.google.gson.JsonObject;
import java.util.Map;
import org.transformers4j.model.ConfigChecks;
import org.transformers4j.model.ConfigReader;
import org.transformers4j.model.FamilyConfig;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.model.TokenIds;

/**
 * The keys of a DistilBERT config.json, with Hugging Face's defaults for missing ones
 * (transformers' DistilBertConfig, whose attribute_map also accepts hidden_size, num_attention_heads
 * and num_hidden_layers for dim, n_heads and n_layers), checked when made.
 *
 * @param sinusoidal_pos_embds whether the stored position table was initialised sinusoidally (it is read either way)
 * @param vocab_size V, rows of the token embedding table
 * @param dim C, the width of the hidden states
 * @param n_layers the number of transformer layers
 * @param n_heads H, the attention heads
 * @param hidden_dim F, the feed-forward width
 * @param activation the feed-forward activation, by its Hugging Face name
 * @param max_position_embeddings the longest sequence the position embeddings (or the rotary settings) are made for
 * @param pad_token_id the padding token, or null
 * @param bos_token_id the beginning-of-sequence token, or null
 * @param eos_token_id the end-of-sequence token or tokens, or null
 * @param tie_word_embeddings whether the output projection shares the token embedding table
 */
public record DistilBertConfig(int vocab_size, int dim, int n_layers, int n_heads, int hidden_dim, String activation,
                               int max_position_embeddings, boolean sinusoidal_pos_embds, Integer pad_token_id,
                               Integer bos_token_id, TokenIds eos_token_id, boolean tie_word_embeddings)
        implements FamilyConfig {
    /** DistilBERT's layer norms use a fixed epsilon. */
    public static final double LAYER_NORM_EPS = 1e-12;

    private static final Map<String, String> ALIASES = Map.of("hidden_size", "dim", "num_attention_heads", "n_heads",
            "num_hidden_layers", "n_layers");
    private static final JsonObject DEFAULTS = ConfigReader.defaults("""
            {"vocab_size": 30522, "dim": 768, "n_layers": 6, "n_heads": 12, "hidden_dim": 3072,
             "activation": "gelu", "max_position_embeddings": 512, "sinusoidal_pos_embds": false, "pad_token_id": 0,
             "tie_word_embeddings": true}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public DistilBertConfig {
        positive("vocab_size", vocab_size);
        positive("dim", dim);
        positive("n_layers", n_layers);
        positive("n_heads", n_heads);
        multipleOf("dim", dim, "n_heads", n_heads);
        positive("hidden_dim", hidden_dim);
        ConfigChecks.activation("activation", activation);
        positive("max_position_embeddings", max_position_embeddings);
        tensor("vocab_size", vocab_size, "dim", dim);
        tensor("max_position_embeddings", max_position_embeddings, "dim", dim);
        tensor("hidden_dim", hidden_dim, "dim", dim);
        tokenId("pad_token_id", pad_token_id, "vocab_size", vocab_size);
        tokenId("bos_token_id", bos_token_id, "vocab_size", vocab_size);
        tokenIds("eos_token_id", eos_token_id, "vocab_size", vocab_size);
    }

    /**
     * Reads and checks config.json.
     *
     * @param c the parsed config.json
     * @return the checked config
     */
    public static DistilBertConfig from(ModelConfig c) {
        return ConfigReader.read(c, DistilBertConfig.class, ALIASES, DEFAULTS);
    }

    @Override
    public SpecialTokens specialTokens() {
        return SpecialTokens.of(bos_token_id, eos_token_id, pad_token_id, null);
    }
}
