package org.transformers4j.model.gemma;

import org.transformers4j.backend.Activation;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.llama.LlamaShape;
import org.transformers4j.nn.Weights;

/**
 * Gemma (GemmaForCausalLM, GemmaForSequenceClassification), as transformers' modeling_gemma. Where it
 * departs from Llama:
 * <ul>
 *   <li>RMS norm y = x / sqrt(mean(x^2) + eps) * (1 + weight): the stored weight is an offset from
 *       1 (initialised to zeros), 1 + weight taken in float32, and the product taken in float32
 *       before the cast back (Llama casts before multiplying; the same in float32);</li>
 *   <li>token embeddings multiplied by sqrt(hidden_size), a float32 constant cast to the model's
 *       dtype first (in bfloat16, sqrt(3072) = 55.43 becomes 55.5); hidden_states[0] is the scaled
 *       embedding;</li>
 *   <li>the MLP is gated with hidden_act, gelu_pytorch_tanh by default (GeGLU with tanh GELU); as in
 *       transformers 5, hidden_act is what counts, an old hidden_activation key is not read;</li>
 *   <li>head_dim is its own key (256 when missing) and need not be hidden_size /
 *       num_attention_heads; the scale is head_dim^-0.5; num_key_value_heads 1 is multi-query
 *       attention;</li>
 *   <li>the LM head is tied to the embeddings by default (tie_word_embeddings true); a tied head
 *       reads the embeddings even where the file also stores lm_head.weight;</li>
 *   <li>attention_bias puts biases on q, k, v and o; the MLP has none. No sliding window.</li>
 * </ul>
 */
public final class GemmaModel {
    private GemmaModel() {
    }

    /**
     * Builds GemmaForCausalLM from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static DecoderModel load(ModelConfig config, GemmaConfig cfg, Weights w, String architecture) {
        return shape(cfg).causalLm(config, w);
    }

    /**
     * Builds GemmaForSequenceClassification from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static EncoderModel loadClassifier(ModelConfig config, GemmaConfig cfg, Weights w, String architecture) {
        return shape(cfg).sequenceClassifier(config, w, cfg.numLabels(), cfg.pad_token_id());
    }

    private static LlamaShape shape(GemmaConfig cfg) {
        return new LlamaShape(cfg.vocab_size(), cfg.hidden_size(), cfg.num_hidden_layers(), cfg.num_attention_heads(),
                cfg.kvHeads(), cfg.head_dim(), cfg.intermediate_size(), cfg.max_position_embeddings(),
                cfg.rms_norm_eps(), Activation.fromConfigName(cfg.hidden_act()), cfg.attention_bias(),
                cfg.attention_bias(), false, false, true, false, cfg.embedScale(),
                layer -> 0, cfg.rope(), cfg.rotaryDim(), cfg.tie_word_embeddings(), cfg.specialTokens());
    }
}
