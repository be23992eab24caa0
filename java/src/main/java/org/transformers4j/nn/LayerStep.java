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
 * @param attentions collects each layer's self-attention probabilities, or null (the fused kernel runs)
 */
public record LayerStep(int batch, int seq, long[] positions, AttentionOptions selfMask,
                        RelativePositionBias.Pass positionBias, KvCache cache, IntFunction<Tensor[]> crossKv,
                        AttentionOptions crossMask, AttentionMaps attentions) {

    /** An encoder pass: every position attends over the S positions of its row, as the mask allows. */
    public static LayerStep encoder(int batch, int seq, AttentionOptions mask) {
        return new LayerStep(batch, seq, null, mask, null, null, null, null, null);
    }

    /** A decoder pass over a KV cache: the new positions attend over the cached and new keys. */
    public static LayerStep causal(int batch, int seq, long[] positions, AttentionOptions mask, KvCache cache) {
        return new LayerStep(batch, seq, positions, mask, null, cache, null, null, null);
    }

    /**
     * A pass of an encoder-decoder's decoder: causal over the cache, then cross-attention to the
     * encoder's keys and values of each layer.
     */
    public static LayerStep cross(int batch, int seq, long[] positions, AttentionOptions mask, KvCache cache,
                                  IntFunction<Tensor[]> crossKv, AttentionOptions crossMask) {
        return new LayerStep(batch, seq, positions, mask, null, cache, crossKv, crossMask, null);
    }

    /** This step with position ids (rotary embeddings). */
    public LayerStep withPositions(long[] ids) {
        return new LayerStep(batch, seq, ids, selfMask, positionBias, cache, crossKv, crossMask, attentions);
    }

    /** This step with T5's relative position bias of the pass (null: none). */
    public LayerStep withPositionBias(RelativePositionBias.Pass bias) {
        return new LayerStep(batch, seq, positions, selfMask, bias, cache, crossKv, crossMask, attentions);
    }

    /** This step recording each layer's attention probabilities (the unfused path). */
    public LayerStep withAttentions(AttentionMaps maps) {
        return new LayerStep(batch, seq, positions, selfMask, positionBias, cache, crossKv, crossMask, maps);
    }

    /** The encoder's keys and values of one layer. */
    Tensor[] crossKeysValues(int layer) {
        return crossKv.apply(layer);
    }
}
