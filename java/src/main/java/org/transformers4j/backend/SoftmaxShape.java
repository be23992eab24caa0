package org.transformers4j.backend;

/**
 * Sizes of a checked softmax call over [B, H, S, T], with the mask's element strides (0 broadcasts).
 *
 * @param batch B
 * @param heads H
 * @param rows S, the query rows
 * @param cols T, the key columns the softmax runs over
 * @param maskStrideB the mask's element stride over the batch, 0 when it broadcasts
 * @param maskStrideH the mask's element stride over the heads, 0 when it broadcasts
 * @param maskStrideS the mask's element stride over the rows, 0 when it broadcasts
 */
public record SoftmaxShape(long batch, long heads, long rows, long cols, long maskStrideB, long maskStrideH,
                           long maskStrideS) {
}
