package org.transformers4j.nn;

import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Turns an attention mask [B, T] (1 = attend, 0 = padding) into attention options: per-batch key
 * ranges when each row's ones are contiguous (the kernel then skips padded tiles), an additive
 * [B, 1, 1, T] mask of 0 and -inf otherwise.
 */
public final class PaddingMask {
    private PaddingMask() {
    }

    public static AttentionOptions apply(Backend backend, AttentionOptions options, long[] mask, int batch, int keys,
                                         TensorArena arena) {
        if (mask == null) {
            return options;
        }
        if (mask.length != (long) batch * keys) {
            throw new IllegalArgumentException("attention mask has " + mask.length + " entries, expected " + batch + " x " + keys);
        }
        int[] start = new int[batch], end = new int[batch];
        boolean contiguous = true;
        for (int b = 0; b < batch && contiguous; b++) {
            int first = -1, last = -1, ones = 0;
            for (int j = 0; j < keys; j++) {
                long m = mask[b * keys + j];
                if (m != 0 && m != 1) {
                    throw new IllegalArgumentException("attention mask[" + b + ", " + j + "] = " + m + ", expected 0 or 1");
                }
                if (m == 1) {
                    ones++;
                    last = j;
                    if (first < 0) {
                        first = j;
                    }
                }
            }
            contiguous = ones == 0 || last - first + 1 == ones;
            start[b] = ones == 0 ? 0 : first;
            end[b] = ones == 0 ? 0 : last + 1;
        }
        if (contiguous) {
            return options.withKeyStart(start).withKeyLength(end);
        }
        float[] additive = new float[batch * keys];
        for (int i = 0; i < additive.length; i++) {
            additive[i] = mask[i] == 0 ? Float.NEGATIVE_INFINITY : 0f;
        }
        return options.withBias(backend.floats(additive, arena, batch, 1, 1, keys));
    }
}
