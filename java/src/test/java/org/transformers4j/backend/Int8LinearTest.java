package org.transformers4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.params.provider.CsvSource;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.backend.reference.ReferenceBackend;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * The CPU backend's int8 linear layers (and bfloat16 products) wired to the kernels: against a plain
 * Java computation of the same integers (weights per output channel, activations per row or per
 * tensor as t4j.h defines them) at odd sizes, outputs poisoned first; bad weights named.
 */
class Int8LinearTest {
    static CpuBackend int8, f32;
    final SplittableRandom rnd = new SplittableRandom(23);

    @BeforeAll
    static void open() {
        int8 = CpuBackend.withInt8Weights();
        f32 = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        int8.close();
        f32.close();
    }

    /** Per row of w: scale = max|w| / 127, q = rint(w / scale), as t4j_quantize_weights_int8. */
    static float[] quantizedWeights(float[] w, int n, int k, byte[] q) {
        float[] scale = new float[n];
        for (int r = 0; r < n; r++) {
            float mx = 0;
            for (int c = 0; c < k; c++) {
                mx = Math.max(mx, Math.abs(w[r * k + c]));
            }
            scale[r] = mx / 127f >= Float.MIN_NORMAL ? mx / 127f : 1f;
            for (int c = 0; c < k; c++) {
                q[r * k + c] = (byte) Math.clamp(Math.rint(w[r * k + c] / scale[r]), -127, 127);
            }
        }
        return scale;
    }

    /** y = act(sum_k (qa - zp) qw * (sa * sw) + bias) with activations quantized per row or over all rows. */
    static float[] expected(float[] x, int m, int k, byte[] qw, float[] sw, int n, float[] bias, boolean perTensor) {
        float[] y = new float[m * n];
        for (int r = 0; r < m; r++) {
            int from = perTensor ? 0 : r * k, to = perTensor ? m * k : (r + 1) * k;
            float lo = 0, hi = 0;
            for (int i = from; i < to; i++) {
                lo = Math.min(lo, x[i]);
                hi = Math.max(hi, x[i]);
            }
            float sa = hi == lo ? 1f : (hi - lo) / 255f;
            int zp = (int) Math.rint(Math.clamp(0f - lo / sa, 0f, 255f));
            for (int j = 0; j < n; j++) {
                int acc = 0;
                for (int c = 0; c < k; c++) {
                    int qa = (int) Math.rint(Math.clamp(x[r * k + c] / sa, (float) -zp, 255f - zp)) + zp;
                    acc += (qa - zp) * qw[j * k + c];
                }
                y[r * n + j] = (float) acc * (sa * sw[j]) + (bias == null ? 0 : bias[j]);
            }
        }
        return y;
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} per tensor {3}")
    @CsvSource({"1, 37, 70, false", "3, 5, 129, false", "17, 33, 64, false", "130, 19, 31, false",
                "1, 37, 70, true", "9, 40, 77, true", "65, 17, 300, true"})
    void productsAreTheQuantizedArithmetic(int m, int n, int k, boolean perTensor) {
        try (TensorArena a = TensorArena.confined()) {
            Tensor x = random(a, rnd, 3, m, k), w = random(a, rnd, 0.5f, n, k), bias = random(a, rnd, 1, n);
            byte[] q = new byte[n * k];
            float[] scale = quantizedWeights(w.toFloatArray(), n, k, q);
            float[] want = expected(x.toFloatArray(), m, k, q, scale, n, bias.toFloatArray(), perTensor);
            Tensor y = poisoned(a, m, n);
            if (perTensor) { // weights handed over quantized, as an imported ONNX graph's are
                Tensor qt = a.empty(DType.I8, n, k), st = a.of(scale, n);
                TensorMemory.host(qt).copyFrom(java.lang.foreign.MemorySegment.ofArray(q));
                Tensor wq = f32.int8Matrix(qt, st, true, a);
                assertEquals(DType.I8, wq.dtype());
                f32.linear(x, wq, bias, Activation.NONE, y);
            } else { // float weights of the weight policy, quantized on their first product
                int8.linear(x, int8.weightMatrix(w, a), bias, Activation.NONE, y);
            }
            assertClose("int8 product", y, a.of(want, m, n), 1e-6);
        }
    }

    @Test
    void anInt8TensorTheBackendDidNotMakeIsRefused() {
        try (TensorArena a = TensorArena.confined()) {
            Tensor w = a.allocate(DType.I8, 4, 8), x = a.zeros(2, 8), y = a.empty(2, 4);
            var e = assertThrows(IllegalArgumentException.class, () -> int8.linear(x, w, null, Activation.NONE, y));
            assertTrue(e.getMessage().contains("did not make"), e.getMessage());
            var ref = new ReferenceBackend();
            e = assertThrows(IllegalArgumentException.class, () -> ref.linear(x, w, null, Activation.NONE, y));
            assertTrue(e.getMessage().contains("w has dtype I8, expected F32"), e.getMessage());
        }
    }

    @Test
    void badInt8WeightsAreNamed() {
        try (TensorArena a = TensorArena.confined()) {
            Tensor q = a.allocate(DType.I8, 3, 5);
            Tensor nan = a.of(new float[] {1, Float.NaN, 1}, 3);
            var e = assertThrows(IllegalArgumentException.class, () -> int8.int8Matrix(q, nan, false, a));
            assertEquals("scale[1] of an int8 matrix is NaN, not finite", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> int8.int8Matrix(q, a.zeros(4), false, a));
            assertTrue(e.getMessage().startsWith("scale has shape [4]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> int8.int8Matrix(a.zeros(3, 5), a.zeros(3), false, a));
            assertEquals("q has dtype F32, expected I8", e.getMessage());
            Tensor w = a.of(new float[] {1, 2, Float.POSITIVE_INFINITY, 4}, 2, 2);
            Tensor policy = int8.weightMatrix(w, a);
            e = assertThrows(IllegalArgumentException.class,
                    () -> int8.linear(a.zeros(1, 2), policy, null, Activation.NONE, a.empty(1, 2)));
            assertTrue(e.getMessage().contains("not finite"), e.getMessage());
        }
    }

    @Test
    void aBackendWithoutInt8ProductsDequantizes() {
        try (TensorArena a = TensorArena.confined(); ReferenceBackend ref = new ReferenceBackend()) {
            Tensor q = a.empty(DType.I8, 2, 3);
            byte[] v = {-127, 0, 5, 127, -3, 1};
            for (int i = 0; i < v.length; i++) {
                TensorMemory.host(q).set(ValueLayout.JAVA_BYTE, i, v[i]);
            }
            Tensor w = ref.int8Matrix(q, a.of(new float[] {0.5f, 2f}, 2), false, a);
            assertEquals(DType.F32, w.dtype());
            assertEquals(java.util.List.of(-63.5f, 0f, 2.5f, 254f, -6f, 2f),
                    java.util.Arrays.asList(box(w.toFloatArray())));
        }
    }

    private static Float[] box(float[] v) {
        Float[] out = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    /** bfloat16 products: activations and weights rounded to bfloat16, sums in float32 (few rows stream as before). */
    @ParameterizedTest(name = "m={0}")
    @CsvSource({"1", "4", "5", "33"})
    void bfloat16ProductsRoundTheirInputs(int m) {
        try (TensorArena a = TensorArena.confined(); CpuBackend bf16 = CpuBackend.withBf16Compute()) {
            int n = 29, k = 67;
            Tensor x = random(a, rnd, 2, m, k), w = random(a, rnd, 0.5f, n, k), bias = random(a, rnd, 1, n);
            Tensor wb = bf16.weightMatrix(w, a);
            float[] xr = x.toFloatArray(), wr = widened(wb, n * k);
            if (m > 4) { // rounded at the product's input
                for (int i = 0; i < xr.length; i++) {
                    xr[i] = org.transformers4j.tensor.BFloat16.widen(org.transformers4j.tensor.BFloat16.round(xr[i]));
                }
            }
            Tensor want = a.empty(m, n);
            f32.linear(a.of(xr, m, k), a.of(wr, n, k), bias, Activation.GELU, want);
            Tensor y = poisoned(a, m, n);
            bf16.linear(x, wb, bias, Activation.GELU, y);
            assertClose("bfloat16 product", y, want, 1e-5);
        }
    }

    private static float[] widened(Tensor bf16, int count) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = Float.intBitsToFloat((TensorMemory.host(bf16).getAtIndex(ValueLayout.JAVA_SHORT, i) & 0xffff) << 16);
        }
        return out;
    }

    @Test
    void backendsPairWeightsAndComputeTypes() {
        try (Backend b = Backends.create(Device.CPU, DType.I8)) {
            assertTrue(((CpuBackend) b).int8Linear());
        }
        try (Backend b = Backends.create(Device.CPU, DType.BF16)) {
            assertFalse(((CpuBackend) b).bf16Compute(), "bf16 weights compute in float32 unless asked");
        }
        try (Backend b = Backends.create(Device.CPU, DType.BF16, DType.BF16)) {
            assertTrue(((CpuBackend) b).bf16Compute());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.create(Device.CPU, DType.F32, DType.BF16));
        assertTrue(e.getMessage().startsWith("compute type BF16 does not go with F32 weights on cpu"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Backends.create(Device.parse("cuda:0"), DType.I8));
        assertEquals("int8 weights (I8) run on the CPU only, not on cuda:0", e.getMessage());
    }
}
