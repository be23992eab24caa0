package org.transformers4j.model.modernbert;

import static org.transformers4j.model.ConfigChecks.activation;
import static org.transformers4j.model.ConfigChecks.finitePositive;
import static org.transformers4j.model.ConfigChecks.labels;
import static org.transformers4j.model.ConfigChecks.multipleOf;
import static org.transformers4j.model.ConfigChecks.oneOf;
import static org.transformers4j.model.ConfigChecks.positive;
import static org.transformers4j.model.ConfigChecks.tensor;
import static org.transformers4j.model.ConfigChecks.tokenId;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.transformers4j.model.ConfigReader;
import org.transformers4j.model.FamilyConfig;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.model.TokenIds;

/**
 * The keys of a ModernBERT config.json, with transformers' ModernBertConfig defaults for missing
 * ones (those of ModernBERT-base), checked when made. Both ways transformers has written the
 * attention pattern are read: transformers 5's layer_types and rope_parameters (per layer type),
 * and the older global_attn_every_n_layers, global_rope_theta and local_rope_theta, which fill in
 * what the newer keys leave out (as transformers' convert_rope_params_to_dict does).
 *
 * @param layer_types "full_attention" or "sliding_attention" per layer, or null: layer i slides
 *     unless i is a multiple of global_attn_every_n_layers
 * @param rope_parameters per layer type, rope_type (only "default") and rope_theta; or null
 * @param global_rope_theta theta of the full-attention layers where rope_parameters gives none (160000)
 * @param local_rope_theta theta of the sliding layers where rope_parameters gives none (10000)
 * @param local_attention a sliding layer's window: a token sees local_attention / 2 on each side
 * @param rope_scaling refused unless null: transformers 5 folds it into rope_parameters
 * @param classifier_pooling "cls" (the first token) or "mean" (over the attention mask)
 * @param bos_token_id read, not checked against the vocabulary (see {@link #specialTokens})
 * @param vocab_size V, rows of the token embedding table
 * @param hidden_size C, the width of the hidden states
 * @param intermediate_size F, the feed-forward width
 * @param num_hidden_layers the number of transformer layers
 * @param num_attention_heads H, the attention heads (C / H is the size of a head unless the config says otherwise)
 * @param hidden_activation the feed-forward activation, by its Hugging Face name
 * @param max_position_embeddings the longest sequence the position embeddings (or the rotary settings) are made for
 * @param norm_eps the epsilon of the norms
 * @param norm_bias whether the norms have a bias
 * @param pad_token_id the padding token, or null
 * @param eos_token_id the end-of-sequence token or tokens, or null
 * @param cls_token_id the classification token, or null
 * @param sep_token_id the separator token, or null
 * @param attention_bias whether the attention projections have biases
 * @param global_attn_every_n_layers every how many layers attention is global (the others are local)
 * @param mlp_bias whether the feed-forward projections have biases
 * @param decoder_bias whether the masked-language-model head's decoder has a bias
 * @param classifier_bias whether the classification head's projection has a bias
 * @param classifier_activation the classification head's activation, by its Hugging Face name
 * @param tie_word_embeddings whether the output projection shares the token embedding table
 * @param id2label the classification head's labels by class index, or null without a head
 */
public record ModernBertConfig(int vocab_size, int hidden_size, int intermediate_size, int num_hidden_layers,
                               int num_attention_heads, String hidden_activation, int max_position_embeddings,
                               double norm_eps, boolean norm_bias, Integer pad_token_id, TokenIds eos_token_id,
                               Integer bos_token_id, Integer cls_token_id, Integer sep_token_id,
                               boolean attention_bias, List<String> layer_types, Map<String, Rope> rope_parameters,
                               Double global_rope_theta, Double local_rope_theta, int global_attn_every_n_layers,
                               int local_attention, JsonElement rope_scaling, boolean mlp_bias, boolean decoder_bias,
                               String classifier_pooling, boolean classifier_bias, String classifier_activation,
                               boolean tie_word_embeddings, Map<Integer, String> id2label) implements FamilyConfig {
    /** The layer type of global attention. */
    public static final String FULL = "full_attention";
    /** The layer type of sliding-window attention. */
    public static final String SLIDING = "sliding_attention";
    private static final double GLOBAL_THETA = 160_000.0, LOCAL_THETA = 10_000.0;

    /**
     * One layer type's rotary embedding.
     *
     * @param rope_type the rope type, or null
     * @param rope_theta the base of the rotary frequencies, or null
     */
    public record Rope(String rope_type, Double rope_theta) {
    }

    private static final JsonObject DEFAULTS = ConfigReader.defaults("""
            {"vocab_size": 50368, "hidden_size": 768, "intermediate_size": 1152, "num_hidden_layers": 22,
             "num_attention_heads": 12, "hidden_activation": "gelu", "max_position_embeddings": 8192,
             "norm_eps": 1e-5, "norm_bias": false, "pad_token_id": 50283, "eos_token_id": 50282,
             "bos_token_id": 50281, "cls_token_id": 50281, "sep_token_id": 50282, "attention_bias": false,
             "global_attn_every_n_layers": 3, "local_attention": 128, "mlp_bias": false, "decoder_bias": true,
             "classifier_pooling": "cls", "classifier_bias": false, "classifier_activation": "gelu",
             "tie_word_embeddings": true}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public ModernBertConfig {
        positive("vocab_size", vocab_size);
        positive("hidden_size", hidden_size);
        positive("intermediate_size", intermediate_size);
        positive("num_hidden_layers", num_hidden_layers);
        positive("num_attention_heads", num_attention_heads);
        multipleOf("hidden_size", hidden_size, "num_attention_heads", num_attention_heads);
        if (hidden_size / num_attention_heads % 2 != 0) {
            throw new IllegalArgumentException("the head size hidden_size / num_attention_heads = "
                    + hidden_size / num_attention_heads + " must be even (rotary embedding rotates halves)");
        }
        activation("hidden_activation", hidden_activation);
        activation("classifier_activation", classifier_activation);
        positive("max_position_embeddings", max_position_embeddings);
        finitePositive("norm_eps", norm_eps);
        positive("global_attn_every_n_layers", global_attn_every_n_layers);
        positive("local_attention", local_attention);
        oneOf("classifier_pooling", classifier_pooling, "cls", "mean");
        if (rope_scaling != null && !rope_scaling.isJsonNull()) {
            throw new IllegalArgumentException("rope_scaling " + rope_scaling + " is not supported; ModernBERT's"
                    + " default rotary embedding is");
        }
        tensor("vocab_size", vocab_size, "hidden_size", hidden_size);
        tensor("intermediate_size", 2L * intermediate_size, "hidden_size", hidden_size);
        // the embedding's padding_idx must be a row (torch checks it); the other ids the model never reads
        tokenId("pad_token_id", pad_token_id, "vocab_size", vocab_size);
        labels(id2label);
        layer_types = layerTypes(layer_types, num_hidden_layers);
        rope_parameters = ropeParameters(rope_parameters);
        checkRope(rope_parameters, global_rope_theta, local_rope_theta);
    }

    /** The given layer types, checked; null (derived from global_attn_every_n_layers when asked) if none. */
    private static List<String> layerTypes(List<String> given, int layers) {
        if (given == null) {
            return null;
        }
        if (given.size() != layers) {
            throw new IllegalArgumentException("layer_types has " + given.size() + " entries, num_hidden_layers is "
                    + layers);
        }
        for (String t : given) {
            oneOf("layer_types entry", t, FULL, SLIDING);
        }
        return List.copyOf(given);
    }

    /** The entries given; a null one is as absent (transformers skips it, and the defaults fill in). */
    private static Map<String, Rope> ropeParameters(Map<String, Rope> given) {
        Map<String, Rope> out = new HashMap<>();
        if (given != null) {
            given.forEach((k, v) -> {
                if (k != null && v != null) {
                    out.put(k, v);
                }
            });
        }
        return Map.copyOf(out);
    }

    private static void checkRope(Map<String, Rope> rope, Double globalTheta, Double localTheta) {
        for (Map.Entry<String, Rope> e : rope.entrySet()) {
            oneOf("rope_parameters key", e.getKey(), FULL, SLIDING);
            Rope r = e.getValue();
            if (r.rope_type() != null) {
                oneOf("rope_parameters." + e.getKey() + ".rope_type", r.rope_type(), "default");
            }
            if (r.rope_theta() != null) {
                finitePositive("rope_parameters." + e.getKey() + ".rope_theta", r.rope_theta());
            }
        }
        if (globalTheta != null) {
            finitePositive("global_rope_theta", globalTheta);
        }
        if (localTheta != null) {
            finitePositive("local_rope_theta", localTheta);
        }
    }

    /**
     * Reads and checks config.json.
     *
     * @param c the parsed config.json
     * @return the checked config
     */
    public static ModernBertConfig from(ModelConfig c) {
        return ConfigReader.read(c, ModernBertConfig.class, Map.of(), DEFAULTS);
    }

    /**
     * Whether layer i attends within the sliding window: as layer_types says, else unless i is a
     * multiple of global_attn_every_n_layers.
     *
     * @param layer the layer's index
     * @return whether it attends within the window
     */
    public boolean sliding(int layer) {
        if (layer < 0 || layer >= num_hidden_layers) {
            throw new IndexOutOfBoundsException("layer " + layer + " of " + num_hidden_layers);
        }
        return layer_types != null ? layer_types.get(layer).equals(SLIDING) : layer % global_attn_every_n_layers != 0;
    }

    /**
     * Keys a sliding layer's token sees on each side: local_attention / 2 (transformers' sliding_window).
     *
     * @return the keys on each side
     */
    public int halfWindow() {
        return local_attention / 2;
    }

    /**
     * rope_theta of a layer type: rope_parameters', else global_ / local_rope_theta, else 160000 / 10000.
     *
     * @param layerType "full_attention" or "sliding_attention"
     * @return the base of the rotary frequencies
     */
    public double theta(String layerType) {
        Rope r = rope_parameters.get(layerType);
        if (r != null && r.rope_theta() != null) {
            return r.rope_theta();
        }
        Double old = layerType.equals(FULL) ? global_rope_theta : local_rope_theta;
        return old != null ? old : layerType.equals(FULL) ? GLOBAL_THETA : LOCAL_THETA;
    }

    /**
     * Head size D = hidden_size / num_attention_heads.
     *
     * @return D
     */
    public int headDim() {
        return hidden_size / num_attention_heads;
    }

    /** {@return classes of a classification head: id2label's size, 2 without one (as transformers' num_labels)} */
    public int numLabels() {
        return id2label == null || id2label.isEmpty() ? 2 : id2label.size();
    }

    /**
     * bos, eos and pad where they lie inside the vocabulary; the model reads none of them, and
     * transformers accepts configs whose bos and eos (50281, 50282 by default) a smaller vocabulary
     * lacks, so those are left out rather than refused.
     */
    @Override
    public SpecialTokens specialTokens() {
        Integer bos = bos_token_id != null && bos_token_id >= 0 && bos_token_id < vocab_size ? bos_token_id : null;
        TokenIds eos = eos_token_id == null ? null : new TokenIds(eos_token_id.ids().stream()
                .filter(id -> id >= 0 && id < vocab_size).toList());
        return SpecialTokens.of(bos, eos, pad_token_id, null);
    }
}
