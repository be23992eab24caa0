package org.transformers4j.model;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** The part of an encoder model after its last layer. */
public interface EncoderHead {
    /** {@return which head this is} */
    EncoderModel.Head kind();

    /** {@return logits from the last hidden state x: [B * S, C], allocated in out; intermediates in work} */
    Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out);

    /**
     * As above, for heads that read the input too (mean pooling over the attention mask); the
     * others ignore it.
     */
    default Tensor forward(Backend backend, Tensor x, EncoderInput in, TensorArena work, TensorArena out) {
        return forward(backend, x, in.batch(), in.seq(), work, out);
    }
}
