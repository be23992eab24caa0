package org.transformers4j.nn;

import java.util.function.IntFunction;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.tensor.Tensor;

/**
 * What every layer of one pass shares, built once per pass: the B x S new positions, the
 * self-attention's key ranges or mask, T5's position bias, the KV cache, the encoder's keys and
 * values with their padding (cross-attention), and where attention probabilities go when a caller
 * asked for them.
 *
 * @param positions position ids [B * S] for rotary embeddings, or null (learned or no positions)
 * @param selfMask the self-attention's padding options over its keys
 * @param positionBias T5's relative position bias of this pass, or null
 * @param cache the decoder's KV cache, or null (encoders)
 * @param crossKv per layer, the encoder's keys and values [B, T, H, D], or null without cross-attention
 * @param crossMask the encoder's padding over the T source keys, or null without cross-attention
 * @param attentions collects each layer's self- and cross-attention probabilities, or null (the fused kernel
 *     runs)
 * @param packed the sequences packed end to end in the S positions of one row, or null (rows of S)
 */
public record LayerStep(int batch, int seq, long[] positions, AttentionOptions selfMask,
                        RelativePositionBias.Pass positionBias, KvCache cache, IntFunction<Tensor[]> crossKv,
                        AttentionOptions crossMask, AttentionMaps attentions, Packed packed) {

    /**
     * Checks that a packed step is what a packed pass can run: one row holding every sequence,
     * no cache, position bias or recorded attentions (each would need the rows the packing
     * removed).
     */
    public LayerStep {
        if (packed != null && (batch != 1 || seq != packed.total() || cache != null || positionBias != null
                || attentions != null || crossKv != null)) {
            throw new IllegalArgumentException("a packed step runs one row of all " + packed.total() + " positions"
                    + " without cache, position bias, cross-attention or recorded attentions; got batch " + batch
                    + ", seq " + seq);
        }
    }

    /**
     * Sequences of different lengths packed end to end with no padding between them: sequence i
     * holds positions starts[i] .. starts[i] + lengths[i] - 1 of the pass's one row, and attends
     * over its own positions only. Products and norms run over the packed positions; attention
     * runs sequence by sequence.
     *
     * @param starts per sequence, its first position
     * @param lengths per sequence, its positions (0 for an empty one)
     */
    public record Packed(int[] starts, int[] lengths) {
        /** Checks that the sequences are in order and do not overlap. */
        public Packed {
            if (starts.length != lengths.length) {
                throw new IllegalArgumentException("packed sequences: " + starts.length + " starts and "
                        + lengths.length + " lengths");
            }
            int end = 0;
            for (int i = 0; i < starts.length; i++) {
                if (lengths[i] < 0 || starts[i] < end) {
                    throw new IllegalArgumentException("packed sequence " + i + " (start " + starts[i] + ", length "
                            + lengths[i] + ") overlaps the one before or has a negative length");
                }
                end = starts[i] + lengths[i];
            }
        }

        /** {@return the positions of all sequences together} */
        public int total() {
            return starts.length == 0 ? 0 : starts[starts.length - 1] + lengths[lengths.length - 1];
        }
    }

    /** An encoder pass: every position attends over the S positions of its row, as the mask allows. */
    public static LayerStep encoder(int batch, int seq, AttentionOptions mask) {
        return new LayerStep(batch, seq, null, mask, null, null, null, null, null, null);
    }

    /**
     * An encoder pass over packed sequences (one row of all their positions, no padding): each
     * sequence attends over its own positions with the given options' scale.
     *
     * @param sequences where each sequence lies in the row
     * @param options the attention's scale (key ranges and masks are the packing's)
     * @return the step
     */
    public static LayerStep packedEncoder(Packed sequences, AttentionOptions options) {
        return new LayerStep(1, sequences.total(), null, options, null, null, null, null, null, sequences);
    }

    /** A decoder pass over a KV cache: the new positions attend over the cached and new keys. */
    public static LayerStep causal(int batch, int seq, long[] positions, AttentionOptions mask, KvCache cache) {
        return new LayerStep(batch, seq, positions, mask, null, cache, null, null, null, null);
    }

    /**
     * A pass of an encoder-decoder's decoder: causal over the cache, then cross-attention to the
     * encoder's keys and values of each layer.
     */
    public static LayerStep cross(int batch, int seq, long[] positions, AttentionOptions mask, KvCache cache,
                                  IntFunction<Tensor[]> crossKv, AttentionOptions crossMask) {
        return new LayerStep(batch, seq, positions, mask, null, cache, crossKv, crossMask, null, null);
    }

    /** This step with position ids (rotary embeddings). */
    public LayerStep withPositions(long[] ids) {
        return new LayerStep(batch, seq, ids, selfMask, positionBias, cache, crossKv, crossMask, attentions, packed);
    }

    /** This step with T5's relative position bias of the pass (null: none). */
    public LayerStep withPositionBias(RelativePositionBias.Pass bias) {
        return new LayerStep(batch, seq, positions, selfMask, bias, cache, crossKv, crossMask, attentions, packed);
    }

    /** This step recording each layer's attention probabilities (the unfused path). */
    public LayerStep withAttentions(AttentionMaps maps) {
        return new LayerStep(batch, seq, positions, selfMask, positionBias, cache, crossKv, crossMask, maps, packed);
    }

    /** The encoder's keys and values of one layer. */
    Tensor[] crossKeysValues(int layer) {
        return crossKv.apply(layer);
    }
}
