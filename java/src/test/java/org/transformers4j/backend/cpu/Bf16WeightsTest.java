package org.transformers4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.reference.ReferenceBackend;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * The CPU backend with bfloat16 weights: rounding to bfloat16 as torch rounds, and linear layers
 * (streamed for few rows, packed for more) and embedding gathers on bfloat16 weights against the
 * reference on the same values widened to float32.
 */
class Bf16WeightsTest {
    static CpuBackend bf16;
    static ReferenceBackend ref;
    final Random rnd = new Random(11);

    @BeforeAll
    static void open() {
        bf16 = CpuBackend.withBf16Weights();
        ref = new ReferenceBackend();
    }

    @AfterAll
    static void close() {
        bf16.close();
        ref.close();
    }

    @Test
    void roundsToNearestEvenAsTorchDoes() {
        assertEquals((short) 0x3f80, CpuBackend.toBf16(1.0f));
        assertEquals((short) 0x3f80, CpuBackend.toBf16(Float.intBitsToFloat(0x3f808000))); // a tie, to even
        assertEquals((short) 0x3f82, CpuBackend.toBf16(Float.intBitsToFloat(0x3f818000))); // a tie, to even
        assertEquals((short) 0x3f81, CpuBackend.toBf16(Float.intBitsToFloat(0x3f808001))); // above the tie
        assertEquals((short) 0xbf80, CpuBackend.toBf16(-1.0f));
        assertEquals((short) 0x7f80, CpuBackend.toBf16(Float.MAX_VALUE)); // overflows to infinity, as torch
        assertEquals((short) 0xff80, CpuBackend.toBf16(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(widen(CpuBackend.toBf16(Float.NaN))));
    }

    @ParameterizedTest(name = "M={0}")
    @ValueSource(ints = {1, 3, 4, 5, 70})
    void linearOnBf16WeightsMatchesTheReferenceOnTheirValues(int m) {
        try (TensorArena a = TensorArena.confined()) {
            int n = 61, k = 131;
            Tensor w = bf16.weightMatrix(random(a, n, k), a);
            assertEquals(DType.BF16, w.dtype());
            Tensor x = random(a, m, k), bias = random(a, n), y = a.empty(m, n), want = a.empty(m, n);
            for (Activation act : new Activation[] {Activation.NONE, Activation.GELU}) {
                bf16.linear(x, w, bias, act, y);
                ref.linear(x, widened(w, a), bias, act, want);
                assertClose(y, want, 1e-5, "linear " + act);
            }
            // a weight matrix computed at run time (float32) is taken too
            bf16.linear(x, widened(w, a), bias, Activation.NONE, y);
            ref.linear(x, widened(w, a), bias, Activation.NONE, want);
            assertClose(y, want, 1e-5, "linear, float32 weight");
        }
    }

    @Test
    void embeddingGathersWidenedRows() {
        try (TensorArena a = TensorArena.confined()) {
            Tensor table = bf16.weightMatrix(random(a, 101, 37), a);
            Tensor ids = a.ofLongs(new long[] {5, 0, 100, 5, 42}, 5), out = a.empty(5, 37), want = a.empty(5, 37);
            bf16.embedding(table, ids, out);
            ref.embedding(widened(table, a), ids, want);
            assertClose(out, want, 0, "embedding");
        }
    }

    @Test
    void aFloat32BackendRefusesBf16Weights() {
        try (CpuBackend f32 = CpuBackend.create(); TensorArena a = TensorArena.confined()) {
            Tensor w = bf16.weightMatrix(random(a, 3, 4), a);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> f32.linear(a.zeros(2, 4), w, null, Activation.NONE, a.zeros(2, 3)));
            assertTrue(e.getMessage().contains("w has dtype BF16, expected F32"), e.getMessage());
        }
    }

    private Tensor random(TensorArena a, long... dims) {
        Tensor t = a.empty(dims);
        float[] v = new float[Math.toIntExact(t.shape().elements())];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        t.copyFrom(v);
        return t;
    }

    private static float widen(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    private static Tensor widened(Tensor w, TensorArena a) {
        Tensor out = a.empty(w.shape().toArray());
        float[] v = new float[Math.toIntExact(w.shape().elements())];
        for (int i = 0; i < v.length; i++) {
            v[i] = widen(w.segment().getAtIndex(ValueLayout.JAVA_SHORT, i));
        }
        out.copyFrom(v);
        return out;
    }

    private static void assertClose(Tensor got, Tensor want, double bound, String what) {
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        double err = 0, mag = 0;
        for (int i = 0; i < g.length; i++) {
            err = Math.max(err, Math.abs(g[i] - w[i]));
            mag = Math.max(mag, Math.abs(w[i]));
        }
        assertTrue(err <= bound * mag, what + ": relative error " + err / mag);
    }
}
