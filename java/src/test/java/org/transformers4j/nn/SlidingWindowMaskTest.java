package org.transformers4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * The attention kernel's causal window against transformers' mask functions (masking_utils:
 * causal_mask_function, sliding_window_overlay, padding_mask_function), applied on cache indices
 * to hand-made lengths: queries the last S of T keys, windows shorter than, equal to and longer
 * than the keys, rows padded on the left and on the right. Queries at padding positions are
 * left out (what a padded query holds is not defined).
 */
class SlidingWindowMaskTest {
    static final int B = 2, H = 4, K = 2, D = 8;
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    /** transformers: kv_idx &lt;= q_idx and kv_idx &gt; q_idx - sliding_window and padding_mask[b, kv_idx]. */
    static boolean visible(int q, int kv, int window, boolean keyIsReal) {
        return kv <= q && kv > q - window && keyIsReal;
    }

    @Test
    void theKernelsWindowIsTransformersSlidingWindowMask() {
        Random rnd = new Random(11);
        int cases = 0;
        for (int t : new int[] {1, 2, 5, 9, 13}) {
            for (int s : new int[] {1, 3, t}) {
                if (s > t) {
                    continue;
                }
                for (int window : new int[] {1, 2, 4, 7, 30}) {
                    int[] start = {Math.min(2, t - 1), 0}, end = {t, Math.max(1, t - 3)}; // left, right padding
                    check(rnd, s, t, window, start, end);
                    cases++;
                }
            }
        }
        assertTrue(cases > 50);
    }

    private static void check(Random rnd, int s, int t, int window, int[] start, int[] end) {
        float[] q = random(rnd, B * s * H * D), k = random(rnd, B * t * K * D), v = random(rnd, B * t * K * D);
        float scale = 0.6f;
        float[] got;
        try (TensorArena arena = TensorArena.confined()) {
            Tensor out = arena.empty(B, s, H, D);
            cpu.attention(arena.of(q, B, s, H, D), arena.of(k, B, t, K, D), arena.of(v, B, t, K, D),
                    AttentionOptions.scaled(scale).withCausal().withWindow(window).withKeyStart(start)
                            .withKeyLength(end), out);
            got = out.toFloatArray();
        }
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < s; i++) {
                int qi = t - s + i; // the query's cache index
                if (qi < start[b] || qi >= end[b]) {
                    continue;
                }
                for (int h = 0; h < H; h++) {
                    int kv = h / (H / K);
                    double[] p = new double[t];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < t; j++) {
                        if (!visible(qi, j, window, j >= start[b] && j < end[b])) {
                            p[j] = Double.NaN;
                            continue;
                        }
                        double dot = 0;
                        for (int d = 0; d < D; d++) {
                            dot += q[((b * s + i) * H + h) * D + d] * k[((b * t + j) * K + kv) * D + d];
                        }
                        p[j] = scale * dot;
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < t; j++) {
                        p[j] = Double.isNaN(p[j]) ? 0 : Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int d = 0; d < D; d++) {
                        double want = 0;
                        for (int j = 0; j < t; j++) {
                            want += p[j] / sum * v[((b * t + j) * K + kv) * D + d];
                        }
                        float have = got[((b * s + i) * H + h) * D + d];
                        assertTrue(Math.abs(have - want) < 1e-5, "S " + s + " T " + t + " window " + window + " row " + b
                                + " query " + qi + " head " + h + ": " + have + " vs " + want);
                    }
                }
            }
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
