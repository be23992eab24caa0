package org.transformers4j.backend;

/**
 * Sizes of a checked attention call, and the element strides of the bias (0 broadcasts).
 *
 * @param batch B
 * @param queries S, the query positions
 * @param keys T, the key positions
 * @param heads H, the query heads
 * @param kvHeads K, the key/value heads (K divides H)
 * @param headDim D
 * @param biasStrideB the bias's element stride over the batch, 0 when it broadcasts
 * @param biasStrideH the bias's element stride over the heads, 0 when it broadcasts
 * @param biasStrideS the bias's element stride over the queries, 0 when it broadcasts
 */
public record AttentionShape(long batch, long queries, long keys, long heads, long kvHeads, long headDim,
                             long biasStrideB, long biasStrideH, long biasStrideS) {
}
