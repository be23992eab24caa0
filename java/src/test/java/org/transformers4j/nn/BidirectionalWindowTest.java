package org.transformers4j.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.backend.reference.ReferenceBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * The band |i - j| &lt;= h composed from two kernel calls equals attention under the explicit
 * mask transformers builds (0 inside the band and on real keys, -inf elsewhere), computed by the
 * reference backend in double precision: odd sizes, every half width from none to wider than the
 * sequence, without padding, with right and left padding (key ranges) and with holes (an additive
 * bias), on the CPU kernels and on the reference backend itself.
 */
class BidirectionalWindowTest {
    static CpuBackend cpu;
    static ReferenceBackend ref;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
        ref = new ReferenceBackend();
    }

    @AfterAll
    static void close() {
        cpu.close();
        ref.close();
    }

    enum Padding { NONE, RIGHT, LEFT, HOLES }

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (int s : new int[] {1, 5, 37, 70}) {
            for (int half : new int[] {0, 1, 4, 9, 100}) {
                for (Padding p : Padding.values()) {
                    b.add(Arguments.of(s, half, p));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "S {0}, half {1}, padding {2}")
    @MethodSource("cases")
    void equalsTheExplicitBandMask(int s, int half, Padding padding) {
        int batch = 2, heads = 3, d = 13;
        SplittableRandom rnd = new SplittableRandom(31L * s + half);
        try (TensorArena arena = TensorArena.confined()) {
            // q, k, v as the model has them: head slices of one fused projection
            Tensor fused = random(arena, rnd, batch, s, 3 * heads, d);
            Tensor q = fused.narrow(2, 0, heads), k = fused.narrow(2, heads, heads);
            Tensor v = fused.narrow(2, 2 * heads, heads);
            long[] mask = mask(batch, s, padding);
            float scale = (float) (1 / Math.sqrt(d));
            Tensor want = arena.empty(batch, s, heads, d);
            ref.attention(q, k, v, AttentionOptions.scaled(scale).withBias(bandBias(arena, mask, batch, s, half)), want);
            for (Backend backend : new Backend[] {cpu, ref}) {
                Tensor got = arena.empty(batch, s, heads, d);
                AttentionOptions options = PaddingMask.apply(backend, AttentionOptions.scaled(scale), mask, batch, s,
                        arena);
                BidirectionalWindow.attend(backend, q, k, v, options, half, got);
                double err = relativeError(got, want, mask, batch, s);
                assertTrue(err <= 1e-5, backend.name() + ": relative error " + err);
            }
        }
    }

    @Test
    void refusesOptionsThatAlreadyBoundTheKeys() {
        try (TensorArena arena = TensorArena.confined()) {
            Tensor q = arena.zeros(1, 4, 1, 8);
            Tensor out = arena.empty(1, 4, 1, 8);
            assertThrows(IllegalArgumentException.class, () -> BidirectionalWindow.attend(cpu, q, q, q,
                    AttentionOptions.scaled(1f).withCausal(), 2, out));
            assertThrows(IllegalArgumentException.class, () -> BidirectionalWindow.attend(cpu, q, q, q,
                    AttentionOptions.scaled(1f).withWindow(3), 2, out));
            assertThrows(IllegalArgumentException.class, () -> BidirectionalWindow.attend(cpu, q, q, q,
                    AttentionOptions.scaled(1f), -1, out));
        }
    }

    /** 1 for real tokens: all, a right-padded second row, a left-padded one, or holes (not one range). */
    private static long[] mask(int batch, int s, Padding padding) {
        long[] m = new long[batch * s];
        java.util.Arrays.fill(m, 1);
        int pad = s / 3;
        for (int j = 0; j < pad; j++) {
            switch (padding) {
                case RIGHT -> m[s + s - 1 - j] = 0;
                case LEFT -> m[s + j] = 0;
                case HOLES -> m[s + 1 + 2 * j < 2 * s ? s + 1 + 2 * j : s] = 0;
                case NONE -> {
                }
            }
        }
        return m;
    }

    /** transformers' sliding mask: the padding mask with -inf wherever |i - j| &gt; half, [B, 1, S, S]. */
    private static Tensor bandBias(TensorArena arena, long[] mask, int batch, int s, int half) {
        float[] bias = new float[batch * s * s];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < s; j++) {
                    boolean seen = mask[b * s + j] == 1 && Math.abs(i - j) <= half;
                    bias[(b * s + i) * s + j] = seen ? 0f : Float.NEGATIVE_INFINITY;
                }
            }
        }
        return arena.of(bias, batch, 1, s, s);
    }

    private static Tensor random(TensorArena arena, SplittableRandom rnd, long... dims) {
        Tensor t = arena.zeros(dims);
        float[] v = new float[Math.toIntExact(t.shape().elements())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextDouble(-2, 2);
        }
        t.copyFrom(v);
        return t;
    }

    /** Over queries of real tokens (a padded query's output is not defined). */
    private static double relativeError(Tensor got, Tensor want, long[] mask, int batch, int s) {
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        int row = g.length / (batch * s);
        double err = 0, mag = 0;
        for (int i = 0; i < g.length; i++) {
            if (mask[i / row] == 0) {
                continue;
            }
            double diff = Math.abs((double) g[i] - w[i]);
            err = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : Math.max(err, diff);
            mag = Math.max(mag, Math.abs(w[i]));
        }
        return err / mag;
    }
}
