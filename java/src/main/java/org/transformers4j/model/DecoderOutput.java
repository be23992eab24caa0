package org.transformers4j.model;

import java.util.List;
import org.transformers4j.tensor.Tensor;

/**
 * What a decoder computed for its new tokens: hidden states [B, S, C] after the embeddings and
 * after each layer, the last one after the final norm (as Hugging Face returns them), and the
 * logits [B, S, V], or [B, 1, V] for the last position only; when asked for, each layer's
 * attention probabilities [B, H, S, P + S] over the cached and new keys, and in an
 * encoder-decoder's decoder each layer's cross-attention probabilities [B, H, S, T] over the T
 * source positions (empty otherwise).
 *
 * @param hiddenStates the hidden states, or only the last
 * @param logits the logits
 * @param attentions each layer's self-attention probabilities, or empty
 * @param crossAttentions each layer's cross-attention probabilities, or empty
 */
public record DecoderOutput(List<Tensor> hiddenStates, Tensor logits, List<Tensor> attentions,
                            List<Tensor> crossAttentions) {
    /**
     * An output without cross-attention probabilities.
     *
     * @param hiddenStates the hidden states, or only the last
     * @param logits the logits
     * @param attentions each layer's self-attention probabilities, or empty
     */
    public DecoderOutput(List<Tensor> hiddenStates, Tensor logits, List<Tensor> attentions) {
        this(hiddenStates, logits, attentions, List.of());
    }

    /**
     * An output without attention probabilities.
     *
     * @param hiddenStates the hidden states, or only the last
     * @param logits the logits
     */
    public DecoderOutput(List<Tensor> hiddenStates, Tensor logits) {
        this(hiddenStates, logits, List.of(), List.of());
    }
}
