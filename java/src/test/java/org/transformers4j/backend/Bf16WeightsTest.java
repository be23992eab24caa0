package org.transformers4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.backend.TestTensors.assertClose;
import static org.transformers4j.backend.TestTensors.poisoned;
import static org.transformers4j.backend.TestTensors.random;

import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.backend.reference.ReferenceBackend;
import org.transformers4j.tensor.BFloat16;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * The CPU backend with bfloat16 weights: rounding to bfloat16 as torch rounds, and linear layers
 * (streamed for few rows, packed for more) and embedding gathers on bfloat16 weights against the
 * reference on the same values widened to float32, outputs poisoned first.
 */
class Bf16WeightsTest {
    static CpuBackend bf16;
    static ReferenceBackend ref;
    final SplittableRandom rnd = new SplittableRandom(11);

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
        assertEquals((short) 0x3f80, BFloat16.round(1.0f));
        assertEquals((short) 0x3f80, BFloat16.round(Float.intBitsToFloat(0x3f808000))); // a tie, to even
        assertEquals((short) 0x3f82, BFloat16.round(Float.intBitsToFloat(0x3f818000))); // a tie, to even
        assertEquals((short) 0x3f81, BFloat16.round(Float.intBitsToFloat(0x3f808001))); // above the tie
        assertEquals((short) 0xbf80, BFloat16.round(-1.0f));
        assertEquals((short) 0x7f80, BFloat16.round(Float.MAX_VALUE)); // overflows to infinity, as torch
        assertEquals((short) 0xff80, BFloat16.round(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(BFloat16.widen(BFloat16.round(Float.NaN))));
        assertEquals(1.0078125f, BFloat16.widen((short) 0x3f81));
    }

    @ParameterizedTest(name = "M={0}")
    @ValueSource(ints = {1, 3, 4, 5, 70})
    void linearOnBf16WeightsMatchesTheReferenceOnTheirValues(int m) {
        try (TensorArena a = TensorArena.confined()) {
            int n = 61, k = 131;
            Tensor w = bf16.weightMatrix(random(a, rnd, 1, n, k), a);
            assertEquals(DType.BF16, w.dtype());
            Tensor x = random(a, rnd, 1, m, k), bias = random(a, rnd, 1, n), want = a.empty(m, n);
            for (Activation act : new Activation[] {Activation.NONE, Activation.GELU}) {
                Tensor y = poisoned(a, m, n);
                bf16.linear(x, w, bias, act, y);
                ref.linear(x, widened(w, a), bias, act, want);
                assertClose("linear " + act, y, want, 1e-5);
            }
            // a weight matrix computed at run time (float32) is taken too
            Tensor y = poisoned(a, m, n);
            bf16.linear(x, widened(w, a), bias, Activation.NONE, y);
            ref.linear(x, widened(w, a), bias, Activation.NONE, want);
            assertClose("linear, float32 weight", y, want, 1e-5);
        }
    }

    @Test
    void embeddingGathersWidenedRows() {
        try (TensorArena a = TensorArena.confined()) {
            Tensor table = bf16.weightMatrix(random(a, rnd, 1, 101, 37), a);
            Tensor ids = a.ofLongs(new long[] {5, 0, 100, 5, 42}, 5), out = poisoned(a, 5, 37), want = a.empty(5, 37);
            bf16.embedding(table, ids, out);
            ref.embedding(widened(table, a), ids, want);
            assertClose("embedding", out, want, 0);
        }
    }

    @Test
    void aFloat32BackendRefusesBf16Weights() {
        try (CpuBackend f32 = CpuBackend.create(); TensorArena a = TensorArena.confined()) {
            Tensor w = bf16.weightMatrix(random(a, rnd, 1, 3, 4), a);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> f32.linear(a.zeros(2, 4), w, null, Activation.NONE, a.zeros(2, 3)));
            assertTrue(e.getMessage().contains("w has dtype BF16, expected F32"), e.getMessage());
        }
    }

    private static Tensor widened(Tensor w, TensorArena a) {
        Tensor out = a.empty(w.shape().toArray());
        float[] v = new float[Math.toIntExact(w.shape().elements())];
        for (int i = 0; i < v.length; i++) {
            v[i] = BFloat16.widen(TensorMemory.host(w).getAtIndex(ValueLayout.JAVA_SHORT, i));
        }
        out.copyFrom(v);
        return out;
    }
}
