package org.transformers4j.model.phi3;

import org.transformers4j.backend.Activation;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.llama.LlamaShape;
import org.transformers4j.nn.Weights;

/**
 * Phi-3 (Phi3ForCausalLM, Phi3ForSequenceClassification; also Phi-3.5-mini and Phi-4-mini), as
 * transformers' modeling_phi3. Where it departs from Llama:
 * <ul>
 *   <li>self_attn.qkv_proj is one [(H + 2K) D, C] projection, rows q | k | v, and mlp.gate_up_proj
 *       one [2F, C], rows gate | up (chunk(2): act(gate) * up), read as stored; no biases;</li>
 *   <li>partial rotary embedding: the first int(head_dim x partial_rotary_factor) dimensions of each
 *       head rotate (rotate-half within them), the rest pass through;</li>
 *   <li>LongRoPE (rope type longrope, or su / yarn, which Phi3Config renames): frequencies divided by
 *       short_factor, or by long_factor in a pass whose max(position_ids) + 1 exceeds
 *       original_max_position_embeddings, and cos and sin multiplied by attention_factor (default
 *       sqrt(1 + ln(max_position_embeddings / original) / ln(original))), which is folded into the
 *       rotated rows of the q and k projections. When a sequence being generated reaches
 *       original_max_position_embeddings + 1 tokens, transformers re-runs it whole from an empty
 *       cache (Phi3ForCausalLM.prepare_inputs_for_generation); generation here does the same
 *       (DecoderModel.recomputeAt), and a pass that would mix cached short-factor keys with long
 *       ones is refused;</li>
 *   <li>sliding_window on every layer when set (Phi-3-mini-4k: 2047), as Mistral's: a query at cache
 *       index i sees keys i - sliding_window &lt; j &lt;= i;</li>
 *   <li>rms_norm_eps 1e-5 by default; head_dim is hidden_size / num_attention_heads unless config.json
 *       has one. Residual dropouts are identities at inference.</li>
 * </ul>
 * Other rope types (linear, llama3, dynamic) are refused: Phi3Config rejects them too.
 */
public final class Phi3Model {
    private Phi3Model() {
    }

    /**
     * Builds Phi3ForCausalLM from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static DecoderModel load(ModelConfig config, Phi3Config cfg, Weights w, String architecture) {
        return shape(cfg).causalLm(config, w);
    }

    /**
     * Builds Phi3ForSequenceClassification from the checked config and the weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static EncoderModel loadClassifier(ModelConfig config, Phi3Config cfg, Weights w, String architecture) {
        return shape(cfg).sequenceClassifier(config, w, cfg.numLabels(), cfg.pad_token_id());
    }

    private static LlamaShape shape(Phi3Config cfg) {
        return new LlamaShape(cfg.vocab_size(), cfg.hidden_size(), cfg.num_hidden_layers(), cfg.num_attention_heads(),
                cfg.kvHeads(), cfg.headDim(), cfg.intermediate_size(), cfg.max_position_embeddings(),
                cfg.rms_norm_eps(), Activation.fromConfigName(cfg.hidden_act()), false, false, false, true, false,
                false, 1f, cfg::window, cfg.rope(), cfg.rotaryDim(), cfg.tie_word_embeddings(), cfg.specialTokens());
    }
}
