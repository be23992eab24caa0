package org.transformers4j.model;

import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.util.CloseGuard;

/**
 * What the encoder, decoder and encoder-decoder stacks share: the config, the backend, the
 * weights arena and the checkpoint they own, and the guard that frees them once no pass is in
 * flight.
 */
abstract class TransformerBase implements AutoCloseable {
    final ModelConfig config;
    final Backend backend;
    private final Checkpoint checkpoint;
    private final TensorArena weights;
    final CloseGuard guard;

    /** Assembles a model; it owns the weights arena and the checkpoint and closes both. */
    TransformerBase(ModelConfig config, Backend backend, Checkpoint checkpoint, TensorArena weights) {
        this.config = config;
        this.backend = backend;
        this.checkpoint = checkpoint;
        this.weights = weights;
        this.guard = new CloseGuard("model " + config.source(), this::release);
    }

    /** {@return the config the model was built from} */
    public ModelConfig config() {
        return config;
    }

    /** Frees the weights once no forward pass is in flight; later calls fail, a second close does nothing. */
    @Override
    public void close() {
        guard.close();
    }

    private void release() {
        try {
            weights.close();
        } finally {
            checkpoint.close();
        }
    }
}
