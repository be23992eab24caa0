package org.transformers4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.transformers4j.backend.TestTensors.assertClose;
import static org.transformers4j.backend.TestTensors.poisoned;
import static org.transformers4j.backend.TestTensors.random;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.backend.reference.ReferenceBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Every CPU kernel against the plain Java reference (double accumulation) on random inputs at
 * odd sizes. Bound: relative error (max abs error over max abs value) at most 1e-5 everywhere.
 */
class CpuKernelsTest {
    static final double BOUND = 1e-5;
    static CpuBackend cpu;
    static CpuBackend builtInGemm;
    static ReferenceBackend ref;
    final SplittableRandom rnd = new SplittableRandom(42);

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
        builtInGemm = CpuBackend.withBuiltInGemm();
        ref = new ReferenceBackend();
    }

    @AfterAll
    static void close() {
        cpu.close();
        builtInGemm.close();
    }

    static Stream<Arguments> normSizes() {
        return Stream.of(48, 100, 768).flatMap(c -> Stream.of(1, 7, 33).map(r -> Arguments.of(r, c)));
    }

    @ParameterizedTest(name = "rows={0} hidden={1}")
    @MethodSource("normSizes")
    void layerNormWithAndWithoutResidual(int rows, int cols) {
        try (TensorArena a = TensorArena.confined()) {
            Tensor x = random(a, rnd, 3, rows, cols), r = random(a, rnd, 2, rows, cols);
            Tensor g = random(a, rnd, 1.5f, cols), b = random(a, rnd, 0.5f, cols);
            Tensor y = poisoned(a, rows, cols), yr = poisoned(a, rows, cols);
            Tensor s = poisoned(a, rows, cols), sr = poisoned(a, rows, cols);
            cpu.layerNorm(x, null, null, g, b, 1e-12f, y);
            ref.layerNorm(x, null, null, g, b, 1e-12f, yr);
            assertClose("layer norm", y, yr, BOUND);
            cpu.layerNorm(x, r, s, g, b, 1e-5f, y);
            ref.layerNorm(x, r, sr, g, b, 1e-5f, yr);
            assertClose("layer norm of x + r", y, yr, BOUND);
            assertClose("x + r", s, sr, BOUND);
            cpu.rmsNorm(x, r, s, g, 1e-6f, y);
            ref.rmsNorm(x, r, sr, g, 1e-6f, yr);
            assertClose("rms norm of x + r", y, yr, BOUND);
            // in place, as a transformer block uses it: y over x, the sum over the residual
            ref.layerNorm(x, r, sr, g, b, 1e-5f, yr);
            cpu.layerNorm(x, r, r, g, b, 1e-5f, x);
            assertClose("layer norm in place", x, yr, BOUND);
            assertClose("x + r in place", r, sr, BOUND);
        }
    }

    static Stream<Arguments> softmaxSizes() {
        return Stream.of(1, 7, 33, 129, 513).flatMap(t -> Stream.of(t, (t + 1) / 2).distinct().map(s -> Arguments.of(s, t)));
    }

    @ParameterizedTest(name = "S={0} T={1}")
    @MethodSource("softmaxSizes")
    void maskedSoftmax(int s, int t) {
        try (TensorArena a = TensorArena.confined()) {
            Tensor x = random(a, rnd, 4, 3, 2, s, t), mask = random(a, rnd, 2, 3, 1, s, t);
            Tensor y = poisoned(a, 3, 2, s, t), yr = poisoned(a, 3, 2, s, t);
            int[] starts = {0, Math.min(1, t - 1), 0}, lengths = {t, t / 2, 0}; // batch 2 fully masked
            for (SoftmaxOptions o : new SoftmaxOptions[] {
                SoftmaxOptions.scaled(0.37f),
                SoftmaxOptions.scaled(1f).withMask(mask).withKeyLength(lengths),
                SoftmaxOptions.scaled(0.5f).withCausal().withKeyStart(starts).withKeyLength(lengths),
                SoftmaxOptions.scaled(0.5f).withCausal().withMask(mask)}) {
                cpu.softmax(x, o, y);
                ref.softmax(x, o, yr);
                assertClose("softmax " + o, y, yr, BOUND);
            }
            SoftmaxOptions padded = SoftmaxOptions.scaled(1f).withKeyLength(lengths);
            ref.softmax(x, padded, yr);
            cpu.softmax(x, padded, x); // in place
            assertClose("softmax in place", x, yr, BOUND);
            for (int h = 0; h < 2; h++) {
                for (int i = 0; i < s; i++) {
                    for (int j = 0; j < t; j++) {
                        assertEquals(0f, x.getFloat(2, h, i, j), "a fully masked row gives zeros, not NaN");
                    }
                }
            }
        }
    }

    /** B, S, T, H, K, D, causal, window, padding, bias, KV cache with spare capacity, scale. */
    record Case(int b, int s, int t, int h, int k, int d, boolean causal, int window, boolean padded, boolean bias,
                boolean cache, float scale) {
        @Override
        public String toString() {
            return "B=" + b + " S=" + s + " T=" + t + " H=" + h + " K=" + k + " D=" + d + (causal ? " causal" : "")
                    + (window > 0 ? " window=" + window : "") + (padded ? " padded" : "") + (bias ? " bias" : "")
                    + (cache ? " cache" : "");
        }
    }

    static Stream<Case> attentionCases() {
        Stream.Builder<Case> cases = Stream.builder();
        for (int t : new int[] {1, 7, 33, 129, 513}) {
            for (int d : new int[] {12, 64, 80}) {
                float sc = (float) (1 / Math.sqrt(d));
                cases.add(new Case(3, t, t, 2, 2, d, false, 0, true, false, false, sc));
                cases.add(new Case(3, t, t, 2, 2, d, true, 0, true, false, false, sc));
                if (t >= 7 && (t <= 129 || d == 64)) {
                    cases.add(new Case(2, t, t, 4, 2, d, true, 0, false, false, false, sc));
                    cases.add(new Case(2, t, t, 2, 1, d, true, 4, true, false, false, 1f));
                    cases.add(new Case(3, t, t, 3, 3, d, false, 0, true, true, false, 1f));
                    cases.add(new Case(2, 1, t, 4, 2, d, true, 0, true, false, true, sc));
                    cases.add(new Case(2, t / 2 + 1, t, 2, 2, d, true, 0, true, true, true, sc));
                    cases.add(new Case(3, t + 6, t, 2, 2, d, false, 0, true, false, false, sc)); // cross, S > T
                }
            }
        }
        return cases.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attentionCases")
    void fusedAttention(Case c) {
        try (TensorArena a = TensorArena.confined()) {
            int cap = c.cache() ? c.t() + 5 : c.t();
            Tensor q = random(a, rnd, 1, c.b(), c.s(), c.h(), c.d());
            Tensor k = random(a, rnd, 1, c.b(), cap, c.k(), c.d()).narrow(1, 0, c.t());
            Tensor v = random(a, rnd, 1, c.b(), cap, c.k(), c.d()).narrow(1, 0, c.t());
            Tensor out = poisoned(a, c.b(), c.s(), c.h(), c.d()), want = poisoned(a, c.b(), c.s(), c.h(), c.d());
            AttentionOptions o = AttentionOptions.scaled(c.scale());
            if (c.causal()) {
                o = o.withCausal();
            }
            if (c.window() > 0) {
                o = o.withWindow(c.window());
            }
            if (c.padded()) {
                int[] starts = new int[c.b()], lengths = new int[c.b()];
                for (int b = 0; b < c.b(); b++) {
                    starts[b] = b % 3 == 1 && c.t() > 3 ? 2 : 0;
                    lengths[b] = b % 3 == 2 ? 0 : c.t() - (b % 2) * (c.t() / 3); // batch 2: every query fully masked
                }
                o = o.withKeyStart(starts).withKeyLength(lengths);
            }
            if (c.bias()) {
                o = o.withBias(random(a, rnd, 3, 1, c.h(), c.s(), c.t())); // T5 style, shared across the batch
            } else if (!c.padded() && c.window() == 0 && c.s() > 1) {
                Tensor mask = random(a, rnd, 2, c.b(), 1, 1, c.t()); // a padding mask, broadcast over heads and queries
                for (int j = 0; j < c.t(); j += 3) {
                    mask.setFloat(Float.NEGATIVE_INFINITY, 0, 0, 0, j);
                }
                o = o.withBias(mask);
            }
            cpu.attention(q, k, v, o, out);
            ref.attention(q, k, v, o, want);
            assertClose("attention " + c, out, want, BOUND);
        }
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @MethodSource("transposes")
    void matmulOpenBlasAndBuiltIn(boolean ta, boolean tb) {
        int[][] sizes = {{1, 1, 1}, {7, 33, 5}, {33, 129, 100}, {129, 48, 768}, {100, 768, 48}};
        for (int[] mnk : sizes) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            try (TensorArena a = TensorArena.confined()) {
                // views with row strides wider than the rows
                Tensor x = random(a, rnd, 1, ta ? k : m, (ta ? m : k) + 3).narrow(1, 0, ta ? m : k);
                Tensor y = random(a, rnd, 1, tb ? n : k, (tb ? k : n) + 1).narrow(1, 0, tb ? k : n);
                Tensor c0 = random(a, rnd, 1, m, n);
                for (CpuBackend backend : new CpuBackend[] {cpu, builtInGemm}) {
                    Tensor c = a.of(c0.toFloatArray(), m, n), want = a.of(c0.toFloatArray(), m, n);
                    backend.matmul(x, ta, y, tb, c, 1.25f, 0.5f);
                    ref.matmul(x, ta, y, tb, want, 1.25f, 0.5f);
                    assertClose(backend.gemmProvider() + " " + m + "x" + n + "x" + k, c, want, BOUND);
                }
            }
        }
    }

    static Stream<Arguments> transposes() {
        return Stream.of(Arguments.of(false, false), Arguments.of(false, true), Arguments.of(true, false),
                Arguments.of(true, true));
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationsBiasAndGated(Activation act) {
        try (TensorArena a = TensorArena.confined()) {
            Tensor x = random(a, rnd, 6, 7, 129), bias = random(a, rnd, 1, 129);
            Tensor y = poisoned(a, 7, 129), yr = poisoned(a, 7, 129);
            cpu.activation(act, x, y);
            ref.activation(act, x, yr);
            assertClose(act + "", y, yr, BOUND);
            cpu.biasActivation(act, x, bias, y);
            ref.biasActivation(act, x, bias, yr);
            assertClose(act + " with bias", y, yr, BOUND);
            Tensor fused = random(a, rnd, 4, 7, 2 * 129); // [rows, 2F] split in place: gate | up
            Tensor gate = fused.narrow(1, 0, 129), up = fused.narrow(1, 129, 129);
            cpu.gatedActivation(act, gate, up, y);
            ref.gatedActivation(act, gate, up, yr);
            assertClose("gated " + act, y, yr, BOUND);
            Tensor w = random(a, rnd, 1, 33, 129), l = poisoned(a, 7, 33), lr = poisoned(a, 7, 33);
            Tensor lb = random(a, rnd, 1, 33);
            cpu.linear(x, w, lb, act, l);
            ref.linear(x, w, lb, act, lr);
            assertClose("linear + " + act, l, lr, BOUND);
        }
    }

    /** Each path of a linear layer: streamed weights (<= 16 rows), packed weights, BLAS (> 256 rows). */
    @ParameterizedTest(name = "rows={0}")
    @ValueSource(ints = {1, 7, 16, 17, 33, 129, 256, 300})
    void linearOnEveryPath(int rows) {
        try (TensorArena a = TensorArena.confined()) {
            Tensor x = random(a, rnd, 1, rows, 100), w = random(a, rnd, 1, 129, 100), b = random(a, rnd, 1, 129);
            Tensor y = poisoned(a, rows, 129), want = poisoned(a, rows, 129);
            for (CpuBackend backend : new CpuBackend[] {cpu, builtInGemm}) {
                backend.linear(x, w, b, Activation.GELU_TANH, y);
                ref.linear(x, w, b, Activation.GELU_TANH, want);
                assertClose(backend.gemmProvider() + " linear rows=" + rows, y, want, BOUND);
                backend.linear(x, w, b, Activation.GELU_TANH, y); // packed weights reused
                assertClose("again", y, want, BOUND);
            }
        }
    }

    @ParameterizedTest(name = "D={0}")
    @ValueSource(ints = {12, 64, 80})
    void rotaryEmbeddingOnAFusedQkvView(int d) {
        try (TensorArena a = TensorArena.confined()) {
            int b = 2, s = 33, h = 3;
            Tensor qkv = random(a, rnd, 2, b, s, 3 * h, d); // q | k | v heads side by side
            Tensor q = qkv.narrow(2, 0, h), want = a.of(q.toFloatArray(), b, s, h, d);
            long[] pos = new long[b * s];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = (i % s) * 7L + i / s * 100003L; // the second sequence where float32 angles lose digits
            }
            for (int rot : new int[] {d, d / 2 - d / 2 % 2}) {
                Tensor before = a.of(qkv.toFloatArray(), qkv.shape().toArray());
                float[] inv = new float[rot / 2];
                for (int i = 0; i < inv.length; i++) { // scaled frequencies, some divided and some not
                    inv[i] = (float) Math.pow(10000, -2.0 * i / rot) / (1 + (rnd.nextFloat() + 1) * (i % 3));
                }
                cpu.rope(q, pos, a.of(inv, inv.length));
                ref.rope(want, pos, a.of(inv, inv.length));
                assertClose("rope rot=" + rot, q, want, BOUND);
                assertClose("v heads untouched", qkv.narrow(2, 2 * h, h), before.narrow(2, 2 * h, h), 0);
            }
        }
    }

    @Test
    void addElementwise() {
        try (TensorArena a = TensorArena.confined()) {
            Tensor x = random(a, rnd, 3, 7, 129), y = random(a, rnd, 3, 7, 129);
            Tensor out = poisoned(a, 7, 129), want = poisoned(a, 7, 129);
            cpu.add(x, y, out);
            ref.add(x, y, want);
            assertClose("add", out, want, 0);
            cpu.add(x, y, x);
            assertClose("add in place", x, want, 0);
        }
    }

    @Test
    void copyMovesEveryByte() {
        try (TensorArena a = TensorArena.confined()) {
            Tensor src = random(a, rnd, 1, 3, 1_398_101), dst = poisoned(a, 3, 1_398_101); // about 16 MB
            cpu.copy(src, dst);
            assertClose("copy", dst, src, 0);
        }
    }

    /** A head slice of a fused projection into a KV-cache slot, and scaling: strided copies run by rows. */
    @Test
    void copyBetweenStridedViewsAndScale() {
        try (TensorArena a = TensorArena.confined()) {
            Tensor fused = random(a, rnd, 1, 3, 7, 9, 12), cache = poisoned(a, 3, 11, 2, 12);
            Tensor src = fused.narrow(2, 5, 2), dst = cache.narrow(1, 4, 7);
            cpu.copy(src, dst);
            assertClose("strided copy", dst, src, 0);
            Tensor x = random(a, rnd, 1, 5, 13), y = poisoned(a, 5, 13), want = poisoned(a, 5, 13);
            cpu.scale(x, 0.37f, y);
            ref.scale(x, 0.37f, want);
            assertClose("scale", y, want, 0);
        }
    }

    @Test
    void embeddingGathersRows() {
        try (TensorArena a = TensorArena.confined()) {
            Tensor table = random(a, rnd, 1, 101, 48);
            long[] ids = new long[13];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = (i * 37L + 5) % 101;
            }
            Tensor idt = a.ofLongs(ids, 13), out = poisoned(a, 13, 48), want = poisoned(a, 13, 48);
            cpu.embedding(table, idt, out);
            ref.embedding(table, idt, want);
            assertClose("embedding", out, want, 0);
        }
    }
}
