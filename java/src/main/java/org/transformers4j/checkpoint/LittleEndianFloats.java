package org.transformers4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/** Float32 data stored little-endian in a file, as safetensors and ONNX store it. */
final class LittleEndianFloats {
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private LittleEndianFloats() {
    }

    /** The data as a tensor: viewed in place where aligned on a little-endian machine, copied otherwise. */
    static Tensor load(MemorySegment src, long[] dims, TensorArena into) {
        if (src.address() % 4 == 0 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            return into.wrap(src, DType.F32, dims);
        }
        Tensor t = into.allocate(DType.F32, dims);
        MemorySegment dst = TensorMemory.host(t);
        long n = t.shape().elements();
        for (long i = 0; i < n; i++) {
            dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, src.get(FLOAT_LE, i * 4));
        }
        return t;
    }
}
