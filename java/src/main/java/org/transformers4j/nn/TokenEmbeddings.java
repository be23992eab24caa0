package org.transformers4j.nn;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * The input of an encoder-decoder stack: norm(scale * tokens[ids] + positions[offset + position]).
 *
 * @param scale sqrt(d_model) where the config sets scale_embedding, else 1
 * @param positions a learned (BART, mBART) or sinusoidal (Marian, Pegasus) table, or null (T5)
 * @param offset rows of the position table before position 0 (2 for BART)
 * @param norm layer norm after the sum (BART's layernorm_embedding), or null
 */
public record TokenEmbeddings(Tensor tokens, float scale, Tensor positions, int offset, Norm norm) {

    /** Positions the table covers (unbounded without one). */
    public int maxPositions() {
        return positions == null ? Integer.MAX_VALUE : (int) positions.dim(0) - offset;
    }

    /** Embeds N tokens at the given positions into a new [N, C] tensor. */
    public Tensor forward(Backend backend, long[] ids, long[] positionIds, TensorArena arena) {
        int n = ids.length;
        long c = tokens.dim(1);
        Tensor x = arena.empty(n, c);
        backend.embedding(tokens, backend.longs(ids, arena, n), x);
        if (scale != 1f) {
            backend.scale(x, scale, x);
        }
        if (positions != null) {
            long[] rows = new long[n];
            for (int i = 0; i < n; i++) {
                rows[i] = positionIds[i] + offset;
            }
            Tensor p = arena.empty(n, c);
            backend.embedding(positions, backend.longs(rows, arena, n), p);
            backend.add(x, p, x);
        }
        return norm == null ? x : norm.forward(backend, x, null, arena);
    }

    /**
     * Marian's and Pegasus' sinusoidal table [n, d]: column i &lt; d/2 holds sin(pos / 10000^(2i/d)),
     * column d/2 + i the cosine of the same angle (computed in double, stored as float like the
     * reference; for an odd d the sines take the first (d + 1) / 2 columns).
     */
    public static Tensor sinusoidal(Backend backend, int n, int d, TensorArena arena) {
        float[] out = new float[n * d];
        int half = (d + 1) / 2;
        for (int pos = 0; pos < n; pos++) {
            for (int j = 0; j < d; j++) {
                double angle = pos / Math.pow(10000, 2.0 * (j / 2) / d);
                int col = j % 2 == 0 ? j / 2 : half + j / 2;
                out[pos * d + col] = (float) (j % 2 == 0 ? Math.sin(angle) : Math.cos(angle));
            }
        }
        return backend.values(out, arena, n, d);
    }
}
