package org.transformers4j.model.llama;

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
 * The keys of a Llama config.json, with Hugging Face's defaults for missing ones (transformers'
 * LlamaConfig), checked when made. The rotary settings come in two forms: transformers 5's
 * rope_parameters, or 4.x's rope_theta and rope_scaling; {@link #rope()} merges them (rope_parameters
 * wins).
 *
 * @param num_key_value_heads K, or null for as many as num_attention_heads
 * @param head_dim D, or null for hidden_size / num_attention_heads
 * @param attention_bias whether the q, k, v and o projections have biases
 * @param mlp_bias whether the gate, up and down projections have biases
 */
public record LlamaConfig(int vocab_size, int hidden_size, int intermediate_size, int num_hidden_layers,
                          int num_attention_heads, Integer num_key_value_heads, String hidden_act,
                          int max_position_embeddings, double rms_norm_eps, Integer pad_token_id, Integer bos_token_id,
                          TokenIds eos_token_id, boolean tie_word_embeddings, Double rope_theta,
                          RopeParameters rope_scaling, RopeParameters rope_parameters, boolean attention_bias,
                          boolean mlp_bias, Integer head_dim) implements FamilyConfig {

    private static final JsonObject DEFAULTS = ConfigReader.defaults("""
            {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
             "num_attention_heads": 32, "hidden_act": "silu", "max_position_embeddings": 2048, "rms_norm_eps": 1e-6,
             "bos_token_id": 1, "eos_token_id": 2, "tie_word_embeddings": false, "attention_bias": false,
             "mlp_bias": false}""");

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
        merge(rope_theta, rope_scaling, rope_parameters).check();
    }

    /** Reads and checks config.json. */
    public static LlamaConfig from(ModelConfig c) {
        return ConfigReader.read(c, LlamaConfig.class, Map.of(), DEFAULTS);
    }

    /** K, the key/value heads. */
    public int kvHeads() {
        return num_key_value_heads != null ? num_key_value_heads : num_attention_heads;
    }

    /** D, the size of a head. */
    public int headDim() {
        return head_dim != null ? head_dim : hidden_size / num_attention_heads;
    }

    /** The rotary settings of both forms merged, with rope_type and rope_theta filled in. */
    public RopeParameters rope() {
        return merge(rope_theta, rope_scaling, rope_parameters);
    }

    private static RopeParameters merge(Double theta, RopeParameters scaling, RopeParameters parameters) {
        RopeParameters base = new RopeParameters(null, null, theta != null ? theta : RopeParameters.DEFAULT_THETA, null,
                null, null, null);
        RopeParameters merged = base.overriddenBy(scaling).overriddenBy(parameters);
        return new RopeParameters(merged.kind(), null, merged.rope_theta(), merged.factor(), merged.low_freq_factor(),
                merged.high_freq_factor(), merged.original_max_position_embeddings());
    }

    @Override
    public SpecialTokens specialTokens() {
        return SpecialTokens.of(bos_token_id, eos_token_id, pad_token_id, null);
    }
}
