package org.transformers4j.model;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** The part of an encoder model after its last layer. */
public interface EncoderHead {
    /** {@return which head this is} */
    EncoderModel.Head kind();

    /**
     * {@return logits from the last hidden state x: [B * S, C], in host memory allocated in out (null for
     * no head); intermediates in work}
     *
     * @param backend the backend x is on
     * @param x the last layer's hidden states, [B * S, C]
     * @param batch B
     * @param seq S
     * @param work the arena for intermediates, closed by the caller after the pass
     * @param out the host arena the logits are allocated in
     */
    Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out);

    /**
     * As above, for heads that read the input too (mean pooling over the attention mask); the
     * others ignore it.
     *
     * @param backend the backend x is on
     * @param x the last layer's hidden states, [B * S, C]
     * @param in the input the hidden states were computed from (B, S and the attention mask)
     * @param work the arena for intermediates, closed by the caller after the pass
     * @param out the host arena the logits are allocated in
     * @return the logits in host memory, or null for no head
     */
    default Tensor forward(Backend backend, Tensor x, EncoderInput in, TensorArena work, TensorArena out) {
        return forward(backend, x, in.batch(), in.seq(), work, out);
    }
}
