package org.transformers4j.model;

import org.transformers4j.tensor.TensorArena;

/**
 * A model that implements only what EncoderModel requires (and forwardUnpadded), delegating to
 * another: what the interface's default methods do for a model written elsewhere.
 *
 * @param inner the model delegated to (not closed by this one)
 */
record PlainEncoder(EncoderModel inner) implements EncoderModel {
    @Override
    public ModelConfig config() {
        return inner.config();
    }

    @Override
    public int vocabSize() {
        return inner.vocabSize();
    }

    @Override
    public int hiddenSize() {
        return inner.hiddenSize();
    }

    @Override
    public int maxPositions() {
        return inner.maxPositions();
    }

    @Override
    public Head head() {
        return inner.head();
    }

    @Override
    public EncoderOutput forward(EncoderInput in, boolean allHiddenStates, TensorArena out) {
        return inner.forward(in, allHiddenStates, out);
    }

    @Override
    public EncoderOutput forwardUnpadded(EncoderInput in, TensorArena out) {
        return inner.forwardUnpadded(in, out);
    }

    @Override
    public void close() {
    }
}
