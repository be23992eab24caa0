package org.transformers4j.nn;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * A padded batch's real tokens (those its attention mask keeps) packed end to end, sequence
 * after sequence, with their position and token type ids: a batch of short texts padded to its
 * longest spends most of its products on padding, a packed pass none.
 *
 * @param ids the kept tokens' ids, sequence after sequence
 * @param positions their position ids, as the padded input gives them
 * @param types their token type ids, or null for all zeros
 * @param sequences where each sequence lies among the packed tokens
 * @param batch B, the padded batch's rows
 * @param seq S, the padded batch's positions per row
 * @param mask the padded batch's attention mask [B * S]
 */
public record PackedTokens(long[] ids, long[] positions, long[] types, LayerStep.Packed sequences, int batch, int seq,
                           long[] mask) {

    /**
     * Packs the input, or gives null when its mask hides nothing (the padded pass is then the
     * same pass) or everything (nothing to pack).
     *
     * @param batch B
     * @param seq S
     * @param ids the padded token ids [B * S]
     * @param mask the attention mask [B * S] (1 keeps a token, 0 hides it), or null for none
     * @param typeIds the token type ids [B * S], or null
     * @param positionIds the position ids [B * S]
     * @return the packed tokens, or null
     * @throws IllegalArgumentException for a mask value other than 0 or 1
     */
    public static PackedTokens of(int batch, int seq, long[] ids, long[] mask, long[] typeIds, long[] positionIds) {
        if (mask == null) {
            return null;
        }
        long entries = (long) batch * seq;
        check("ids", ids, entries);
        check("mask", mask, entries);
        check("positionIds", positionIds, entries);
        if (typeIds != null) {
            check("typeIds", typeIds, entries);
        }
        int kept = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] != 0 && mask[i] != 1) {
                throw new IllegalArgumentException("attention mask[" + i / seq + ", " + i % seq + "] = "
                        + mask[i] + ", expected 0 or 1");
            }
            kept += (int) mask[i];
        }
        if (kept == mask.length || kept == 0) {
            return null;
        }
        long[] packedIds = new long[kept], positions = new long[kept];
        long[] types = typeIds == null ? null : new long[kept];
        int[] starts = new int[batch], lengths = new int[batch];
        int n = 0;
        for (int b = 0; b < batch; b++) {
            starts[b] = n;
            for (int j = 0; j < seq; j++) {
                int i = b * seq + j;
                if (mask[i] == 1) {
                    packedIds[n] = ids[i];
                    positions[n] = positionIds[i];
                    if (types != null) {
                        types[n] = typeIds[i];
                    }
                    n++;
                }
            }
            lengths[b] = n - starts[b];
        }
        return new PackedTokens(packedIds, positions, types, new LayerStep.Packed(starts, lengths), batch, seq, mask);
    }

    private static void check(String name, long[] values, long n) {
        if (values == null || values.length != n) {
            throw new IllegalArgumentException(name + " must have batch x seq = " + n + " entries, has "
                    + (values == null ? "none" : values.length));
        }
    }

    /**
     * {@return whether each row's kept tokens are one run (no hidden token between two kept
     * ones): then distances between packed positions are distances in the row, which a sliding
     * window needs}
     */
    public boolean contiguous() {
        for (int b = 0; b < batch; b++) {
            int runs = 0;
            for (int j = 0; j < seq; j++) {
                if (mask[b * seq + j] == 1 && (j == 0 || mask[b * seq + j - 1] == 0)) {
                    runs++;
                }
            }
            if (runs > 1) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where kept tokens lie among the packed ones.
     *
     * @param flat flat positions b * S + s of the padded batch, each one the mask keeps
     * @return their indices among the packed tokens
     * @throws IllegalArgumentException for a position outside the batch or one the mask hides
     */
    public long[] packedIndices(long[] flat) {
        int[] before = new int[mask.length]; // kept tokens before each position, over the whole batch
        for (int i = 1; i < mask.length; i++) {
            before[i] = before[i - 1] + (int) mask[i - 1];
        }
        long[] out = new long[flat.length];
        for (int i = 0; i < flat.length; i++) {
            if (flat[i] < 0 || flat[i] >= mask.length || mask[(int) flat[i]] == 0) {
                throw new IllegalArgumentException("position " + flat[i] + " is not a kept token of the " + batch
                        + " x " + seq + " batch");
            }
            out[i] = before[(int) flat[i]];
        }
        return out;
    }

    /**
     * The packed hidden states x: [kept, C] put back at their padded positions of a new [B * S, C]
     * tensor of work, zeros where the mask hides a position; one copy per run of kept tokens.
     *
     * @param backend the backend x is on
     * @param x the packed rows [kept, C]
     * @param work where the padded tensor is allocated
     * @return the padded rows [B * S, C]
     */
    public Tensor unpack(Backend backend, Tensor x, TensorArena work) {
        Tensor padded = work.zeros((long) batch * seq, x.dim(1));
        int n = 0;
        for (int b = 0; b < batch; b++) {
            int j = 0;
            while (j < seq) {
                if (mask[b * seq + j] == 0) {
                    j++;
                    continue;
                }
                int run = j;
                while (run < seq && mask[b * seq + run] == 1) {
                    run++;
                }
                backend.copy(x.narrow(0, n, run - j), padded.narrow(0, (long) b * seq + j, run - j));
                n += run - j;
                j = run;
            }
        }
        return padded;
    }
}
