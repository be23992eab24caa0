package org.transformers4j.bench;

import static org.transformers4j.bindings.cpu.t4j_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * One weight matrix [N, K] in the forms the CPU kernels take (float32, bfloat16, float32 packed,
 * int8 packed, bfloat16-dot packed), for the benchmarks of the int8 and bfloat16 products. The
 * libt4j_cpu functions are called through the bindings directly: the Java layer does not use them yet.
 */
final class LowPrecisionWeights {
    final long n, k;
    final MemorySegment f32, bf16, f32Packed, int8Packed, bf16DotPacked;

    private LowPrecisionWeights(long n, long k, MemorySegment f32, MemorySegment bf16, MemorySegment f32Packed,
            MemorySegment int8Packed, MemorySegment bf16DotPacked) {
        this.n = n;
        this.k = k;
        this.f32 = f32;
        this.bf16 = bf16;
        this.f32Packed = f32Packed;
        this.int8Packed = int8Packed;
        this.bf16DotPacked = bf16DotPacked;
    }

    /** Random weights in [-1, 1) with every form; packed forms only where {@code packed}. */
    static LowPrecisionWeights random(Arena arena, long seed, long n, long k, boolean packed) {
        MemorySegment f32 = randomFloats(arena, seed, n * k);
        MemorySegment bf16 = arena.allocate(2 * n * k, 64);
        for (long i = 0; i < n * k; i++) {
            bf16.setAtIndex(ValueLayout.JAVA_SHORT, i, toBf16(f32.getAtIndex(ValueLayout.JAVA_FLOAT, i)));
        }
        if (!packed) {
            return new LowPrecisionWeights(n, k, f32, bf16, null, null, null);
        }
        MemorySegment f32Packed = arena.allocate(t4j_packed_bytes(n, k), 64);
        check(t4j_pack_weights(f32, n, k, k, f32Packed), "pack_weights");
        MemorySegment q = arena.allocate(n * k, 64), scale = arena.allocate(4 * n, 64);
        check(t4j_quantize_weights_int8(f32, n, k, k, q, k, scale), "quantize_weights_int8");
        MemorySegment int8Packed = arena.allocate(t4j_packed_int8_bytes(n, k), 64);
        check(t4j_pack_weights_int8(q, n, k, k, scale, int8Packed), "pack_weights_int8");
        MemorySegment bf16DotPacked = arena.allocate(t4j_packed_bf16dot_bytes(n, k), 64);
        check(t4j_pack_weights_bf16dot(bf16, n, k, k, bf16DotPacked), "pack_weights_bf16dot");
        return new LowPrecisionWeights(n, k, f32, bf16, f32Packed, int8Packed, bf16DotPacked);
    }

    /** A copy of every form in memory of its own (the same bytes elsewhere: caches hold neither for the other). */
    LowPrecisionWeights copy(Arena arena) {
        return new LowPrecisionWeights(n, k, copy(arena, f32), copy(arena, bf16), copy(arena, f32Packed),
                copy(arena, int8Packed), copy(arena, bf16DotPacked));
    }

    private static MemorySegment copy(Arena arena, MemorySegment src) {
        if (src == null) {
            return null;
        }
        MemorySegment dst = arena.allocate(src.byteSize(), 64);
        dst.copyFrom(src);
        return dst;
    }

    static MemorySegment randomFloats(Arena arena, long seed, long count) {
        MemorySegment s = arena.allocate(4 * count, 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = 0; i < count; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
        }
        return s;
    }

    /** float32 to bfloat16, to nearest even (finite values). */
    static short toBf16(float f) {
        int b = Float.floatToRawIntBits(f);
        return (short) ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
    }

    static void check(int status, String op) {
        if (status != T4J_OK()) {
            throw new IllegalStateException("t4j_" + op + " failed with status " + status);
        }
    }
}
