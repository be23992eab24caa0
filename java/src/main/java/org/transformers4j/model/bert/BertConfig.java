package org.transformers4j.model.bert;

import java.util.Map;
import org.transformers4j.model.ModelConfig;

/**
 * The keys of a BERT or RoBERTa config.json (model_type "bert" or "roberta"), with Hugging Face's
 * defaults for missing ones.
 */
public record BertConfig(String model_type, int vocab_size, int hidden_size, int num_hidden_layers,
                         int num_attention_heads, int intermediate_size, String hidden_act,
                         int max_position_embeddings, int type_vocab_size, double layer_norm_eps, int pad_token_id,
                         Map<Integer, String> id2label) {

    public static BertConfig from(ModelConfig c) {
        BertConfig cfg = new BertConfig(c.modelType(), c.requireInt("vocab_size"), c.getInt("hidden_size", 768),
                c.getInt("num_hidden_layers", 12), c.getInt("num_attention_heads", 12),
                c.getInt("intermediate_size", 3072), c.getString("hidden_act", "gelu"),
                c.getInt("max_position_embeddings", 512), c.getInt("type_vocab_size", 2),
                c.getDouble("layer_norm_eps", 1e-12), c.getInt("pad_token_id", 0), c.id2label());
        if (cfg.hidden_size % cfg.num_attention_heads != 0) {
            throw new IllegalArgumentException(c.source() + ": hidden_size " + cfg.hidden_size
                    + " is not a multiple of num_attention_heads " + cfg.num_attention_heads);
        }
        return cfg;
    }

    public boolean isRoberta() {
        return model_type.equals("roberta") || model_type.equals("xlm-roberta");
    }

    /** Longest input: RoBERTa's positions start after padding_idx. */
    public int maxTokens() {
        return isRoberta() ? max_position_embeddings - pad_token_id - 1 : max_position_embeddings;
    }
}
