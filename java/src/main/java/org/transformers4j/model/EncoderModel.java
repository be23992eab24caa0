package org.transformers4j.model;

import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** An encoder-only model with its head, ready to run; safe to share between threads. */
public interface EncoderModel extends AutoCloseable {

    /** {@return the model's config.json} */
    ModelConfig config();

    /** {@return vocabulary size} */
    int vocabSize();

    /** {@return hidden size C} */
    int hiddenSize();

    /** {@return longest sequence the position embeddings allow} */
    int maxPositions();

    /** {@return which head the checkpoint's architecture has} */
    Head head();

    /**
     * The heads of encoder models. Logits: [B, S, V] for masked LM, [B, labels] for sequence
     * classification, [B, S, labels] for token classification, [B, S, 2] for question answering
     * (start logits at index 0, end logits at 1), [B, S] for ELECTRA's replaced-token detection.
     */
    enum Head {
        /** No head: the hidden states are the output. */
        NONE,
        /** Masked language modelling (fill-mask). */
        MASKED_LM,
        /** Sequence classification. */
        SEQUENCE_CLASSIFICATION,
        /** Token classification. */
        TOKEN_CLASSIFICATION,
        /** Extractive question answering: start and end logits. */
        QUESTION_ANSWERING,
        /** ELECTRA's discriminator: whether each token was replaced. */
        REPLACED_TOKEN_DETECTION
    }

    /**
     * Runs the model; outputs are allocated in {@code out} (intermediates are freed before return).
     * With {@code allHiddenStates} false, only the last hidden state is kept.
     *
     * @param input the tokens [B, S], their mask and token types
     * @param allHiddenStates whether every layer's hidden states are returned, or only the last
     * @param out where the outputs are allocated
     * @return the hidden states and the head's logits
     */
    EncoderOutput forward(EncoderInput input, boolean allHiddenStates, TensorArena out);

    /**
     * As {@link #forward(EncoderInput, boolean, TensorArena)}, and with {@code outputAttentions}
     * each layer's attention probabilities [B, H, S, S] (transformers' output_attentions with eager
     * attention; the pass then attends unfused). Models that cannot give them refuse.
     *
     * @param input the tokens [B, S], their mask and token types
     * @param allHiddenStates whether every layer's hidden states are returned, or only the last
     * @param outputAttentions whether each layer's attention probabilities are returned
     * @param out where the outputs are allocated
     * @return the hidden states, the head's logits and (when asked) attention probabilities
     * @throws UnsupportedOperationException when asked for probabilities the model cannot give
     */
    default EncoderOutput forward(EncoderInput input, boolean allHiddenStates, boolean outputAttentions,
                                  TensorArena out) {
        if (outputAttentions) {
            throw new UnsupportedOperationException("attention probabilities are not available for "
                    + config().source());
        }
        return forward(input, allHiddenStates, out);
    }

    /**
     * The last hidden state and the head's logits of the input's real tokens, computed without
     * padding where the model can: the tokens the attention mask keeps are packed end to end,
     * every layer's products and norms run over them alone, and each sequence attends over its
     * own tokens; the head then runs over the padded positions. Outputs have the padded shapes of
     * {@link #forward(EncoderInput, boolean, TensorArena)}; at the positions the mask hides the
     * hidden states are zeros when the pass packed (the head's logits there are what it makes of
     * zeros), and mean nothing either way. At the real positions the results equal forward's
     * within rounding, and, for right-padded rows, what each sequence gives alone (a kept token
     * keeps the position id the padded row gives it). Models (or masks) that cannot pack run the
     * padded pass.
     *
     * @param input the tokens [B, S], their mask and token types
     * @param out where the outputs are allocated
     * @return the last hidden state and the head's logits
     */
    default EncoderOutput forwardUnpadded(EncoderInput input, TensorArena out) {
        return forward(input, false, out);
    }

    /**
     * The head's logits at the given positions only, for heads that score every token (masked
     * LM, token classification, question answering, replaced-token detection): the rows of
     * {@link #forwardUnpadded}'s logits at flat positions b * S + s, as [P, ...] (a masked LM's
     * [P, V], question answering's [P, 2], replaced-token detection's [P]), within rounding. The
     * encoder families run the head over those positions alone (a fill-mask pass then projects
     * its mask tokens onto the vocabulary, not every token); this default computes every position
     * and keeps the rows asked for.
     *
     * @param input the tokens [B, S], their mask and token types
     * @param positions flat positions b * S + s of tokens the mask keeps, each in [0, B * S);
     *     repeats allowed
     * @param out where the logits are allocated
     * @return the logits at those positions, [P, ...]
     * @throws IllegalArgumentException when the head does not score tokens or a position is outside the input
     *     or at padding
     */
    default Tensor logitsAt(EncoderInput input, long[] positions, TensorArena out) {
        Rows.checkPositions(this, input, positions);
        try (TensorArena all = TensorArena.confined()) {
            Tensor logits = forwardUnpadded(input, all).logits();
            long[] shape = logits.shape().toArray();
            long per = logits.shape().elements() / ((long) input.batch() * input.seq());
            if ((long) positions.length * per > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(positions.length + " positions x " + per + " logits each are more"
                        + " than one array holds; ask for fewer positions at once");
            }
            float[] values = logits.toFloatArray(), kept = new float[(int) (positions.length * per)];
            for (int i = 0; i < positions.length; i++) {
                System.arraycopy(values, (int) (positions[i] * per), kept, (int) (i * per), (int) per);
            }
            long[] keptShape = new long[shape.length - 1];
            keptShape[0] = positions.length;
            System.arraycopy(shape, 2, keptShape, 1, shape.length - 2);
            return out.of(kept, keptShape);
        }
    }

    /** Releases the weights. */
    @Override
    void close();
}
