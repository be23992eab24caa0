package org.transformers4j.model.llama;

import org.transformers4j.backend.Activation;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.nn.Weights;

/**
 * Llama (LlamaForCausalLM, LlamaModel, LlamaForSequenceClassification): rotary positions with
 * rope_theta (and linear, Llama 3 or YaRN scaling), RMS norm, SwiGLU, grouped-query attention
 * with num_key_value_heads, a tied or untied LM head. The layout the Llama-shaped families
 * ({@link LlamaShape}) depart from.
 */
public final class LlamaModel {
    private LlamaModel() {
    }

    /**
     * Builds the causal LM from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static DecoderModel load(ModelConfig config, LlamaConfig cfg, Weights w, String architecture) {
        return shape(cfg).causalLm(config, w);
    }

    /**
     * Builds LlamaForSequenceClassification from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static EncoderModel loadClassifier(ModelConfig config, LlamaConfig cfg, Weights w, String architecture) {
        return shape(cfg).sequenceClassifier(config, w, cfg.numLabels(), cfg.pad_token_id());
    }

    private static LlamaShape shape(LlamaConfig cfg) {
        int d = cfg.headDim();
        return new LlamaShape(cfg.vocab_size(), cfg.hidden_size(), cfg.num_hidden_layers(), cfg.num_attention_heads(),
                cfg.kvHeads(), d, cfg.intermediate_size(), cfg.max_position_embeddings(), cfg.rms_norm_eps(),
                Activation.fromConfigName(cfg.hidden_act()), cfg.attention_bias(), cfg.attention_bias(), cfg.mlp_bias(),
                false, false, false, 1f, layer -> 0,
                cfg.rope(), cfg.rotaryDim(), cfg.tie_word_embeddings(),
                cfg.specialTokens());
    }
}
