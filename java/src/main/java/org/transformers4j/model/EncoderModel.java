package org.transformers4j.model;

import org.transformers4j.tensor.TensorArena;

/** An encoder-only model with its head, ready to run; safe to share between threads. */
public interface EncoderModel extends AutoCloseable {

    /** The model's config.json. */
    ModelConfig config();

    /** Vocabulary size. */
    int vocabSize();

    /** Hidden size C. */
    int hiddenSize();

    /** Longest sequence the position embeddings allow. */
    int maxPositions();

    /** Which head the checkpoint's architecture has. */
    Head head();

    /**
     * The heads of encoder models. Logits: [B, S, V] for masked LM, [B, labels] for sequence
     * classification, [B, S, labels] for token classification, [B, S, 2] for question answering
     * (start logits at index 0, end logits at 1), [B, S] for ELECTRA's replaced-token detection.
     */
    enum Head { NONE, MASKED_LM, SEQUENCE_CLASSIFICATION, TOKEN_CLASSIFICATION, QUESTION_ANSWERING,
        REPLACED_TOKEN_DETECTION }

    /**
     * Runs the model; outputs are allocated in {@code out} (intermediates are freed before return).
     * With {@code allHiddenStates} false, only the last hidden state is kept.
     */
    EncoderOutput forward(EncoderInput input, boolean allHiddenStates, TensorArena out);

    /**
     * As {@link #forward(EncoderInput, boolean, TensorArena)}, and with {@code outputAttentions}
     * each layer's attention probabilities [B, H, S, S] (transformers' output_attentions with eager
     * attention; the pass then attends unfused). Models that cannot give them refuse.
     */
    default EncoderOutput forward(EncoderInput input, boolean allHiddenStates, boolean outputAttentions,
                                  TensorArena out) {
        if (outputAttentions) {
            throw new UnsupportedOperationException("attention probabilities are not available for "
                    + config().source());
        }
        return forward(input, allHiddenStates, out);
    }

    /** Releases the weights. */
    @Override
    void close();
}
