package org.transformers4j.model.qwen3;

import org.transformers4j.backend.Activation;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.llama.LlamaShape;
import org.transformers4j.nn.Weights;

/**
 * Qwen3 (Qwen3ForCausalLM, Qwen3ForSequenceClassification), as transformers' modeling_qwen3. Where it
 * departs from Llama:
 * <ul>
 *   <li>self_attn.q_norm and self_attn.k_norm: RMS norms over D (weight [head_dim], eps
 *       rms_norm_eps) of each query head and each key head, applied after the projection and
 *       before the rotary embedding (values are not normed); the keys cached are normed and
 *       rotated;</li>
 *   <li>head_dim is its own key, 128 when missing, and need not be hidden_size / num_attention_heads
 *       (o_proj maps heads x head_dim back to hidden_size); the scale is head_dim^-0.5;</li>
 *   <li>attention_bias puts biases on q_proj, k_proj, v_proj and o_proj alike; the MLP has none;</li>
 *   <li>sliding windows as Qwen2's: only with use_sliding_window, on the layers layer_types names
 *       sliding_attention (or from max_window_layers on), window counting the query itself;</li>
 *   <li>defaults: num_key_value_heads 32 when missing, no bos, eos or pad token, untied LM head.</li>
 * </ul>
 */
public final class Qwen3Model {
    private Qwen3Model() {
    }

    /**
     * Builds Qwen3ForCausalLM from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static DecoderModel load(ModelConfig config, Qwen3Config cfg, Weights w, String architecture) {
        return shape(cfg).causalLm(config, w);
    }

    /**
     * Builds Qwen3ForSequenceClassification from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static EncoderModel loadClassifier(ModelConfig config, Qwen3Config cfg, Weights w, String architecture) {
        return shape(cfg).sequenceClassifier(config, w, cfg.numLabels(), cfg.pad_token_id());
    }

    private static LlamaShape shape(Qwen3Config cfg) {
        return new LlamaShape(cfg.vocab_size(), cfg.hidden_size(), cfg.num_hidden_layers(), cfg.num_attention_heads(),
                cfg.kvHeads(), cfg.headDim(), cfg.intermediate_size(), cfg.max_position_embeddings(),
                cfg.rms_norm_eps(), Activation.fromConfigName(cfg.hidden_act()), cfg.attention_bias(),
                cfg.attention_bias(), false, false, false, true, 1f, cfg::window, cfg.rope(), cfg.rotaryDim(),
                cfg.tie_word_embeddings(), cfg.specialTokens());
    }
}
