package org.transformers4j.model.mistral;

import static org.transformers4j.model.ConfigChecks.labels;
import static org.transformers4j.model.ConfigChecks.positive;
import static org.transformers4j.model.ConfigChecks.tokenId;
import static org.transformers4j.model.ConfigChecks.tokenIds;

import com.google.gson.JsonObject;
import java.util.Map;
import org.transformers4j.model.ConfigReader;
import org.transformers4j.model.FamilyConfig;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.model.TokenIds;
import org.transformers4j.model.llama.RopeParameters;
import org.transformers4j.model.llama.Rotary;
import org.transformers4j.model.llama.ShapeChecks;

/**
 * The keys of a Mistral config.json, with the defaults of transformers' MistralConfig for missing
 * ones (num_key_value_heads 8, sliding_window 4096, max_position_embeddings 131072; an explicit
 * null sliding_window means global attention, an explicit null num_key_value_heads
 * num_attention_heads), checked when made.
 *
 * @param head_dim D, or null for hidden_size / num_attention_heads
 * @param sliding_window the window of every layer, or null for none
 * @param original_max_position_embeddings a top-level original context, which transformers moves into the
 *                                         rope settings of the llama3 and yarn types; usually absent
 * @param id2label class labels by index (MistralForSequenceClassification), or null (two classes)
 * @param vocab_size V, rows of the token embedding table
 * @param hidden_size C, the width of the hidden states
 * @param intermediate_size F, the feed-forward width
 * @param num_hidden_layers the number of transformer layers
 * @param num_attention_heads H, the attention heads (C / H is the size of a head unless the config says otherwise)
 * @param num_key_value_heads K, the key/value heads (grouped-query attention; null or equal to H: one per head)
 * @param hidden_act the feed-forward activation, by its Hugging Face name
 * @param max_position_embeddings the longest sequence the position embeddings (or the rotary settings) are made for
 * @param rms_norm_eps the epsilon of the RMS norms
 * @param tie_word_embeddings whether the output projection shares the token embedding table
 * @param rope_theta the base of the rotary frequencies, or null for the family's default
 * @param rope_scaling transformers 4.x's rotary scaling settings, or null
 * @param rope_parameters transformers 5's rotary settings, or null
 * @param pad_token_id the padding token, or null
 * @param bos_token_id the beginning-of-sequence token, or null
 * @param eos_token_id the end-of-sequence token or tokens, or null
 */
public record MistralConfig(int vocab_size, int hidden_size, int intermediate_size, int num_hidden_layers,
                            int num_attention_heads, Integer num_key_value_heads, Integer head_dim, String hidden_act,
                            int max_position_embeddings, double rms_norm_eps, boolean tie_word_embeddings,
                            Double rope_theta, RopeParameters rope_scaling, RopeParameters rope_parameters,
                            Integer original_max_position_embeddings, Integer sliding_window, Integer pad_token_id,
                            Integer bos_token_id, TokenIds eos_token_id, Map<Integer, String> id2label)
        implements FamilyConfig {

    private static final JsonObject DEFAULTS = ConfigReader.defaults("""
            {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 8, "hidden_act": "silu",
             "max_position_embeddings": 131072, "rms_norm_eps": 1e-6, "tie_word_embeddings": false,
             "sliding_window": 4096, "bos_token_id": 1, "eos_token_id": 2}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public MistralConfig {
        int d = ShapeChecks.headDim(head_dim, hidden_size, num_attention_heads);
        ShapeChecks.sizes(vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
                num_key_value_heads != null ? num_key_value_heads : num_attention_heads, d, max_position_embeddings,
                rms_norm_eps, hidden_act);
        if (sliding_window != null) {
            positive("sliding_window", sliding_window);
        }
        tokenId("pad_token_id", pad_token_id, "vocab_size", vocab_size);
        tokenId("bos_token_id", bos_token_id, "vocab_size", vocab_size);
        tokenIds("eos_token_id", eos_token_id, "vocab_size", vocab_size);
        labels(id2label);
        RopeParameters rope = RopeParameters.standardized(rope_theta, rope_scaling, rope_parameters,
                original_max_position_embeddings, max_position_embeddings);
        rope.check(RopeParameters.LLAMA_TYPES);
        Rotary.check(rope, rope.fullRotaryDim(d));
    }

    /**
     * Reads and checks config.json.
     *
     * @param c the parsed config.json
     * @return the checked config
     */
    public static MistralConfig from(ModelConfig c) {
        return ConfigReader.read(c, MistralConfig.class, Map.of(), DEFAULTS);
    }

    /** {@return K, the key/value heads} */
    public int kvHeads() {
        return num_key_value_heads != null ? num_key_value_heads : num_attention_heads;
    }

    /** {@return D, the size of a head} */
    public int headDim() {
        return ShapeChecks.headDim(head_dim, hidden_size, num_attention_heads);
    }

    /**
     * {@return the sliding window of a layer (the same for all), or 0 for global attention}
     *
     * @param layer the layer's index
     */
    public int window(int layer) {
        return sliding_window == null ? 0 : sliding_window;
    }

    /** {@return the rotary settings as transformers standardises them} */
    public RopeParameters rope() {
        RopeParameters rope = RopeParameters.standardized(rope_theta, rope_scaling, rope_parameters,
                original_max_position_embeddings, max_position_embeddings);
        rope.check(RopeParameters.LLAMA_TYPES);
        return rope;
    }

    /** {@return the rotated dimensions of each head: all of them} */
    public int rotaryDim() {
        return rope().fullRotaryDim(headDim());
    }

    /** {@return classes of the sequence-classification head: id2label's size, 2 without one} */
    public int numLabels() {
        return id2label == null || id2label.isEmpty() ? 2 : id2label.size();
    }

    @Override
    public SpecialTokens specialTokens() {
        return SpecialTokens.of(bos_token_id, eos_token_id, pad_token_id, null);
    }
}
