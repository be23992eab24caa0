package org.transformers4j.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * T5's relative position bias: the distance from query to key falls into one of numBuckets
 * buckets (exact for short distances, logarithmic up to maxDistance), each with a learned value
 * per head. Bidirectional in the encoder, causal (only keys before the query) in the decoder.
 *
 * <p>T5 has no length limit, so the bias of S queries over T keys ([H, S, T]) is never built whole
 * unless it is small: a {@link Pass} computes one value per head and relative distance (O(H (S +
 * T))), and the attention runs per tile of queries with the bias rows of that tile, at most
 * tileValues values each. Sources so long that one query row over all heads exceeds a tile are
 * refused.
 *
 * @param table [numBuckets, heads] row-major, as the checkpoint stores relative_attention_bias
 * @param tileValues the most bias values built at once (per pass when the whole bias fits, else per tile)
 */
public record RelativePositionBias(float[] table, int heads, int numBuckets, int maxDistance, boolean bidirectional,
                                   long tileValues) {
    /** The default tile: 2^22 values, 16 MiB of float32. */
    public static final long TILE_VALUES = 1L << 22;

    public RelativePositionBias {
        if (heads < 1 || numBuckets < 1 || table.length != (long) numBuckets * heads || tileValues < heads) {
            throw new IllegalArgumentException("relative position bias of " + numBuckets + " buckets x " + heads
                    + " heads has " + table.length + " values, tile " + tileValues);
        }
    }

    /** Loads {name} [numBuckets, heads], with the default tile. */
    public static RelativePositionBias load(Weights w, String name, int numBuckets, int heads, int maxDistance,
                                            boolean bidirectional) {
        return new RelativePositionBias(w.hostFloats(name, numBuckets, heads), heads, numBuckets, maxDistance,
                bidirectional, TILE_VALUES);
    }

    /** Hugging Face's _relative_position_bucket for relative = key - query (float32 logarithm like torch). */
    public int bucket(long relative) {
        int buckets = numBuckets, result = 0;
        long distance;
        if (bidirectional) {
            buckets /= 2;
            result = relative > 0 ? buckets : 0;
            distance = Math.abs(relative);
        } else {
            distance = -Math.min(relative, 0);
        }
        int maxExact = buckets / 2;
        if (distance < maxExact) {
            return result + (int) distance;
        }
        float ratio = (float) Math.log((float) distance / maxExact);
        float scaled = ratio / (float) Math.log((double) maxDistance / maxExact) * (buckets - maxExact);
        long large = maxExact + (long) scaled;
        return result + (int) Math.min(large, buckets - 1);
    }

    /** The most keys a pass may attend over: one query row of every head must fit a tile. */
    public int maxKeys() {
        return (int) Math.min(Integer.MAX_VALUE, tileValues / heads);
    }

    /**
     * The bias of one forward pass: queries at positions T - S .. T - 1 against keys 0 .. T - 1,
     * plus padding's additive mask if padding has one ([B, 1, 1, T]; key ranges need none). Built
     * whole in work when [B or 1, H, S, T] fits a tile, else per tile as the attention runs.
     */
    public Pass pass(Backend backend, int batch, int queries, int keys, AttentionOptions padding, TensorArena work) {
        if (keys > maxKeys()) {
            throw new IllegalArgumentException("attending over " + keys + " positions needs " + heads + " x " + keys
                    + " position-bias values per query, more than the " + tileValues + " a tile holds; at most "
                    + maxKeys() + " positions fit");
        }
        float[] pad = padding.bias() == null ? null : hostPadding(backend, padding.bias(), batch, keys);
        Pass pass = new Pass(this, distances(queries, keys), pad, batch, queries, keys, work);
        if ((long) pass.rows() * queries * heads * keys <= tileValues) {
            pass.whole = pass.tile(backend, 0, pass.rows(), 0, queries, keys, work);
        }
        return pass;
    }

    /** [H][2T - 1]: the value of each head at each relative distance j - i, from -(T - 1) (index 0) to T - 1. */
    private float[][] distances(int queries, int keys) {
        float[][] out = new float[heads][Math.max(0, 2 * keys - 1)];
        for (int r = 0; r < 2 * keys - 1; r++) {
            int b = bucket(r - (keys - 1L));
            for (int h = 0; h < heads; h++) {
                out[h][r] = table[b * heads + h];
            }
        }
        return out;
    }

    private static float[] hostPadding(Backend backend, Tensor bias, int batch, int keys) {
        if (bias.rank() != 4 || bias.dim(1) != 1 || bias.dim(2) != 1 || bias.dim(3) != keys
                || (bias.dim(0) != 1 && bias.dim(0) != batch)) {
            throw new IllegalArgumentException("padding bias has shape " + bias.shape() + ", expected [" + batch
                    + " or 1, 1, 1, " + keys + "]");
        }
        try (TensorArena host = TensorArena.confined()) {
            return backend.toHost(bias, host).toFloatArray();
        }
    }

    /** One pass's bias: whole, or built tile by tile inside {@link #attend}. */
    public static final class Pass {
        private final RelativePositionBias bias;
        private final float[][] distances;
        private final float[] padding; // [B or 1, T] or null
        private final int batch, queries, keys;
        private final TensorArena work; // the pass's, for a whole bias built on demand
        private Tensor whole;
        // tiles of a pass come in two sizes (full, last) unless causal: kept for the pass's other layers
        private final Map<Integer, float[]> buffers = new LinkedHashMap<>();

        private Pass(RelativePositionBias bias, float[][] distances, float[] padding, int batch, int queries,
                     int keys, TensorArena work) {
            this.work = work;
            this.bias = bias;
            this.distances = distances;
            this.padding = padding;
            this.batch = batch;
            this.queries = queries;
            this.keys = keys;
        }

        /** Batch rows the bias has: B with a padding mask of B rows, else 1 (broadcast). */
        private int rows() {
            return padding == null ? 1 : padding.length / keys;
        }

        /**
         * softmax(scale q k^T + position bias + padding) v into out, for q: [B, S, H, D] and k, v:
         * [B, T, K, D] of this pass's sizes; options give the scale, causality and key ranges (their
         * bias, the padding, is already part of this one). Memory beyond q, k, v and out: one tile.
         */
        public void attend(Backend backend, Tensor q, Tensor k, Tensor v, AttentionOptions options, Tensor out) {
            if (q.dim(0) != batch || q.dim(1) != queries || k.dim(1) != keys) {
                throw new IllegalArgumentException("attention of q " + q.shape() + ", k " + k.shape()
                        + " with a position bias for batch " + batch + ", " + queries + " queries, " + keys + " keys");
            }
            if (whole != null) {
                backend.attention(q, k, v, options.withBias(whole), out);
                return;
            }
            int h = bias.heads;
            int perBatch = (int) Math.max(1, Math.min(batch, bias.tileValues / ((long) h * keys)));
            int batchStep = rows() == 1 ? batch : perBatch;
            int rowStep = (int) Math.max(1, Math.min(queries, bias.tileValues / ((long) (rows() == 1 ? 1 : batchStep)
                    * h * keys)));
            for (int b0 = 0; b0 < batch; b0 += batchStep) {
                int nb = Math.min(batchStep, batch - b0);
                for (int a = 0; a < queries; a += rowStep) {
                    int n = Math.min(rowStep, queries - a);
                    // causal: the tile's queries are the last n of the keys up to its last position
                    int t = options.causal() ? keys - queries + a + n : keys;
                    try (TensorArena tileWork = backend.scratch()) {
                        Tensor tileBias = tile(backend, rows() == 1 ? -1 : b0, rows() == 1 ? 1 : nb, a, n, t, tileWork);
                        backend.attention(q.narrow(0, b0, nb).narrow(1, a, n), k.narrow(0, b0, nb).narrow(1, 0, t),
                                v.narrow(0, b0, nb).narrow(1, 0, t), narrowed(options, b0, nb, t).withBias(tileBias),
                                out.narrow(0, b0, nb).narrow(1, a, n));
                    }
                }
            }
        }

        /**
         * The whole bias [B or 1, H, S, T] of the pass with its padding, built once for all its
         * layers: what the attention probabilities of the pass are computed with, which are as
         * large.
         */
        Tensor whole(Backend backend) {
            if (whole == null) {
                whole = tile(backend, rows() == 1 ? -1 : 0, rows(), 0, queries, keys, work);
            }
            return whole;
        }

        /** Options for batch rows b0 .. b0 + nb - 1 and keys 0 .. t - 1: key ranges cut to match. */
        private static AttentionOptions narrowed(AttentionOptions o, int b0, int nb, int t) {
            AttentionOptions out = new AttentionOptions(o.scale(), o.causal(), o.window(), null, null, null);
            if (o.keyStart() != null) {
                out = out.withKeyStart(clip(o.keyStart(), b0, nb, t));
            }
            if (o.keyLength() != null) {
                out = out.withKeyLength(clip(o.keyLength(), b0, nb, t));
            }
            return out;
        }

        private static int[] clip(int[] values, int b0, int nb, int t) {
            int[] out = new int[nb];
            for (int i = 0; i < nb; i++) {
                out[i] = Math.min(values[b0 + i], t);
            }
            return out;
        }

        /**
         * The bias [nb, H, n, t] of batch rows b0 .. (b0 = -1: the broadcast row, nb = 1), queries
         * a .. a + n - 1 of the pass and keys 0 .. t - 1.
         */
        private Tensor tile(Backend backend, int b0, int nb, int a, int n, int t, TensorArena arena) {
            int h = bias.heads;
            long size = (long) nb * h * n * t;
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("a position bias of " + nb + " x " + h + " x " + n + " x " + t
                        + " values is more than one array holds; attend over fewer positions at once");
            }
            float[] values = buffer((int) size);
            int at = 0;
            for (int bb = 0; bb < nb; bb++) {
                for (int head = 0; head < h; head++) {
                    for (int i = 0; i < n; i++) {
                        int position = keys - queries + a + i;
                        System.arraycopy(distances[head], keys - 1 - position, values, at, t);
                        if (padding != null) {
                            int row = (b0 < 0 ? 0 : b0 + bb) * keys;
                            for (int j = 0; j < t; j++) {
                                values[at + j] += padding[row + j];
                            }
                        }
                        at += t;
                    }
                }
            }
            return backend.floats(values, arena, nb, h, n, t);
        }

        private float[] buffer(int size) {
            float[] b = buffers.get(size);
            if (b == null) {
                if (buffers.size() == 2) {
                    buffers.remove(buffers.keySet().iterator().next());
                }
                b = new float[size];
                buffers.put(size, b);
            }
            return b;
        }
    }
}
