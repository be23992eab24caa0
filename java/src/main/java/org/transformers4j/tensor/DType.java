package org.transformers4j.tensor;

/**
 * Element types a {@link Tensor} can hold. Kernels compute in {@link #F32}; {@link #I8} holds weight
 * matrices quantized to int8 (with their scales kept by the backend that made them).
 */
public enum DType {
    /** 32-bit IEEE float. */
    F32(4),
    /** 16-bit IEEE float. */
    F16(2),
    /** bfloat16: the upper half of a float32. */
    BF16(2),
    /** 32-bit signed integer. */
    I32(4),
    /** 64-bit signed integer (token ids). */
    I64(8),
    /** 8-bit signed integer (quantized weights). */
    I8(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** {@return bytes per element} */
    public int byteSize() {
        return byteSize;
    }
}
