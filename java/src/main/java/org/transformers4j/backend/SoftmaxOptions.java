package org.transformers4j.backend;

import org.transformers4j.tensor.Tensor;

/**
 * Variants of masked softmax over the last axis of x: [B, H, S, T].
 *
 * @param scale multiplies x before the mask is added
 * @param causal query i (of S, aligned to the last S of T keys) sees keys j &lt;= T - S + i
 * @param mask additive float32 mask of shape [B or 1, H or 1, S or 1, T], or null
 * @param keyStart per batch, the first visible key, or null
 * @param keyLength per batch, one past the last visible key, or null
 */
public record SoftmaxOptions(float scale, boolean causal, Tensor mask, int[] keyStart, int[] keyLength) {

    /**
     * {@return plain softmax of scale * x}
     *
     * @param scale multiplies x
     */
    public static SoftmaxOptions scaled(float scale) {
        return new SoftmaxOptions(scale, false, null, null, null);
    }

    /** {@return these options with causal masking} */
    public SoftmaxOptions withCausal() {
        return new SoftmaxOptions(scale, true, mask, keyStart, keyLength);
    }

    /**
     * {@return these options with an additive mask}
     *
     * @param additive float32 mask [B or 1, H or 1, S or 1, T] added after scaling, or null for none
     */
    public SoftmaxOptions withMask(Tensor additive) {
        return new SoftmaxOptions(scale, causal, additive, keyStart, keyLength);
    }

    /**
     * {@return these options with per-batch key lengths}
     *
     * @param lengths per batch row, one past the last visible key; copied
     */
    public SoftmaxOptions withKeyLength(int... lengths) {
        return new SoftmaxOptions(scale, causal, mask, keyStart, lengths.clone());
    }

    /**
     * {@return these options with per-batch first visible keys}
     *
     * @param starts per batch row, the first visible key; copied
     */
    public SoftmaxOptions withKeyStart(int... starts) {
        return new SoftmaxOptions(scale, causal, mask, starts.clone(), keyLength);
    }
}
