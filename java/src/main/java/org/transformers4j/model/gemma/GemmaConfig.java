package org.transformers4j.model.gemma;

import static org.transformers4j.model.ConfigChecks.labels;
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
 * The keys of a Gemma config.json, with the defaults of transformers' GemmaConfig for missing ones
 * (head_dim 256, not hidden_size / num_attention_heads; hidden_act gelu_pytorch_tanh;
 * tie_word_embeddings true; pad 0, eos 1, bos 2), checked when made.
 *
 * @param head_dim D, 256 when missing
 * @param attention_bias biases on q_proj, k_proj, v_proj and o_proj
 * @param use_bidirectional_attention true is refused: transformers then masks causally where a padding
 *                                    mask is built and not where it is skipped, so no one behaviour is
 *                                    its own
 * @param original_max_position_embeddings a top-level original context, which transformers moves into the
 *                                         rope settings of the llama3 and yarn types; usually absent
 * @param id2label class labels by index (GemmaForSequenceClassification), or null (two classes)
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
public record GemmaConfig(int vocab_size, int hidden_size, int intermediate_size, int num_hidden_layers,
                          int num_attention_heads, Integer num_key_value_heads, int head_dim, String hidden_act,
                          int max_position_embeddings, double rms_norm_eps, boolean tie_word_embeddings,
                          Double rope_theta, RopeParameters rope_scaling, RopeParameters rope_parameters,
                          Integer original_max_position_embeddings, boolean attention_bias,
                          Boolean use_bidirectional_attention, Integer pad_token_id, Integer bos_token_id,
                          TokenIds eos_token_id, Map<Integer, String> id2label) implements FamilyConfig {

    private static final JsonObject DEFAULTS = ConfigReader.defaults("""
            {"vocab_size": 256000, "hidden_size": 3072, "intermediate_size": 24576, "num_hidden_layers": 28,
             "num_attention_heads": 16, "num_key_value_heads": 16, "head_dim": 256,
             "hidden_act": "gelu_pytorch_tanh", "max_position_embeddings": 8192, "rms_norm_eps": 1e-6,
             "tie_word_embeddings": true, "attention_bias": false, "pad_token_id": 0, "eos_token_id": 1,
             "bos_token_id": 2}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public GemmaConfig {
        ShapeChecks.sizes(vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
                num_key_value_heads != null ? num_key_value_heads : num_attention_heads, head_dim,
                max_position_embeddings, rms_norm_eps, hidden_act);
        if (Boolean.TRUE.equals(use_bidirectional_attention)) {
            throw new IllegalArgumentException("use_bidirectional_attention true is not supported (transformers' Gemma"
                    + " masks such a model causally wherever it builds a padding mask)");
        }
        tokenId("pad_token_id", pad_token_id, "vocab_size", vocab_size);
        tokenId("bos_token_id", bos_token_id, "vocab_size", vocab_size);
        tokenIds("eos_token_id", eos_token_id, "vocab_size", vocab_size);
        labels(id2label);
        RopeParameters rope = rope(rope_theta, rope_scaling, rope_parameters, original_max_position_embeddings,
                max_position_embeddings);
        Rotary.check(rope, rope.fullRotaryDim(head_dim));
    }

    /**
     * Reads and checks config.json.
     *
     * @param c the parsed config.json
     * @return the checked config
     */
    public static GemmaConfig from(ModelConfig c) {
        return ConfigReader.read(c, GemmaConfig.class, Map.of(), DEFAULTS);
    }

    /** {@return K, the key/value heads (1: multi-query attention, as Gemma 2B)} */
    public int kvHeads() {
        return num_key_value_heads != null ? num_key_value_heads : num_attention_heads;
    }

    private static RopeParameters rope(Double theta, RopeParameters scaling, RopeParameters parameters,
                                       Integer originalMax, int maxPositions) {
        RopeParameters rope = RopeParameters.standardized(theta, scaling, parameters, originalMax, maxPositions);
        rope.check(RopeParameters.LLAMA_TYPES);
        return rope;
    }

    /** {@return the rotary settings as transformers standardises them} */
    public RopeParameters rope() {
        return rope(rope_theta, rope_scaling, rope_parameters, original_max_position_embeddings,
                max_position_embeddings);
    }

    /** {@return the rotated dimensions of each head: all of them} */
    public int rotaryDim() {
        return rope().fullRotaryDim(head_dim);
    }

    /**
     * The factor of the token embeddings: sqrt(hidden_size) as a float32 (transformers' embed_scale
     * buffer), which the model rounds further to the type it computes in.
     *
     * @return the factor
     */
    public float embedScale() {
        return (float) Math.sqrt(hidden_size);
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
