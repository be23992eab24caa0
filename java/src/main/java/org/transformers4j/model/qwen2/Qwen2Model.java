package org.transformers4j.model.qwen2;

import org.transformers4j.backend.Activation;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.llama.LlamaShape;
import org.transformers4j.nn.Weights;

/**
 * Qwen2 (Qwen2ForCausalLM, Qwen2ForSequenceClassification), as transformers' modeling_qwen2. Where it
 * departs from Llama:
 * <ul>
 *   <li>biases on q_proj, k_proj and v_proj, always, and none on o_proj or the MLP (no
 *       attention_bias or mlp_bias key);</li>
 *   <li>sliding-window layers: only with use_sliding_window, then those layer_types names
 *       sliding_attention, or without layer_types every layer from max_window_layers on; a query
 *       at cache index i sees keys j with i - sliding_window &lt; j &lt;= i (masking_utils'
 *       sliding_window_overlay: the window counts the query itself, and counts padding positions
 *       of a left-padded batch, since it works on cache indices, not position ids);</li>
 *   <li>head_dim is no config key; hidden_size / num_attention_heads unless config.json has one;</li>
 *   <li>defaults: num_key_value_heads 32 when missing, no bos, eos or pad token,
 *       tie_word_embeddings false (small Qwen2 checkpoints set it true).</li>
 * </ul>
 * Rotary embedding, RMS norm (weight times the normalised float32), SwiGLU, 1/sqrt(D) scaling and
 * the causal mask are Llama's.
 */
public final class Qwen2Model {
    private Qwen2Model() {
    }

    /**
     * Builds Qwen2ForCausalLM from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static DecoderModel load(ModelConfig config, Qwen2Config cfg, Weights w, String architecture) {
        return shape(cfg).causalLm(config, w);
    }

    /**
     * Builds Qwen2ForSequenceClassification from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static EncoderModel loadClassifier(ModelConfig config, Qwen2Config cfg, Weights w, String architecture) {
        return shape(cfg).sequenceClassifier(config, w, cfg.numLabels(), cfg.pad_token_id());
    }

    private static LlamaShape shape(Qwen2Config cfg) {
        return new LlamaShape(cfg.vocab_size(), cfg.hidden_size(), cfg.num_hidden_layers(), cfg.num_attention_heads(),
                cfg.kvHeads(), cfg.headDim(), cfg.intermediate_size(), cfg.max_position_embeddings(),
                cfg.rms_norm_eps(), Activation.fromConfigName(cfg.hidden_act()), true, false, false, false, false, false,
                1f, cfg::window, cfg.rope(), cfg.rotaryDim(), cfg.tie_word_embeddings(), cfg.specialTokens());
    }
}
