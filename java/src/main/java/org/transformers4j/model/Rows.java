package org.transformers4j.model;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** Copies of hidden states [B * S, C] that the model classes hand out. */
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

    /** The last position of each sequence of x: [B * S, C], as [B, C]. */
    static Tensor last(Backend backend, Tensor x, int b, int s, TensorArena work) {
        long c = x.dim(1);
        Tensor rows = work.empty(b, 1, c);
        backend.copy(x.reshape(b, s, c).narrow(1, s - 1, 1), rows);
        return rows.reshape(b, c);
    }
}
