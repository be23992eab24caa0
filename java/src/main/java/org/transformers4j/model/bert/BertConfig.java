package org.transformers4j.model.bert;

import static org.transformers4j.model.ConfigChecks.activation;
import static org.transformers4j.model.ConfigChecks.finitePositive;
import static org.transformers4j.model.ConfigChecks.labels;
import static org.transformers4j.model.ConfigChecks.multipleOf;
import static org.transformers4j.model.ConfigChecks.nonNegative;
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
 * The keys of a BERT, RoBERTa or XLM-RoBERTa config.json (model_type "bert", "roberta" or
 * "xlm-roberta"), with Hugging Face's defaults for missing ones (transformers' BertConfig,
 * RobertaConfig and XLMRobertaConfig, which differ only in defaults), checked when made.
 *
 * @param type_vocab_size rows of token_type_embeddings; 0 for a model without them
 * @param position_embedding_type only "absolute" (or null, which transformers reads the same)
 * @param id2label class labels by index, or null (two classes)
 * @param model_type the config's model_type, which picks the variant of the layout
 * @param vocab_size V, rows of the token embedding table
 * @param hidden_size C, the width of the hidden states
 * @param num_hidden_layers the number of transformer layers
 * @param num_attention_heads H, the attention heads (C / H is the size of a head unless the config says otherwise)
 * @param intermediate_size F, the feed-forward width
 * @param hidden_act the feed-forward activation, by its Hugging Face name
 * @param max_position_embeddings the longest sequence the position embeddings (or the rotary settings) are made for
 * @param layer_norm_eps the epsilon of the layer norms
 * @param pad_token_id the padding token, or null
 * @param bos_token_id the beginning-of-sequence token, or null
 * @param eos_token_id the end-of-sequence token or tokens, or null
 * @param tie_word_embeddings whether the output projection shares the token embedding table
 */
public record BertConfig(String model_type, int vocab_size, int hidden_size, int num_hidden_layers,
                         int num_attention_heads, int intermediate_size, String hidden_act,
                         int max_position_embeddings, int type_vocab_size, double layer_norm_eps, Integer pad_token_id,
                         Integer bos_token_id, TokenIds eos_token_id, String position_embedding_type,
                         boolean tie_word_embeddings, Map<Integer, String> id2label) implements FamilyConfig {

    private static final JsonObject BERT = ConfigReader.defaults("""
            {"vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
             "intermediate_size": 3072, "hidden_act": "gelu", "max_position_embeddings": 512, "type_vocab_size": 2,
             "layer_norm_eps": 1e-12, "pad_token_id": 0, "position_embedding_type": "absolute",
             "tie_word_embeddings": true}""");
    private static final JsonObject ROBERTA = ConfigReader.defaults("""
            {"vocab_size": 50265, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
             "intermediate_size": 3072, "hidden_act": "gelu", "max_position_embeddings": 512, "type_vocab_size": 2,
             "layer_norm_eps": 1e-12, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
             "position_embedding_type": "absolute", "tie_word_embeddings": true}""");
    /** XLMRobertaConfig: RoBERTa's, except the vocabulary size BERT's (the checkpoints set their own). */
    private static final JsonObject XLM_ROBERTA = ConfigReader.defaults("""
            {"vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
             "intermediate_size": 3072, "hidden_act": "gelu", "max_position_embeddings": 512, "type_vocab_size": 2,
             "layer_norm_eps": 1e-12, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
             "position_embedding_type": "absolute", "tie_word_embeddings": true}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public BertConfig {
        oneOf("model_type", model_type, "bert", "roberta", "xlm-roberta");
        positive("vocab_size", vocab_size);
        positive("hidden_size", hidden_size);
        positive("num_hidden_layers", num_hidden_layers);
        positive("num_attention_heads", num_attention_heads);
        multipleOf("hidden_size", hidden_size, "num_attention_heads", num_attention_heads);
        positive("intermediate_size", intermediate_size);
        activation("hidden_act", hidden_act);
        positive("max_position_embeddings", max_position_embeddings);
        nonNegative("type_vocab_size", type_vocab_size);
        finitePositive("layer_norm_eps", layer_norm_eps);
        if (position_embedding_type != null) {
            oneOf("position_embedding_type", position_embedding_type, "absolute");
        }
        tensor("vocab_size", vocab_size, "hidden_size", hidden_size);
        tensor("max_position_embeddings", max_position_embeddings, "hidden_size", hidden_size);
        tensor("intermediate_size", intermediate_size, "hidden_size", hidden_size);
        tensor("type_vocab_size", type_vocab_size, "hidden_size", hidden_size);
        tokenId("pad_token_id", pad_token_id, "vocab_size", vocab_size);
        tokenId("bos_token_id", bos_token_id, "vocab_size", vocab_size);
        tokenIds("eos_token_id", eos_token_id, "vocab_size", vocab_size);
        labels(id2label);
        if (!model_type.equals("bert")) {
            robertaPositions(pad_token_id, max_position_embeddings);
        }
    }

    /** RoBERTa's positions start after padding_idx, so the table must reach past it. */
    private static void robertaPositions(Integer pad, int positions) {
        if (pad == null) {
            throw new IllegalArgumentException("pad_token_id must be set for RoBERTa (its positions count from it)");
        }
        if (positions <= pad + 1) {
            throw new IllegalArgumentException("max_position_embeddings " + positions + " leaves no position after"
                    + " pad_token_id " + pad + " + 1, where RoBERTa's positions start");
        }
    }

    /**
     * Reads and checks config.json with the defaults of its model_type.
     *
     * @param c the parsed config.json
     * @return the checked config
     */
    public static BertConfig from(ModelConfig c) {
        JsonObject defaults = switch (c.modelType()) {
            case "roberta" -> ROBERTA;
            case "xlm-roberta" -> XLM_ROBERTA;
            default -> BERT;
        };
        return ConfigReader.read(c, BertConfig.class, Map.of(), defaults);
    }

    /** {@return RoBERTa's layout (positions after padding_idx, "roberta." prefix): RoBERTa and XLM-RoBERTa} */
    public boolean isRoberta() {
        return !model_type.equals("bert");
    }

    /** {@return longest input: RoBERTa's positions start after padding_idx} */
    public int maxTokens() {
        return isRoberta() ? max_position_embeddings - pad_token_id - 1 : max_position_embeddings;
    }

    /** {@return classes of a classification head: id2label's size, 2 without one (as transformers' num_labels)} */
    public int numLabels() {
        return id2label == null || id2label.isEmpty() ? 2 : id2label.size();
    }

    @Override
    public SpecialTokens specialTokens() {
        return SpecialTokens.of(bos_token_id, eos_token_id, pad_token_id, null);
    }
}
