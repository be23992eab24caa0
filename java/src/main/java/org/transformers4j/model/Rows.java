package org.transformers4j.model;

import java.util.Arrays;
import java.util.Objects;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** Copies and gathers of hidden states [B * S, C] that the model classes hand out. */
public final class Rows {
    private Rows() {
    }

    /**
     * x: [B * S, C] copied into a new [B, S, C] tensor of out (a host arena).
     *
     * @param backend the backend x lives on
     * @param x the rows [B * S, C]
     * @param b B
     * @param s S
     * @param out where the copy is made
     * @return the copy [B, S, C]
     */
    public static Tensor copyOut(Backend backend, Tensor x, int b, int s, TensorArena out) {
        if (!out.device().equals(backend.device())) {
            return backend.toHost(x.reshape(b, s, x.dim(1)), out);
        }
        Tensor t = out.empty(b, s, x.dim(1));
        backend.copy(x.reshape(b, s, x.dim(1)), t);
        return t;
    }

    /**
     * Where a result for the caller's arena out is computed: out itself when it is on the backend's
     * device (then {@link Backend#toHost} hands it back as it is), else work.
     *
     * @param backend the backend that computes
     * @param out the caller's arena
     * @param work a scratch arena on the backend's device
     * @return out or work
     */
    public static TensorArena target(Backend backend, TensorArena out, TensorArena work) {
        return out.device().equals(backend.device()) ? out : work;
    }

    /**
     * The rows of x: [B * S, C] at the given flat positions b * S + s, as [P, C] in work.
     *
     * @param backend the backend x lives on
     * @param x the rows [B * S, C]
     * @param positions flat positions, each in [0, B * S) (see {@link #checkPositions})
     * @param work where the rows are gathered
     * @return the rows [P, C]
     */
    public static Tensor at(Backend backend, Tensor x, long[] positions, TensorArena work) {
        Tensor rows = work.empty(positions.length, x.dim(1));
        backend.embedding(x, backend.longs(positions, work, positions.length), rows);
        return rows;
    }

    /**
     * A per-token head over the rows of x: [B * S, C] at the given flat positions alone: its
     * logits [P, ...] in out.
     *
     * @param backend the backend x lives on
     * @param head a head that scores every token
     * @param x the last hidden state [B * S, C]
     * @param positions flat positions, each in [0, B * S)
     * @param work where intermediates go
     * @param out where the logits are allocated
     * @return the logits [P, ...]
     */
    public static Tensor headAt(Backend backend, EncoderHead head, Tensor x, long[] positions, TensorArena work,
                                TensorArena out) {
        Tensor logits = head.forward(backend, at(backend, x, positions, work), 1, positions.length, work, out);
        long[] shape = logits.shape().toArray(); // [1, P, ...]
        return logits.reshape(Arrays.copyOfRange(shape, 1, shape.length));
    }

    /**
     * Checks a request for a head's logits at some positions ({@link EncoderModel#logitsAt}): a
     * head that scores every token, and flat positions b * S + s of tokens the attention mask
     * keeps (at padding a head's logits mean nothing).
     *
     * @param model the model asked
     * @param in its input
     * @param positions flat positions b * S + s
     * @throws IllegalArgumentException when the head does not score tokens or a position is outside the input
     *     or at padding
     */
    public static void checkPositions(EncoderModel model, EncoderInput in, long[] positions) {
        Objects.requireNonNull(in, "input");
        Objects.requireNonNull(positions, "positions");
        EncoderModel.Head head = model.head();
        if (head == EncoderModel.Head.NONE || head == EncoderModel.Head.SEQUENCE_CLASSIFICATION) {
            throw new IllegalArgumentException("logits at positions need a head that scores every token; "
                    + model.config().source() + " has head " + head);
        }
        long n = (long) in.batch() * in.seq();
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] < 0 || positions[i] >= n) {
                throw new IllegalArgumentException("position " + positions[i] + " (index " + i + ") is outside the "
                        + in.batch() + " x " + in.seq() + " input");
            }
            if (in.attentionMask() != null && in.attentionMask()[(int) positions[i]] == 0) {
                throw new IllegalArgumentException("position " + positions[i] + " (index " + i + ", row "
                        + positions[i] / in.seq() + ", token " + positions[i] % in.seq() + ") is padding: the"
                        + " attention mask hides it");
            }
        }
    }

    /** The last position of each sequence of x: [B * S, C], as [B, C]. */
    static Tensor last(Backend backend, Tensor x, int b, int s, TensorArena work) {
        long c = x.dim(1);
        Tensor rows = work.empty(b, 1, c);
        backend.copy(x.reshape(b, s, c).narrow(1, s - 1, 1), rows);
        return rows.reshape(b, c);
    }
}
