package org.transformers4j.backend;

/** Sizes of a checked softmax call over [B, H, S, T], with the mask's element strides (0 broadcasts). */
public record SoftmaxShape(long batch, long heads, long rows, long cols, long maskStrideB, long maskStrideH,
                           long maskStrideS) {
}
