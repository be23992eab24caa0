package org.transformers4j.tensor;

/**
 * Element types a {@link Tensor} can hold. Kernels compute in {@link #F32}; {@link #I8} holds weight
 * matrices quantized to int8 (with their scales kept by the backend that made them).
 */
public enum DType {
    F32(4), F16(2), BF16(2), I32(4), I64(8), I8(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** {@return bytes per element} */
    public int byteSize() {
        return byteSize;
    }
}
