package org.transformers4j.model;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** The part of an encoder model after its last layer. */
public interface EncoderHead {
    /** Which head this is. */
    EncoderModel.Head kind();

    /** Logits from the last hidden state x: [B * S, C], allocated in out; intermediates in work. */
    Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out);
}
