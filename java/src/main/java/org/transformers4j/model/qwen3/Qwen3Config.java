package org.transformers4j.model.qwen3;

import static org.transformers4j.model.ConfigChecks.labels;
import static org.transformers4j.model.ConfigChecks.nonNegative;
import static org.transformers4j.model.ConfigChecks.tokenId;
import static org.transformers4j.model.ConfigChecks.tokenIds;

import com.google.gson.JsonObject;
import java.util.List;
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
 * The keys of a Qwen3 config.json, with the defaults of transformers' Qwen3Config for missing ones
 * (a missing num_key_value_heads is 32, an explicit null is num_attention_heads; head_dim 128, not
 * hidden_size / num_attention_heads), checked when made.
 *
 * @param head_dim D, 128 when missing
 * @param attention_bias biases on q_proj, k_proj, v_proj and o_proj
 * @param use_sliding_window whether sliding_window applies at all (transformers sets it to None otherwise)
 * @param max_window_layers without layer_types, layers from this index on slide
 * @param layer_types per layer, full_attention or sliding_attention, or null
 * @param original_max_position_embeddings a top-level original context, which transformers moves into the
 *                                         rope settings of the llama3 and yarn types; usually absent
 * @param id2label class labels by index (Qwen3ForSequenceClassification), or null (two classes)
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
 * @param sliding_window the sliding attention window in tokens, or null for full attention
 * @param pad_token_id the padding token, or null
 * @param bos_token_id the beginning-of-sequence token, or null
 * @param eos_token_id the end-of-sequence token or tokens, or null
 */
public record Qwen3Config(int vocab_size, int hidden_size, int intermediate_size, int num_hidden_layers,
                          int num_attention_heads, Integer num_key_value_heads, int head_dim, String hidden_act,
                          int max_position_embeddings, double rms_norm_eps, boolean tie_word_embeddings,
                          Double rope_theta, RopeParameters rope_scaling, RopeParameters rope_parameters,
                          Integer original_max_position_embeddings, boolean use_sliding_window, Integer sliding_window,
                          int max_window_layers, List<String> layer_types, boolean attention_bias, Integer pad_token_id,
                          Integer bos_token_id,
                          TokenIds eos_token_id, Map<Integer, String> id2label) implements FamilyConfig {

    private static final JsonObject DEFAULTS = ConfigReader.defaults("""
            {"vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 22016, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 32, "head_dim": 128, "hidden_act": "silu",
             "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "tie_word_embeddings": false,
             "use_sliding_window": false, "sliding_window": 4096, "max_window_layers": 28, "attention_bias": false}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public Qwen3Config {
        int d = head_dim;
        ShapeChecks.sizes(vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
                kvHeads(num_key_value_heads, num_attention_heads), d, max_position_embeddings, rms_norm_eps, hidden_act);
        nonNegative("max_window_layers", max_window_layers);
        ShapeChecks.qwenWindows(use_sliding_window, sliding_window, layer_types, num_hidden_layers);
        tokenId("pad_token_id", pad_token_id, "vocab_size", vocab_size);
        tokenId("bos_token_id", bos_token_id, "vocab_size", vocab_size);
        tokenIds("eos_token_id", eos_token_id, "vocab_size", vocab_size);
        labels(id2label);
        RopeParameters rope = rope(rope_theta, rope_scaling, rope_parameters, original_max_position_embeddings,
                max_position_embeddings);
        Rotary.check(rope, rope.fullRotaryDim(d));
    }

    /**
     * Reads and checks config.json.
     *
     * @param c the parsed config.json
     * @return the checked config
     */
    public static Qwen3Config from(ModelConfig c) {
        return ConfigReader.read(c, Qwen3Config.class, Map.of(), DEFAULTS);
    }

    private static int kvHeads(Integer kv, int heads) {
        return kv != null ? kv : heads;
    }

    /** {@return K, the key/value heads} */
    public int kvHeads() {
        return kvHeads(num_key_value_heads, num_attention_heads);
    }

    /** {@return D, the size of a head} */
    public int headDim() {
        return head_dim;
    }

    /**
     * {@return the sliding window of a layer, or 0 for global attention}
     *
     * @param layer the layer's index
     */
    public int window(int layer) {
        return ShapeChecks.qwenWindow(use_sliding_window, sliding_window, max_window_layers, layer_types, layer);
    }

    /** {@return the rotary settings as transformers standardises them} */
    public RopeParameters rope() {
        return rope(rope_theta, rope_scaling, rope_parameters, original_max_position_embeddings,
                max_position_embeddings);
    }

    /** {@return the rotated dimensions of each head: all of them} */
    public int rotaryDim() {
        return rope().fullRotaryDim(headDim());
    }

    private static RopeParameters rope(Double theta, RopeParameters scaling, RopeParameters parameters,
                                       Integer originalMax, int maxPositions) {
        RopeParameters rope = RopeParameters.standardized(theta, scaling, parameters, originalMax, maxPositions);
        rope.check(RopeParameters.LLAMA_TYPES);
        return rope;
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
