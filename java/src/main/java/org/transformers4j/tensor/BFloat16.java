package org.transformers4j.tensor;

/** bfloat16: the upper 16 bits of a float32 (8 exponent bits, 7 mantissa bits). */
public final class BFloat16 {
    private BFloat16() {
    }

    /** f rounded to the nearest bfloat16, ties to even, as torch converts; NaN stays NaN (quiet). */
    public static short round(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The float32 of the same value (exact). */
    public static float widen(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }
}
