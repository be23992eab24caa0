package org.transformers4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** bfloat16: the upper 16 bits of a float32 (8 exponent bits, 7 mantissa bits). */
public final class BFloat16 {
    private BFloat16() {
    }

    /**
     * {@return f rounded to the nearest bfloat16, ties to even, as torch converts; NaN stays NaN (quiet)}
     *
     * @param f a float32 value
     */
    public static short round(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /**
     * {@return a contiguous BF16 copy of a float32 host tensor, each value rounded, in arena (a host arena)}
     *
     * @param f32 a float32 host tensor
     * @param arena where the copy is made
     */
    public static Tensor rounded(Tensor f32, TensorArena arena) {
        f32.requireType(DType.F32);
        Tensor out = arena.empty(DType.BF16, f32.shape().toArray());
        MemorySegment dst = out.hostSpan();
        if (f32.isContiguous()) {
            MemorySegment src = f32.hostSpan();
            for (long i = 0, n = f32.shape().elements(); i < n; i++) {
                dst.setAtIndex(ValueLayout.JAVA_SHORT, i, round(src.getAtIndex(ValueLayout.JAVA_FLOAT, i)));
            }
            return out;
        }
        float[] v = f32.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            dst.setAtIndex(ValueLayout.JAVA_SHORT, i, round(v[i]));
        }
        return out;
    }

    /**
     * {@return the float32 of the same value (exact)}
     *
     * @param h a bfloat16 value's bits
     */
    public static float widen(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }
}
