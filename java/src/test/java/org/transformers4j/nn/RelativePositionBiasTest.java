package org.transformers4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.SimulatedGpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * T5's position bias applied tile by tile gives what the whole [B or 1, H, S, T] bias gives, in
 * the encoder (bidirectional) and the decoder (causal, after a cache of earlier positions), with
 * no padding, contiguous padding (key ranges) and scattered padding (an additive mask per batch
 * row), at odd sizes: within 1e-6, as the kernel may group queries differently per tile (an ulp
 * or so apart).
 */
class RelativePositionBiasTest {
    static final int H = 3, D = 5, BUCKETS = 8, MAX_DISTANCE = 20;
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @ParameterizedTest(name = "bidirectional {0}, B {1}, S {2}, T {3}, padding {4}")
    @CsvSource({"true, 2, 37, 37, none", "true, 2, 37, 37, ranges", "true, 3, 37, 37, scattered",
        "true, 1, 1, 29, scattered", "false, 2, 37, 37, none", "false, 2, 7, 37, ranges", "false, 3, 11, 29, scattered",
        "false, 2, 1, 30, ranges"})
    void tilesGiveWhatTheWholeBiasGives(boolean bidirectional, int b, int s, int t, String padding) {
        float[] whole = attend(bidirectional, b, s, t, padding, Long.MAX_VALUE / 2);
        for (long tile : new long[] {(long) H * t, 5L * H * t, 2L * b * H * t + 1, (long) b * H * s * t - 1}) {
            float[] tiled = attend(bidirectional, b, s, t, padding, Math.max(tile, (long) H * t));
            assertArrayEquals(whole, tiled, 1e-6f, "tile of " + tile + " values");
        }
    }

    @Test
    void keysBeyondWhatATileHoldsAreRefusedWithAMessage() {
        var bias = new RelativePositionBias(table(), H, BUCKETS, MAX_DISTANCE, true, 10L * H);
        assertEquals(10, bias.maxKeys());
        try (TensorArena arena = TensorArena.confined()) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> bias.pass(cpu, 1, 11, 11, AttentionOptions.scaled(1f), arena));
            assertTrue(e.getMessage().contains("attending over 11 positions needs 3 x 11 position-bias values per"
                    + " query, more than the 30 a tile holds; at most 10 positions fit"), e.getMessage());
        }
    }

    @Test
    void bucketsMatchTransformersAtItsBoundaries() {
        var bias = new RelativePositionBias(new float[32 * H], H, 32, 128, true, RelativePositionBias.TILE_VALUES);
        // bidirectional: 16 buckets a side, 8 of them exact; later keys in the upper half
        assertEquals(0, bias.bucket(0));
        assertEquals(7, bias.bucket(-7));
        assertEquals(16 + 7, bias.bucket(7));
        assertEquals(8, bias.bucket(-8));
        assertEquals(15, bias.bucket(-1000));
        assertEquals(31, bias.bucket(1000));
        var causal = new RelativePositionBias(new float[32 * H], H, 32, 128, false, RelativePositionBias.TILE_VALUES);
        assertEquals(0, causal.bucket(5)); // keys after the query: the first bucket
        assertEquals(15, causal.bucket(-15));
        assertEquals(16, causal.bucket(-16));
        assertEquals(31, causal.bucket(-100000));
    }

    @ParameterizedTest(name = "bidirectional {0}, padding {1}")
    @CsvSource({"true, none", "true, scattered", "false, ranges", "false, scattered"})
    void onADeviceTheTilesAreMadeThereAndGiveTheSame(boolean bidirectional, String padding) {
        try (SimulatedGpuBackend gpu = SimulatedGpuBackend.create()) {
            float[] whole = attend(cpu, bidirectional, 2, 13, 23, padding, Long.MAX_VALUE / 2);
            float[] tiled = attend(gpu, bidirectional, 2, 13, 23, padding, 4L * H * 23);
            assertArrayEquals(whole, tiled, 1e-6f);
        }
    }

    private static float[] attend(boolean bidirectional, int b, int s, int t, String padding, long tile) {
        return attend(cpu, bidirectional, b, s, t, padding, tile);
    }

    /** out of attention with the position bias over random q, k, v, with padding of the kind named. */
    private static float[] attend(Backend backend, boolean bidirectional, int b, int s, int t, String padding,
                                  long tile) {
        var bias = new RelativePositionBias(table(), H, BUCKETS, MAX_DISTANCE, bidirectional, tile);
        SplittableRandom rnd = new SplittableRandom(b * 1000L + s * 10L + t);
        try (TensorArena host = TensorArena.confined(); TensorArena arena = backend.scratch()) {
            Tensor q = backend.toDevice(random(host, rnd, b, s, H, D), arena);
            Tensor k = backend.toDevice(random(host, rnd, b, t, H, D), arena);
            Tensor v = backend.toDevice(random(host, rnd, b, t, H, D), arena), out = arena.empty(b, s, H, D);
            AttentionOptions options = PaddingMask.apply(backend, AttentionOptions.scaled(1f), mask(padding, b, t), b,
                    t, arena);
            var pass = bias.pass(backend, b, s, t, options, arena);
            pass.attend(backend, q, k, v, bidirectional ? options : options.withCausal(), out);
            return backend.toHost(out, host).toFloatArray();
        }
    }

    /** none: null; ranges: each row a different contiguous run; scattered: holes (an additive mask). */
    private static long[] mask(String padding, int b, int t) {
        if (padding.equals("none")) {
            return null;
        }
        long[] m = new long[b * t];
        for (int r = 0; r < b; r++) {
            for (int j = 0; j < t; j++) {
                boolean visible = padding.equals("ranges") ? j >= r && j < t - 2 * r : (j * 7 + r) % 5 != 0 || j == 0;
                m[r * t + j] = visible ? 1 : 0;
            }
        }
        return m;
    }

    private static float[] table() {
        float[] table = new float[BUCKETS * H];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < table.length; i++) {
            table[i] = (float) rnd.nextDouble(-2, 2);
        }
        return table;
    }

    private static Tensor random(TensorArena arena, SplittableRandom rnd, long... dims) {
        float[] values = new float[Math.toIntExact(dims[0] * dims[1] * dims[2] * dims[3])];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextDouble(-1, 1);
        }
        return arena.of(values, dims);
    }
}
