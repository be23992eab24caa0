package org.transformers4j.backend;

/**
 * Sizes of a checked attention call: B batch, S queries, T keys, H heads, K key/value heads,
 * D head dim, and the element strides of the bias over batch, head and query (0 broadcasts).
 */
public record AttentionShape(long batch, long queries, long keys, long heads, long kvHeads, long headDim,
                             long biasStrideB, long biasStrideH, long biasStrideS) {
}
