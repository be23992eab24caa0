package org.transformers4j.model;

/**
 * New tokens for a decoder: B sequences of S token ids, row-major [B, S], that follow what the KV
 * cache already holds (P positions).
 *
 * @param batch B, the sequences
 * @param seq S, the new tokens of each
 * @param ids token ids [B, S]
 * @param attentionMask [B, P + S] over the cached and the new positions, 1 = attend, 0 = padding;
 *                      null when every position is real
 * @param positions position ids [B, S], or null for P .. P + S - 1 in every row
 * @param keyStarts [B]: per row, the first real key of the P + S (left padding; every key from it
 *                  on real), instead of an attention mask; null when the mask says it
 */
public record DecoderInput(int batch, int seq, long[] ids, long[] attentionMask, long[] positions, int[] keyStarts) {
    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public DecoderInput {
        if (batch < 1 || seq < 1) {
            throw new IllegalArgumentException("batch and sequence length must be >= 1, got " + batch + " x " + seq);
        }
        long n = (long) batch * seq;
        if (ids == null || ids.length != n) {
            throw new IllegalArgumentException("ids must have batch x seq = " + n + " entries, has "
                    + (ids == null ? "none" : ids.length));
        }
        if (positions != null && positions.length != n) {
            throw new IllegalArgumentException("positions must have batch x seq = " + n + " entries, has "
                    + positions.length);
        }
        if (attentionMask != null && attentionMask.length % batch != 0) {
            throw new IllegalArgumentException("attention mask of " + attentionMask.length
                    + " entries is not batch (" + batch + ") x keys");
        }
        if (keyStarts != null && (keyStarts.length != batch || attentionMask != null)) {
            throw new IllegalArgumentException("keyStarts must have one entry per row (" + batch + "), has "
                    + keyStarts.length + (attentionMask != null ? ", and replaces the attention mask" : ""));
        }
    }

    /**
     * New tokens with a mask (or none) over the cached and new positions.
     *
     * @param batch B, the sequences
     * @param seq S, the new tokens of each
     * @param ids token ids [B, S]
     * @param attentionMask [B, P + S], 1 = attend, 0 = padding; null when every position is real
     * @param positions position ids [B, S], or null for P .. P + S - 1 in every row
     */
    public DecoderInput(int batch, int seq, long[] ids, long[] attentionMask, long[] positions) {
        this(batch, seq, ids, attentionMask, positions, null);
    }

    /**
     * {@return tokens without padding or cache: every position real, positions 0 to S - 1}
     *
     * @param batch B, the sequences
     * @param seq S, the tokens of each
     * @param ids token ids [B, S]
     */
    public static DecoderInput of(int batch, int seq, long[] ids) {
        return new DecoderInput(batch, seq, ids, null, null);
    }

    /**
     * Position ids as Hugging Face generate makes them from a mask [B, T] whose last S columns are
     * these tokens: the count of real tokens before each one (padding gets 1).
     *
     * @param mask the attention mask [B, T]
     * @param batch B, the sequences
     * @param seq S, the new tokens of each
     * @return position ids [B, S]
     */
    public static long[] positionsFromMask(long[] mask, int batch, int seq) {
        int t = mask.length / batch;
        long[] pos = new long[batch * seq];
        for (int b = 0; b < batch; b++) {
            long count = 0;
            for (int j = 0; j < t; j++) {
                long m = mask[b * t + j];
                count += m;
                int s = j - (t - seq);
                if (s >= 0) {
                    pos[b * seq + s] = m == 0 ? 1 : count - 1;
                }
            }
        }
        return pos;
    }
}
