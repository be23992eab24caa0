package org.transformers4j.nn;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * T5's relative position bias: the distance from query to key falls into one of numBuckets
 * buckets (exact for short distances, logarithmic up to maxDistance), each with a learned value
 * per head. Bidirectional in the encoder, causal (only keys before the query) in the decoder.
 * Computed once per stack and pass, and given to every layer's attention as an additive bias.
 *
 * @param table [numBuckets, heads] row-major, as the checkpoint stores relative_attention_bias
 */
public record RelativePositionBias(float[] table, int heads, int numBuckets, int maxDistance, boolean bidirectional) {

    /** Loads {name} [numBuckets, heads]. */
    public static RelativePositionBias load(Weights w, String name, int numBuckets, int heads, int maxDistance,
                                            boolean bidirectional) {
        return new RelativePositionBias(w.hostFloats(name, numBuckets, heads), heads, numBuckets, maxDistance,
                bidirectional);
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

    /** The bias [1, H, S, T] for S queries at positions first .. first + S - 1 against keys 0 .. T - 1. */
    public Tensor bias(Backend backend, int queries, int keys, int first, TensorArena arena) {
        float[] out = new float[heads * queries * keys];
        for (int i = 0; i < queries; i++) {
            for (int j = 0; j < keys; j++) {
                int b = bucket((long) j - (first + i));
                for (int h = 0; h < heads; h++) {
                    out[(h * queries + i) * keys + j] = table[b * heads + h];
                }
            }
        }
        return backend.floats(out, arena, 1, heads, queries, keys);
    }
}
