package org.transformers4j.model.llama;

import static org.transformers4j.model.ConfigChecks.activation;
import static org.transformers4j.model.ConfigChecks.finitePositive;
import static org.transformers4j.model.ConfigChecks.intProduct;
import static org.transformers4j.model.ConfigChecks.labels;
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
 * The keys of a Llama config.json, with Hugging Face's defaults for missing ones (transformers'
 * LlamaConfig), checked when made. The rotary settings come in two forms: transformers 5's
 * rope_parameters, or 4.x's rope_theta and rope_scaling; {@link #rope()} merges them (rope_parameters
 * wins).
 *
 * @param num_key_value_heads K, or null for as many as num_attention_heads
 * @param head_dim D, or null for hidden_size / num_attention_heads
 * @param attention_bias whether the q, k, v and o projections have biases
 * @param mlp_bias whether the gate, up and down projections have biases
 * @param id2label class labels by index (LlamaForSequenceClassification), or null (two classes)
 * @param vocab_size V, rows of the token embedding table
 * @param hidden_size C, the width of the hidden states
 * @param intermediate_size F, the feed-forward width
 * @param num_hidden_layers the number of transformer layers
 * @param num_attention_heads H, the attention heads (C / H is the size of a head unless the config says otherwise)
 * @param hidden_act the feed-forward activation, by its Hugging Face name
 * @param max_position_embeddings the longest sequence the position embeddings (or the rotary settings) are made for
 * @param rms_norm_eps the epsilon of the RMS norms
 * @param pad_token_id the padding token, or null
 * @param bos_token_id the beginning-of-sequence token, or null
 * @param eos_token_id the end-of-sequence token or tokens, or null
 * @param tie_word_embeddings whether the output projection shares the token embedding table
 * @param rope_theta the base of the rotary frequencies, or null for the family's default
 * @param rope_scaling transformers 4.x's rotary scaling settings, or null
 * @param rope_parameters transformers 5's rotary settings, or null
 */
public record LlamaConfig(int vocab_size, int hidden_size, int intermediate_size, int num_hidden_layers,
                          int num_attention_heads, Integer num_key_value_heads, String hidden_act,
                          int max_position_embeddings, double rms_norm_eps, Integer pad_token_id, Integer bos_token_id,
                          TokenIds eos_token_id, boolean tie_word_embeddings, Double rope_theta,
                          RopeParameters rope_scaling, RopeParameters rope_parameters, boolean attention_bias,
                          boolean mlp_bias, Integer head_dim, Map<Integer, String> id2label) implements FamilyConfig {

    private static final JsonObject DEFAULTS = ConfigReader.defaults("""
            {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
             "num_attention_heads": 32, "hidden_act": "silu", "max_position_embeddings": 2048, "rms_norm_eps": 1e-6,
             "bos_token_id": 1, "eos_token_id": 2, "tie_word_embeddings": false, "attention_bias": false,
             "mlp_bias": false}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public LlamaConfig {
        positive("vocab_size", vocab_size);
        positive("hidden_size", hidden_size);
        positive("intermediate_size", intermediate_size);
        positive("num_hidden_layers", num_hidden_layers);
        positive("num_attention_heads", num_attention_heads);
        multipleOf("hidden_size", hidden_size, "num_attention_heads", num_attention_heads);
        int kv = num_key_value_heads != null ? num_key_value_heads : num_attention_heads;
        positive("num_key_value_heads", kv);
        multipleOf("num_attention_heads", num_attention_heads, "num_key_value_heads", kv);
        int d = head_dim != null ? head_dim : hidden_size / num_attention_heads;
        if (d < 2 || d % 2 != 0) {
            throw new IllegalArgumentException("the rotary dimension (head_dim) must be even and > 0, is " + d);
        }
        activation("hidden_act", hidden_act);
        positive("max_position_embeddings", max_position_embeddings);
        finitePositive("rms_norm_eps", rms_norm_eps);
        tensor("vocab_size", vocab_size, "hidden_size", hidden_size);
        tensor("intermediate_size", intermediate_size, "hidden_size", hidden_size);
        tensor("num_attention_heads x head_dim", intProduct("num_attention_heads", num_attention_heads, "head_dim", d),
                "hidden_size", hidden_size);
        tokenId("pad_token_id", pad_token_id, "vocab_size", vocab_size);
        tokenId("bos_token_id", bos_token_id, "vocab_size", vocab_size);
        tokenIds("eos_token_id", eos_token_id, "vocab_size", vocab_size);
        RopeParameters rope = merge(rope_theta, rope_scaling, rope_parameters, max_position_embeddings);
        rope.check();
        Rotary.check(rope, rope.fullRotaryDim(d));
        labels(id2label);
    }

    /** {@return classes of the sequence-classification head: id2label's size, 2 without one (transformers' num_labels)} */
    public int numLabels() {
        return id2label == null || id2label.isEmpty() ? 2 : id2label.size();
    }

    /**
     * Reads and checks config.json.
     *
     * @param c the parsed config.json
     * @return the checked config
     */
    public static LlamaConfig from(ModelConfig c) {
        return ConfigReader.read(c, LlamaConfig.class, Map.of(), DEFAULTS);
    }

    /** {@return K, the key/value heads} */
    public int kvHeads() {
        return num_key_value_heads != null ? num_key_value_heads : num_attention_heads;
    }

    /** {@return D, the size of a head} */
    public int headDim() {
        return head_dim != null ? head_dim : hidden_size / num_attention_heads;
    }

    /** {@return the rotated dimensions of each head: all of them} */
    public int rotaryDim() {
        return rope().fullRotaryDim(headDim());
    }

    /** {@return the rotary settings of both forms merged, with rope_type and rope_theta filled in} */
    public RopeParameters rope() {
        return merge(rope_theta, rope_scaling, rope_parameters, max_position_embeddings);
    }

    /** Both forms merged; llama3 and yarn without an original context take max_position_embeddings, as transformers does. */
    private static RopeParameters merge(Double theta, RopeParameters scaling, RopeParameters parameters,
                                        int maxPositions) {
        RopeParameters base = RopeParameters.theta(theta != null ? theta : RopeParameters.DEFAULT_THETA);
        RopeParameters merged = base.overriddenBy(scaling).overriddenBy(parameters);
        Double originalMax = merged.original_max_position_embeddings();
        if (originalMax == null && (merged.kind().equals("llama3") || merged.kind().equals("yarn"))) {
            originalMax = (double) maxPositions;
        }
        return merged.with(merged.kind(), merged.rope_theta(), originalMax);
    }

    @Override
    public SpecialTokens specialTokens() {
        return SpecialTokens.of(bos_token_id, eos_token_id, pad_token_id, null);
    }
}
