package org.transformers4j.model;

import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** A decoder-only language model (GPT-2, GPT-Neo, Llama and its kin) ready to run; safe to share between threads. */
public interface DecoderModel extends AutoCloseable {

    /** {@return the model's config.json} */
    ModelConfig config();

    /** {@return vocabulary size (logits per position)} */
    int vocabSize();

    /** {@return hidden size C} */
    int hiddenSize();

    /** {@return the context length: positions a sequence may hold, prompt and generated tokens together} */
    int maxPositions();

    /** {@return the special tokens of config.json (and generation_config.json where the loader read it)} */
    SpecialTokens specialTokens();

    /**
     * The number of cached positions at which the next token's pass needs a cache rebuilt from
     * the whole sequence, or -1 (every model but LongRoPE ones). Phi-3's LongRoPE rotates by other
     * frequencies once a sequence passes original_max_position_embeddings, and transformers'
     * generate then re-runs the whole sequence from an empty cache
     * (Phi3ForCausalLM.prepare_inputs_for_generation); generation does the same at this length.
     *
     * @return the length, or -1
     */
    default int recomputeAt() {
        return -1;
    }

    /**
     * {@return a cache for batch sequences of up to capacity positions, owned by the caller}
     *
     * @param batch B, the sequences
     * @param capacity positions each sequence may hold
     */
    KvCache newCache(int batch, int capacity);

    /**
     * Runs the new tokens after what the cache holds, appends their keys and values to it and
     * returns hidden states (all of them, or only the last) and logits (for every position, or only
     * the last of each row) allocated in {@code out}.
     *
     * @param input the new tokens [B, S]
     * @param cache what the sequences hold so far
     * @param allHiddenStates whether every layer's hidden states are returned, or only the last
     * @param lastLogitsOnly whether logits are computed for each row's last position only
     * @param out where the outputs are allocated
     * @return the hidden states and logits
     */
    DecoderOutput forward(DecoderInput input, KvCache cache, boolean allHiddenStates, boolean lastLogitsOnly,
                          TensorArena out);

    /**
     * As above, and with {@code outputAttentions} each layer's attention probabilities
     * [B, H, S, P + S] (transformers' output_attentions with eager attention; the pass then attends
     * unfused). Models that cannot give them refuse.
     *
     * @param input the new tokens [B, S]
     * @param cache what the sequences hold so far
     * @param allHiddenStates whether every layer's hidden states are returned, or only the last
     * @param lastLogitsOnly whether logits are computed for each row's last position only
     * @param outputAttentions whether each layer's attention probabilities are returned
     * @param out where the outputs are allocated
     * @return the hidden states, logits and (when asked) attention probabilities
     * @throws UnsupportedOperationException when asked for probabilities the model cannot give
     */
    default DecoderOutput forward(DecoderInput input, KvCache cache, boolean allHiddenStates, boolean lastLogitsOnly,
                                  boolean outputAttentions, TensorArena out) {
        if (outputAttentions) {
            throw new UnsupportedOperationException("attention probabilities are not available for "
                    + config().source());
        }
        return forward(input, cache, allHiddenStates, lastLogitsOnly, out);
    }

    /**
     * One step of generation: runs the new tokens after what the cache holds, appends their keys
     * and values to it and returns only the last position's logits [B, 1, V], in {@code out}. No
     * hidden states: a GPU model would otherwise copy the last one to the host at every step.
     *
     * @param input the new tokens [B, S]
     * @param cache what the sequences hold so far
     * @param out where the logits are allocated
     * @return the logits [B, 1, V]
     */
    default Tensor decodeStep(DecoderInput input, KvCache cache, TensorArena out) {
        return forward(input, cache, false, true, out).logits();
    }

    /**
     * {@return a full forward pass without a cache kept for later}
     *
     * @param input the tokens [B, S]
     * @param allHiddenStates whether every layer's hidden states are returned, or only the last
     * @param out where the outputs are allocated
     */
    default DecoderOutput forward(DecoderInput input, boolean allHiddenStates, TensorArena out) {
        try (KvCache cache = newCache(input.batch(), input.seq())) {
            return forward(input, cache, allHiddenStates, false, out);
        }
    }

    /** Releases the weights. */
    @Override
    void close();
}
