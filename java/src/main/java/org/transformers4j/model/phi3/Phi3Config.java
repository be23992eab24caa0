package org.transformers4j.model.phi3;

import static org.transformers4j.model.ConfigChecks.labels;
import static org.transformers4j.model.ConfigChecks.positive;
import static org.transformers4j.model.ConfigChecks.tokenId;
import static org.transformers4j.model.ConfigChecks.tokenIds;

import com.google.gson.JsonObject;
import java.util.Map;
import java.util.Set;
import org.transformers4j.model.ConfigReader;
import org.transformers4j.model.FamilyConfig;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.model.TokenIds;
import org.transformers4j.model.llama.RopeParameters;
import org.transformers4j.model.llama.Rotary;
import org.transformers4j.model.llama.ShapeChecks;

/**
 * The keys of a Phi-3 config.json, with the defaults of transformers' Phi3Config for missing ones
 * (original_max_position_embeddings 4096, rms_norm_eps 1e-5, eos and pad 32000), checked when
 * made. The rotary settings are rope_scaling if the config has one, else rope_parameters; their
 * type "su" or "yarn" is LongRoPE (Phi3Config renames both), and only the default and longrope
 * types are Phi-3's.
 *
 * @param head_dim D where config.json has it (no key of Phi3Config, but the attention reads it), else
 *                 hidden_size / num_attention_heads
 * @param original_max_position_embeddings the pretraining context: LongRoPE's switch from the short to
 *                                         the long factors
 * @param partial_rotary_factor the share of each head that rotates (Phi-4-mini: 0.75), over that of
 *                              the rotary settings; 1 when neither has one
 * @param sliding_window the window of every layer (Phi-3-mini-4k: 2047), or null for none
 * @param id2label class labels by index (Phi3ForSequenceClassification), or null (two classes)
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
public record Phi3Config(int vocab_size, int hidden_size, int intermediate_size, int num_hidden_layers,
                         int num_attention_heads, Integer num_key_value_heads, Integer head_dim, String hidden_act,
                         int max_position_embeddings, int original_max_position_embeddings, double rms_norm_eps,
                         boolean tie_word_embeddings, Double rope_theta, RopeParameters rope_scaling,
                         RopeParameters rope_parameters, Double partial_rotary_factor, Integer sliding_window,
                         Integer pad_token_id, Integer bos_token_id, TokenIds eos_token_id,
                         Map<Integer, String> id2label) implements FamilyConfig {

    private static final JsonObject DEFAULTS = ConfigReader.defaults("""
            {"vocab_size": 32064, "hidden_size": 3072, "intermediate_size": 8192, "num_hidden_layers": 32,
             "num_attention_heads": 32, "hidden_act": "silu", "max_position_embeddings": 4096,
             "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "tie_word_embeddings": false,
             "bos_token_id": 1, "eos_token_id": 32000, "pad_token_id": 32000}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public Phi3Config {
        int d = ShapeChecks.headDim(head_dim, hidden_size, num_attention_heads);
        ShapeChecks.sizes(vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
                num_key_value_heads != null ? num_key_value_heads : num_attention_heads, d, max_position_embeddings,
                rms_norm_eps, hidden_act);
        positive("original_max_position_embeddings", original_max_position_embeddings);
        if (sliding_window != null) {
            positive("sliding_window", sliding_window);
        }
        tokenId("pad_token_id", pad_token_id, "vocab_size", vocab_size);
        tokenId("bos_token_id", bos_token_id, "vocab_size", vocab_size);
        tokenIds("eos_token_id", eos_token_id, "vocab_size", vocab_size);
        labels(id2label);
        RopeParameters rope = rope(rope_theta, rope_scaling, rope_parameters, partial_rotary_factor,
                original_max_position_embeddings, max_position_embeddings);
        Rotary.check(rope, rotaryDim(rope, d));
    }

    /**
     * Reads and checks config.json.
     *
     * @param c the parsed config.json
     * @return the checked config
     */
    public static Phi3Config from(ModelConfig c) {
        return ConfigReader.read(c, Phi3Config.class, Map.of(), DEFAULTS);
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

    /** {@return the rotary settings as Phi3Config standardises them} */
    public RopeParameters rope() {
        return rope(rope_theta, rope_scaling, rope_parameters, partial_rotary_factor, original_max_position_embeddings,
                max_position_embeddings);
    }

    /** {@return the rotated dimensions of each head: int(head_dim x partial_rotary_factor)} */
    public int rotaryDim() {
        return rotaryDim(rope(), headDim());
    }

    private static RopeParameters rope(Double theta, RopeParameters scaling, RopeParameters parameters,
                                       Double partialRotaryFactor, int originalMax, int maxPositions) {
        RopeParameters rope = RopeParameters.standardized(theta, scaling, parameters, originalMax, maxPositions);
        if (Set.of("su", "yarn").contains(rope.kind())) { // Phi3Config's renaming, and su's original context
            rope = RopeParameters.standardized(null, rope.renamed("longrope"), null, originalMax, maxPositions);
        }
        if (partialRotaryFactor != null) {
            rope = rope.withPartialRotaryFactor(partialRotaryFactor);
        }
        rope.check(Set.of("default", "longrope"));
        return rope;
    }

    private static int rotaryDim(RopeParameters rope, int headDim) {
        double share = rope.partial_rotary_factor() != null ? rope.partial_rotary_factor() : 1.0;
        return (int) (headDim * share);
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
