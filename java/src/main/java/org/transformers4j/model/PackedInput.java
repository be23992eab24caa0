package org.transformers4j.model;

import org.transformers4j.backend.Backend;
import org.transformers4j.nn.LayerStep;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * An encoder input's real tokens (those its attention mask keeps) packed end to end, sequence
 * after sequence, with their position and token type ids: a batch of short texts padded to its
 * longest spends most of its products on padding, a packed pass none.
 *
 * @param ids the kept tokens' ids, sequence after sequence
 * @param positions their position ids, as the padded input gives them
 * @param types their token type ids, or null for all zeros
 * @param sequences where each sequence lies among the packed tokens
 * @param source the padded input
 */
record PackedInput(long[] ids, long[] positions, long[] types, LayerStep.Packed sequences, EncoderInput source) {

    /**
     * Packs the input, or gives null when its mask hides nothing (the padded pass is then the
     * same pass) or everything (nothing to pack).
     *
     * @param in the padded input
     * @param positionIds its position ids [B * S]
     * @throws IllegalArgumentException for a mask value other than 0 or 1
     */
    static PackedInput of(EncoderInput in, long[] positionIds) {
        long[] mask = in.attentionMask();
        if (mask == null) {
            return null;
        }
        int kept = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] != 0 && mask[i] != 1) {
                throw new IllegalArgumentException("attention mask[" + i / in.seq() + ", " + i % in.seq() + "] = "
                        + mask[i] + ", expected 0 or 1");
            }
            kept += (int) mask[i];
        }
        if (kept == mask.length || kept == 0) {
            return null;
        }
        long[] ids = new long[kept], positions = new long[kept];
        long[] types = in.tokenTypeIds() == null ? null : new long[kept];
        int[] starts = new int[in.batch()], lengths = new int[in.batch()];
        int n = 0;
        for (int b = 0; b < in.batch(); b++) {
            starts[b] = n;
            for (int j = 0; j < in.seq(); j++) {
                int i = b * in.seq() + j;
                if (mask[i] == 1) {
                    ids[n] = in.ids()[i];
                    positions[n] = positionIds[i];
                    if (types != null) {
                        types[n] = in.tokenTypeIds()[i];
                    }
                    n++;
                }
            }
            lengths[b] = n - starts[b];
        }
        return new PackedInput(ids, positions, types, new LayerStep.Packed(starts, lengths), in);
    }

    /**
     * The packed hidden states x: [kept, C] put back at their padded positions of a new [B * S, C]
     * tensor of work, zeros where the mask hides a position; one copy per run of kept tokens.
     */
    Tensor unpack(Backend backend, Tensor x, TensorArena work) {
        int seq = source.seq();
        long[] mask = source.attentionMask();
        Tensor padded = work.zeros((long) source.batch() * seq, x.dim(1));
        int n = 0;
        for (int b = 0; b < source.batch(); b++) {
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
