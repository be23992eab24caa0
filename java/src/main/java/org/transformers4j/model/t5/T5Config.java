package org.transformers4j.model.t5;

import static org.transformers4j.model.ConfigChecks.activation;
import static org.transformers4j.model.ConfigChecks.finitePositive;
import static org.transformers4j.model.ConfigChecks.intProduct;
import static org.transformers4j.model.ConfigChecks.oneOf;
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
 * The keys of a T5 config.json (model_type "t5": T5, T5 v1.1, Flan-T5) or mT5 config.json
 * (model_type "mt5"), with Hugging Face's defaults for missing ones (transformers' T5Config and
 * MT5Config, whose attribute_map also accepts hidden_size, num_attention_heads, num_hidden_layers
 * and head_dim for d_model, num_heads, num_layers and d_kv), checked when made. mT5 is T5 v1.1's
 * layout under its own defaults (gated-gelu, 250112 tokens, decoder start 0); its LM head is
 * never preceded by the d_model^-0.5 scaling (see {@link #scalesDecoderOutputs()}).
 *
 * @param num_decoder_layers or null for as many as num_layers
 * @param feed_forward_proj "ACT" or "gated-ACT"
 * @param dense_act_fn the activation, or null for the one feed_forward_proj names ("gated-gelu" means gelu_new)
 * @param is_gated_act or null for whether feed_forward_proj starts with "gated-"
 * @param scale_decoder_outputs whether the last hidden state is scaled by d_model^-0.5 before the
 *     LM head, or null for tie_word_embeddings (T5 only: mT5 reads neither)
 * @param tie_word_embeddings whether a checkpoint without lm_head.weight uses the shared table
 *     as the head (a stored lm_head.weight is used either way, as transformers does when both are stored)
 * @param model_type the config's model_type, which picks the variant of the layout
 * @param vocab_size V, rows of the token embedding table
 * @param d_model C, the width of the hidden states
 * @param d_kv D, the size of a head
 * @param d_ff F, the feed-forward width
 * @param num_layers the number of transformer layers
 * @param num_heads H, the attention heads
 * @param relative_attention_num_buckets the buckets of the relative position bias
 * @param relative_attention_max_distance the distance past which relative positions share a bucket
 * @param layer_norm_epsilon the epsilon of the layer norms
 * @param pad_token_id the padding token, or null
 * @param bos_token_id the beginning-of-sequence token, or null
 * @param eos_token_id the end-of-sequence token or tokens, or null
 * @param decoder_start_token_id the token the decoder starts from, or null
 */
public record T5Config(String model_type, int vocab_size, int d_model, int d_kv, int d_ff, int num_layers,
                       Integer num_decoder_layers, int num_heads, int relative_attention_num_buckets,
                       int relative_attention_max_distance, double layer_norm_epsilon, String feed_forward_proj,
                       String dense_act_fn, Boolean is_gated_act,
                       Integer pad_token_id, Integer bos_token_id, TokenIds eos_token_id, Integer decoder_start_token_id,
                       boolean tie_word_embeddings, Boolean scale_decoder_outputs) implements FamilyConfig {

    private static final Map<String, String> ALIASES = Map.of("hidden_size", "d_model", "num_attention_heads",
            "num_heads", "num_hidden_layers", "num_layers", "head_dim", "d_kv");
    private static final JsonObject DEFAULTS = ConfigReader.defaults("""
            {"vocab_size": 32128, "d_model": 512, "d_kv": 64, "d_ff": 2048, "num_layers": 6, "num_heads": 8,
             "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128,
             "layer_norm_epsilon": 1e-6, "feed_forward_proj": "relu", "pad_token_id": 0, "eos_token_id": 1,
             "tie_word_embeddings": true}""");
    private static final JsonObject MT5 = ConfigReader.defaults("""
            {"vocab_size": 250112, "d_model": 512, "d_kv": 64, "d_ff": 1024, "num_layers": 8, "num_heads": 6,
             "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128,
             "layer_norm_epsilon": 1e-6, "feed_forward_proj": "gated-gelu", "pad_token_id": 0, "eos_token_id": 1,
             "decoder_start_token_id": 0, "tie_word_embeddings": true}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public T5Config {
        oneOf("model_type", model_type, "t5", "mt5");
        positive("vocab_size", vocab_size);
        positive("d_model", d_model);
        positive("d_kv", d_kv);
        positive("d_ff", d_ff);
        positive("num_layers", num_layers);
        positive("num_decoder_layers", num_decoder_layers != null ? num_decoder_layers : num_layers);
        positive("num_heads", num_heads);
        buckets(relative_attention_num_buckets, relative_attention_max_distance);
        finitePositive("layer_norm_epsilon", layer_norm_epsilon);
        String projected = projectionActivation(feed_forward_proj);
        activation(dense_act_fn != null ? "dense_act_fn" : "feed_forward_proj",
                dense_act_fn != null ? dense_act_fn : projected);
        tensor("vocab_size", vocab_size, "d_model", d_model);
        tensor("d_ff", d_ff, "d_model", d_model);
        tensor("num_heads x d_kv", intProduct("num_heads", num_heads, "d_kv", d_kv), "d_model", d_model);
        tokenId("pad_token_id", pad_token_id, "vocab_size", vocab_size);
        tokenId("bos_token_id", bos_token_id, "vocab_size", vocab_size);
        tokenIds("eos_token_id", eos_token_id, "vocab_size", vocab_size);
        tokenId("decoder_start_token_id", decoder_start_token_id, "vocab_size", vocab_size);
    }

    /**
     * Buckets: half of them per direction in the encoder, half of those exact; the logarithmic
     * ones must span up to max_distance, so max_distance reaches at least the exact ones.
     */
    private static void buckets(int buckets, int maxDistance) {
        if (buckets < 4) {
            throw new IllegalArgumentException("relative_attention_num_buckets must be >= 4 (a quarter of them are"
                    + " exact distances in the encoder), is " + buckets);
        }
        if (maxDistance < buckets / 2) {
            throw new IllegalArgumentException("relative_attention_max_distance " + maxDistance + " must be at least"
                    + " the " + buckets / 2 + " exact distances of relative_attention_num_buckets " + buckets);
        }
    }

    /** The activation feed_forward_proj names, as transformers reads it. */
    private static String projectionActivation(String proj) {
        String[] parts = proj == null ? new String[0] : proj.split("-", -1);
        if (parts.length < 1 || parts.length > 2 || (parts.length == 2 && !parts[0].equals("gated"))) {
            throw new IllegalArgumentException("feed_forward_proj " + proj + " is not ACT or gated-ACT (for example"
                    + " relu or gated-gelu)");
        }
        return proj.equals("gated-gelu") ? "gelu_new" : parts[parts.length - 1];
    }

    /**
     * Reads and checks config.json with the defaults of its model_type.
     *
     * @param c the parsed config.json
     * @return the checked config
     */
    public static T5Config from(ModelConfig c) {
        return ConfigReader.read(c, T5Config.class, ALIASES, c.modelType().equals("mt5") ? MT5 : DEFAULTS);
    }

    /**
     * {@return whether this is an mT5 model}
     */
    public boolean isMt5() {
        return model_type.equals("mt5");
    }

    /**
     * {@return the decoder's layers: num_decoder_layers, else num_layers}
     */
    public int decoderLayers() {
        return num_decoder_layers != null ? num_decoder_layers : num_layers;
    }

    /** {@return whether the feed-forward block is gated: wo(act(wi_0 x) * wi_1 x)} */
    public boolean gated() {
        return is_gated_act != null ? is_gated_act : feed_forward_proj.startsWith("gated-");
    }

    /** {@return the feed-forward activation's name} */
    public String activationName() {
        return dense_act_fn != null ? dense_act_fn : projectionActivation(feed_forward_proj);
    }

    /**
     * Whether the last hidden state is scaled by d_model^-0.5 before the LM head: for T5 as
     * scale_decoder_outputs says (configs that predate it: tie_word_embeddings); never for mT5,
     * whose MT5ForConditionalGeneration applies the head directly, whatever either key holds.
     *
     * @return whether the last hidden state is scaled
     */
    public boolean scalesDecoderOutputs() {
        if (isMt5()) {
            return false;
        }
        return scale_decoder_outputs != null ? scale_decoder_outputs : tie_word_embeddings;
    }

    @Override
    public SpecialTokens specialTokens() {
        return SpecialTokens.of(bos_token_id, eos_token_id, pad_token_id, decoder_start_token_id);
    }
}
