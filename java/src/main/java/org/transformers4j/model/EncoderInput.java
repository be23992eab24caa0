package org.transformers4j.model;

/**
 * A batch for an encoder: B sequences of S token ids, row-major [B, S].
 *
 * @param batch B, the sequences
 * @param seq S, the tokens of each
 * @param ids token ids
 * @param attentionMask 1 for real tokens, 0 for padding, or null for none
 * @param tokenTypeIds segment ids (BERT), or null for all zeros
 */
public record EncoderInput(int batch, int seq, long[] ids, long[] attentionMask, long[] tokenTypeIds) {
    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public EncoderInput {
        long n = (long) batch * seq;
        if (batch < 1 || seq < 1) {
            throw new IllegalArgumentException("batch and sequence length must be >= 1, got " + batch + " x " + seq);
        }
        check("ids", ids, n);
        if (attentionMask != null) {
            check("attentionMask", attentionMask, n);
        }
        if (tokenTypeIds != null) {
            check("tokenTypeIds", tokenTypeIds, n);
        }
    }

    /**
     * Absolute positions 0 .. S-1 of every sequence, row-major [B, S] (BERT, DistilBERT).
     *
     * @return the positions
     */
    public long[] absolutePositions() {
        long[] pos = new long[ids.length];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = i % seq;
        }
        return pos;
    }

    private static void check(String name, long[] values, long n) {
        if (values == null || values.length != n) {
            throw new IllegalArgumentException(name + " must have batch x seq = " + n + " entries, has "
                    + (values == null ? "none" : values.length));
        }
    }
}
