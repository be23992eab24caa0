package org.transformers4j.model;

import java.util.List;
import org.transformers4j.tensor.Tensor;

/**
 * What an encoder computed: the hidden states after the embeddings and after each layer
 * ([B, S, C] each; the last is the model's output) and the head's logits, or null without a head
 * (shapes per head kind: {@link EncoderModel.Head}), and when asked for, each layer's attention
 * probabilities [B, H, S, S] (empty otherwise).
 *
 * @param hiddenStates the hidden states, or only the last
 * @param logits the head's logits, or null
 * @param attentions each layer's attention probabilities, or empty
 */
public record EncoderOutput(List<Tensor> hiddenStates, Tensor logits, List<Tensor> attentions) {
    /**
     * An output without attention probabilities.
     *
     * @param hiddenStates the hidden states, or only the last
     * @param logits the head's logits, or null
     */
    public EncoderOutput(List<Tensor> hiddenStates, Tensor logits) {
        this(hiddenStates, logits, List.of());
    }


    /** {@return the last hidden state [B, S, C]} */
    public Tensor lastHiddenState() {
        return hiddenStates.get(hiddenStates.size() - 1);
    }
}
