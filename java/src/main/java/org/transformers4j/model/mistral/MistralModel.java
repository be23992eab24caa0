package org.transformers4j.model.mistral;

import org.transformers4j.backend.Activation;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.llama.LlamaShape;
import org.transformers4j.nn.Weights;

/**
 * Mistral (MistralForCausalLM, MistralForSequenceClassification), as transformers' modeling_mistral.
 * Where it departs from Llama:
 * <ul>
 *   <li>sliding-window attention on every layer when sliding_window is set (null: global attention
 *       everywhere, exactly Llama's): transformers builds the mask with
 *       create_sliding_window_causal_mask, where a query at cache index i sees keys j with
 *       i - sliding_window &lt; j &lt;= i. The window holds sliding_window positions counting the
 *       query itself, and counts cache indices: the padding of a left-padded batch takes room in
 *       it. A window at least as long as the sequence changes nothing;</li>
 *   <li>no biases anywhere (q, k, v, o and the MLP), whatever attention_bias or mlp_bias say;</li>
 *   <li>head_dim may be set apart from hidden_size / num_attention_heads (Mistral Nemo);</li>
 *   <li>defaults: num_key_value_heads 8, max_position_embeddings 131072, no pad token.</li>
 * </ul>
 * layer_types in a Mistral config is ignored, as transformers ignores it (with a warning).
 */
public final class MistralModel {
    private MistralModel() {
    }

    /**
     * Builds MistralForCausalLM from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static DecoderModel load(ModelConfig config, MistralConfig cfg, Weights w, String architecture) {
        return shape(cfg).causalLm(config, w);
    }

    /**
     * Builds MistralForSequenceClassification from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static EncoderModel loadClassifier(ModelConfig config, MistralConfig cfg, Weights w, String architecture) {
        return shape(cfg).sequenceClassifier(config, w, cfg.numLabels(), cfg.pad_token_id());
    }

    private static LlamaShape shape(MistralConfig cfg) {
        return new LlamaShape(cfg.vocab_size(), cfg.hidden_size(), cfg.num_hidden_layers(), cfg.num_attention_heads(),
                cfg.kvHeads(), cfg.headDim(), cfg.intermediate_size(), cfg.max_position_embeddings(),
                cfg.rms_norm_eps(), Activation.fromConfigName(cfg.hidden_act()), false, false, false, false, false,
                false, 1f, cfg::window, cfg.rope(), cfg.rotaryDim(), cfg.tie_word_embeddings(), cfg.specialTokens());
    }
}
