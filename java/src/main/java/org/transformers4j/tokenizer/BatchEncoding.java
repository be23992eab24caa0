package org.transformers4j.tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Texts tokenized and padded to the longest: row-major [batch, seq] ids, attention mask
 * (1 = real token) and type ids, with each text's own encoding.
 *
 * @param batch B, the texts
 * @param seq S, the longest text's tokens
 * @param ids token ids [B, S]
 * @param attentionMask 1 for a real token, 0 for padding [B, S]
 * @param typeIds token type ids [B, S]
 * @param encodings each text's own encoding
 */
public record BatchEncoding(int batch, int seq, long[] ids, long[] attentionMask, long[] typeIds,
                            List<Encoding> encodings) {

    /**
     * {@return encodings padded on the right with padId to the longest of them}
     *
     * @param encodings the encoded texts
     * @param padId the token that pads
     */
    public static BatchEncoding pad(List<Encoding> encodings, long padId) {
        if (encodings.isEmpty()) {
            throw new IllegalArgumentException("no encodings to pad");
        }
        int b = encodings.size(), seq = 1;
        for (Encoding e : encodings) {
            seq = Math.max(seq, e.length());
        }
        long[] ids = new long[Math.multiplyExact(b, seq)], mask = new long[ids.length], types = new long[ids.length];
        Arrays.fill(ids, padId);
        for (int i = 0; i < b; i++) {
            Encoding e = encodings.get(i);
            System.arraycopy(e.ids(), 0, ids, i * seq, e.length());
            System.arraycopy(e.typeIds(), 0, types, i * seq, e.length());
            Arrays.fill(mask, i * seq, i * seq + e.length(), 1L);
        }
        return new BatchEncoding(b, seq, ids, mask, types, List.copyOf(encodings));
    }
}
