package org.transformers4j.backend;

import org.transformers4j.tensor.Tensor;

/**
 * Variants of fused attention, softmax(scale q k^T + bias + mask) v.
 *
 * @param scale multiplies q k^T: 1/sqrt(D) for BERT, 1.0 for T5 and GPT-Neo
 * @param causal query i (at position T - S + i) sees keys j &lt;= its position
 * @param window if &gt; 0, a query sees only the last {@code window} positions up to its own
 * @param bias additive float32 bias of shape [B or 1, H or 1, S or 1, T] (T5 position bias, or a padding mask), or null
 * @param keyStart per batch, the first visible key (left padding), or null
 * @param keyLength per batch, one past the last visible key (right padding), or null
 */
public record AttentionOptions(float scale, boolean causal, int window, Tensor bias, int[] keyStart,
                               int[] keyLength) {

    /**
     * {@return plain attention with the given scale}
     *
     * @param scale multiplies q k^T
     */
    public static AttentionOptions scaled(float scale) {
        return new AttentionOptions(scale, false, 0, null, null, null);
    }

    /**
     * {@return these options with another scale}
     *
     * @param newScale multiplies q k^T
     */
    public AttentionOptions withScale(float newScale) {
        return new AttentionOptions(newScale, causal, window, bias, keyStart, keyLength);
    }

    /** {@return these options with causal masking} */
    public AttentionOptions withCausal() {
        return new AttentionOptions(scale, true, window, bias, keyStart, keyLength);
    }

    /**
     * {@return these options with a sliding window of the given length}
     *
     * @param length how many positions, its own included, a query sees; 0 for no window
     */
    public AttentionOptions withWindow(int length) {
        return new AttentionOptions(scale, causal, length, bias, keyStart, keyLength);
    }

    /**
     * {@return these options with an additive bias [B or 1, H or 1, S or 1, T]}
     *
     * @param additive float32 bias added to the scaled scores, or null for none
     */
    public AttentionOptions withBias(Tensor additive) {
        return new AttentionOptions(scale, causal, window, additive, keyStart, keyLength);
    }

    /**
     * {@return these options with per-batch key lengths (right padding)}
     *
     * @param lengths per batch row, one past the last visible key; copied
     */
    public AttentionOptions withKeyLength(int... lengths) {
        return new AttentionOptions(scale, causal, window, bias, keyStart, lengths.clone());
    }

    /**
     * {@return these options with per-batch first visible keys (left padding)}
     *
     * @param starts per batch row, the first visible key; copied
     */
    public AttentionOptions withKeyStart(int... starts) {
        return new AttentionOptions(scale, causal, window, bias, starts.clone(), keyLength);
    }
}
