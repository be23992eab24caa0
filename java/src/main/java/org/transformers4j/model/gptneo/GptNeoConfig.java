package org.transformers4j.model.gptneo;

import static org.transformers4j.model.ConfigChecks.activation;
import static org.transformers4j.model.ConfigChecks.finitePositive;
import static org.transformers4j.model.ConfigChecks.intProduct;
import static org.transformers4j.model.ConfigChecks.multipleOf;
import static org.transformers4j.model.ConfigChecks.positive;
import static org.transformers4j.model.ConfigChecks.tensor;
import static org.transformers4j.model.ConfigChecks.tokenId;
import static org.transformers4j.model.ConfigChecks.tokenIds;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.transformers4j.model.ConfigReader;
import org.transformers4j.model.FamilyConfig;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.model.TokenIds;

/**
 * The keys of a GPT-Neo config.json, with Hugging Face's defaults for missing ones (transformers'
 * GPTNeoConfig, whose attribute_map also accepts num_attention_heads and num_hidden_layers for
 * num_heads and num_layers), checked when made.
 *
 * @param attention_types [[kinds, repeat], ...]: kinds ("global" or "local") repeated, one per layer
 * @param attention_layers the expansion transformers saves beside attention_types; must agree with it
 * @param intermediate_size the feed-forward size, or null for 4 hidden_size
 * @param vocab_size V, rows of the token embedding table
 * @param max_position_embeddings the longest sequence the position embeddings (or the rotary settings) are made for
 * @param hidden_size C, the width of the hidden states
 * @param num_layers the number of transformer layers
 * @param num_heads H, the attention heads
 * @param window_size the local attention layers' window, in tokens
 * @param activation_function the feed-forward activation, by its Hugging Face name
 * @param layer_norm_epsilon the epsilon of the layer norms
 * @param bos_token_id the beginning-of-sequence token, or null
 * @param eos_token_id the end-of-sequence token or tokens, or null
 * @param pad_token_id the padding token, or null
 * @param tie_word_embeddings whether the output projection shares the token embedding table
 */
public record GptNeoConfig(int vocab_size, int max_position_embeddings, int hidden_size, int num_layers,
                           JsonArray attention_types, List<String> attention_layers, int num_heads,
                           Integer intermediate_size, int window_size, String activation_function,
                           double layer_norm_epsilon, Integer bos_token_id, TokenIds eos_token_id, Integer pad_token_id,
                           boolean tie_word_embeddings) implements FamilyConfig {

    private static final Map<String, String> ALIASES = Map.of("num_attention_heads", "num_heads",
            "num_hidden_layers", "num_layers");
    private static final JsonObject DEFAULTS = ConfigReader.defaults("""
            {"vocab_size": 50257, "max_position_embeddings": 2048, "hidden_size": 2048, "num_layers": 24,
             "attention_types": [[["global", "local"], 12]], "num_heads": 16, "window_size": 256,
             "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "bos_token_id": 50256,
             "eos_token_id": 50256, "tie_word_embeddings": true}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public GptNeoConfig {
        positive("vocab_size", vocab_size);
        positive("max_position_embeddings", max_position_embeddings);
        positive("hidden_size", hidden_size);
        positive("num_layers", num_layers);
        positive("num_heads", num_heads);
        multipleOf("hidden_size", hidden_size, "num_heads", num_heads);
        int inner = intermediate_size != null ? intermediate_size : intProduct("4", 4, "hidden_size", hidden_size);
        positive("intermediate_size", inner);
        positive("window_size", window_size);
        activation("activation_function", activation_function);
        finitePositive("layer_norm_epsilon", layer_norm_epsilon);
        countKinds(attention_types, num_layers);
        if (attention_layers != null) {
            sameAsTypes(attention_layers, attention_types, num_layers);
        }
        tensor("vocab_size", vocab_size, "hidden_size", hidden_size);
        tensor("max_position_embeddings", max_position_embeddings, "hidden_size", hidden_size);
        tensor("intermediate_size", inner, "hidden_size", hidden_size);
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
    public static GptNeoConfig from(ModelConfig c) {
        return ConfigReader.read(c, GptNeoConfig.class, ALIASES, DEFAULTS);
    }

    /**
     * "global" or "local": the kind of layer i (0 &lt;= i &lt; num_layers) attention_types gives.
     *
     * @param layer the layer's index
     * @return "global" or "local"
     */
    public String layerKind(int layer) {
        return kindOf(attention_types, layer);
    }

    private static String kindOf(JsonArray types, int layer) {
        long first = 0;
        for (JsonElement group : types) {
            JsonArray kinds = group.getAsJsonArray().get(0).getAsJsonArray();
            long span = group.getAsJsonArray().get(1).getAsLong() * kinds.size();
            if (layer < first + span) {
                return kinds.get((int) ((layer - first) % kinds.size())).getAsString();
            }
            first += span;
        }
        throw new IndexOutOfBoundsException("layer " + layer + " of attention_types " + types);
    }

    /** {@return the feed-forward size: intermediate_size, else 4 hidden_size} */
    public int inner() {
        return intermediate_size != null ? intermediate_size : 4 * hidden_size;
    }

    /** {@return D, the size of a head} */
    public int headDim() {
        return hidden_size / num_heads;
    }

    @Override
    public SpecialTokens specialTokens() {
        return SpecialTokens.of(bos_token_id, eos_token_id, pad_token_id, null);
    }

    /**
     * attention_types gives exactly one kind ("global" or "local") per layer; counted, not
     * expanded, so that no repeat count can make it allocate.
     */
    private static void countKinds(JsonArray types, int layers) {
        String form = "attention_types must be a list of [[\"global\" or \"local\", ...], repeat] pairs, is ";
        if (types == null) {
            throw new IllegalArgumentException(form + "null");
        }
        long count = 0;
        for (JsonElement group : types) {
            if (!group.isJsonArray() || group.getAsJsonArray().size() != 2
                    || !group.getAsJsonArray().get(0).isJsonArray() || !isCount(group.getAsJsonArray().get(1))) {
                throw new IllegalArgumentException(form + types);
            }
            JsonArray kinds = group.getAsJsonArray().get(0).getAsJsonArray();
            for (JsonElement kind : kinds) {
                if (!kind.isJsonPrimitive() || !kind.getAsJsonPrimitive().isString()
                        || !(kind.getAsString().equals("global") || kind.getAsString().equals("local"))) {
                    throw new IllegalArgumentException(form + types);
                }
            }
            count += group.getAsJsonArray().get(1).getAsLong() * kinds.size();
            if (count > layers) {
                break;
            }
        }
        if (count != layers) {
            throw new IllegalArgumentException("attention_types " + types + " gives " + count + " layers, num_layers"
                    + " is " + layers);
        }
    }

    /** The expansion transformers saves must agree with attention_types. */
    private static void sameAsTypes(List<String> layers, JsonArray types, int count) {
        boolean same = layers.size() == count;
        for (int i = 0; same && i < count; i++) {
            same = kindOf(types, i).equals(layers.get(i));
        }
        if (!same) {
            throw new IllegalArgumentException("attention_layers " + layers + " disagrees with attention_types "
                    + types);
        }
    }

    private static boolean isCount(JsonElement e) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            return false;
        }
        try {
            BigDecimal v = e.getAsBigDecimal();
            return v.signum() >= 0 && v.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0
                    && v.stripTrailingZeros().scale() <= 0;
        } catch (NumberFormatException | ArithmeticException notANumber) { // an exponent beyond an int
            return false;
        }
    }
}
