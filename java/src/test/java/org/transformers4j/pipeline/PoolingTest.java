package org.transformers4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Pooling against a plain transcription of sentence-transformers' Pooling.forward (tensor by
 * tensor, in float32 as torch computes it) on hand-made hidden states at odd sizes: padded rows,
 * a row with no kept token, left padding, the prompt left out, several modes concatenated.
 */
class PoolingTest {
    static final int B = 4, S = 7, C = 5;

    /** Hidden states [B][S][C] of values in [-3, 3), some far from zero. */
    static float[][][] hidden(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][][] h = new float[B][S][C];
        for (float[][] row : h) {
            for (float[] tok : row) {
                for (int k = 0; k < C; k++) {
                    tok[k] = (float) (r.nextDouble(-3, 3));
                }
            }
        }
        return h;
    }

    /** Row 0 full, row 1 padded after 3 tokens, row 2 all padding, row 3 padded on the left (first two). */
    static long[][] mask() {
        return new long[][] {
            {1, 1, 1, 1, 1, 1, 1},
            {1, 1, 1, 0, 0, 0, 0},
            {0, 0, 0, 0, 0, 0, 0},
            {0, 0, 1, 1, 1, 1, 0},
        };
    }

    static float[] flat(float[][][] h) {
        float[] out = new float[B * S * C];
        for (int i = 0; i < B; i++) {
            for (int t = 0; t < S; t++) {
                System.arraycopy(h[i][t], 0, out, (i * S + t) * C, C);
            }
        }
        return out;
    }

    static long[] flat(long[][] m) {
        long[] out = new long[B * S];
        for (int i = 0; i < B; i++) {
            System.arraycopy(m[i], 0, out, i * S, S);
        }
        return out;
    }

    // ---- sentence-transformers' forward, step by step (models/Pooling.py) ----

    /** The reference: the modes' vectors concatenated in the module's order, then F.normalize if asked. */
    static float[][] reference(Set<Pooling.Mode> modes, boolean includePrompt, int promptLength, float[][][] hIn,
                               long[][] maskIn, boolean normalize) {
        float[][][] tokenEmbeddings = copy(hIn);
        long[][] attentionMask = new long[B][];
        for (int i = 0; i < B; i++) {
            attentionMask[i] = maskIn[i].clone();
            if (!includePrompt) {
                for (int t = 0; t < promptLength; t++) {
                    attentionMask[i][t] = 0; // attention_mask[:, :prompt_length] = 0
                }
            }
        }
        List<float[][]> outputVectors = new ArrayList<>();
        float[][] clsToken = null;
        if (modes.contains(Pooling.Mode.CLS)) {
            clsToken = new float[B][]; // token_embeddings[:, 0]: a view, filled in below
            outputVectors.add(clsToken);
        }
        if (modes.contains(Pooling.Mode.MAX)) {
            float[][] maxOverTime = new float[B][C];
            for (int i = 0; i < B; i++) {
                for (int t = 0; t < S; t++) {
                    if (attentionMask[i][t] == 0) {
                        java.util.Arrays.fill(tokenEmbeddings[i][t], -1e9f); // in place
                    }
                }
                for (int k = 0; k < C; k++) {
                    float m = tokenEmbeddings[i][0][k];
                    for (int t = 1; t < S; t++) {
                        m = Math.max(m, tokenEmbeddings[i][t][k]);
                    }
                    maxOverTime[i][k] = m;
                }
            }
            outputVectors.add(maxOverTime);
        }
        if (modes.contains(Pooling.Mode.MEAN) || modes.contains(Pooling.Mode.MEAN_SQRT_LEN_TOKENS)) {
            float[][] sumEmbeddings = new float[B][C];
            float[] sumMask = new float[B];
            for (int i = 0; i < B; i++) {
                for (int t = 0; t < S; t++) {
                    for (int k = 0; k < C; k++) {
                        sumEmbeddings[i][k] += tokenEmbeddings[i][t][k] * (float) attentionMask[i][t];
                    }
                    sumMask[i] += attentionMask[i][t];
                }
                sumMask[i] = Math.max(sumMask[i], 1e-9f);
            }
            if (modes.contains(Pooling.Mode.MEAN)) {
                outputVectors.add(divide(sumEmbeddings, sumMask, false));
            }
            if (modes.contains(Pooling.Mode.MEAN_SQRT_LEN_TOKENS)) {
                outputVectors.add(divide(sumEmbeddings, sumMask, true));
            }
        }
        if (modes.contains(Pooling.Mode.WEIGHTED_MEAN)) {
            float[][] sumEmbeddings = new float[B][C];
            float[] sumMask = new float[B];
            for (int i = 0; i < B; i++) {
                for (int t = 0; t < S; t++) {
                    float w = attentionMask[i][t] * (float) (t + 1); // weights = arange(1, seq_len + 1)
                    for (int k = 0; k < C; k++) {
                        sumEmbeddings[i][k] += tokenEmbeddings[i][t][k] * w;
                    }
                    sumMask[i] += w;
                }
                sumMask[i] = Math.max(sumMask[i], 1e-9f);
            }
            outputVectors.add(divide(sumEmbeddings, sumMask, false));
        }
        if (modes.contains(Pooling.Mode.LAST_TOKEN)) {
            float[][] embedding = new float[B][C];
            for (int i = 0; i < B; i++) {
                // values, indices = attention_mask.flip(1).max(1): the first maximum of the flipped mask
                long value = -1;
                int index = 0;
                for (int t = 0; t < S; t++) {
                    if (attentionMask[i][S - 1 - t] > value) {
                        value = attentionMask[i][S - 1 - t];
                        index = t;
                    }
                }
                if (value == 0) {
                    index = S - 1;
                }
                int gather = S - index - 1;
                for (int k = 0; k < C; k++) {
                    embedding[i][k] = tokenEmbeddings[i][gather][k] * (float) attentionMask[i][gather];
                }
            }
            outputVectors.add(embedding);
        }
        if (clsToken != null) {
            for (int i = 0; i < B; i++) {
                clsToken[i] = tokenEmbeddings[i][0].clone(); // the view sees max pooling's in-place fill
            }
        }
        float[][] out = new float[B][];
        for (int i = 0; i < B; i++) {
            int n = 0;
            out[i] = new float[outputVectors.size() * C];
            for (float[][] v : outputVectors) {
                System.arraycopy(v[i], 0, out[i], n, C);
                n += C;
            }
            if (normalize) {
                float norm = 0;
                for (float f : out[i]) {
                    norm += f * f;
                }
                float d = Math.max((float) Math.sqrt(norm), 1e-12f);
                for (int k = 0; k < out[i].length; k++) {
                    out[i][k] /= d;
                }
            }
        }
        return out;
    }

    static float[][] divide(float[][] sum, float[] count, boolean sqrt) {
        float[][] out = new float[B][C];
        for (int i = 0; i < B; i++) {
            for (int k = 0; k < C; k++) {
                out[i][k] = sum[i][k] / (sqrt ? (float) Math.sqrt(count[i]) : count[i]);
            }
        }
        return out;
    }

    static float[][][] copy(float[][][] h) {
        float[][][] out = new float[h.length][][];
        for (int i = 0; i < h.length; i++) {
            out[i] = new float[h[i].length][];
            for (int t = 0; t < h[i].length; t++) {
                out[i][t] = h[i][t].clone();
            }
        }
        return out;
    }

    // ---- the checks ----

    static void assertPools(Pooling p, int promptLength, boolean normalize, long seed) {
        float[][][] h = hidden(seed);
        long[][] mask = mask();
        float[][] ours = p.pool(flat(h), flat(mask), B, S, C, promptLength, normalize);
        float[][] theirs = reference(p.modes(), p.includePrompt(), promptLength, h, mask, normalize);
        for (int i = 0; i < B; i++) {
            assertEquals(p.dimension(C), ours[i].length);
            for (int k = 0; k < ours[i].length; k++) {
                double tol = 1e-6 * Math.max(1, Math.abs(theirs[i][k]));
                assertEquals(theirs[i][k], ours[i][k], tol, p + " normalize=" + normalize + " row " + i + " dim " + k);
            }
        }
    }

    @Test
    void eachModeAloneIsSentenceTransformersFormula() {
        for (Pooling.Mode m : Pooling.Mode.values()) {
            for (boolean normalize : new boolean[] {false, true}) {
                assertPools(Pooling.of(m), 0, normalize, m.ordinal());
            }
        }
    }

    @Test
    void specificValuesOfTheModesOnPaddedRows() {
        float[][][] h = hidden(7);
        long[][] mask = mask();
        Pooling cls = Pooling.of(Pooling.Mode.CLS), last = Pooling.of(Pooling.Mode.LAST_TOKEN);
        Pooling max = Pooling.of(Pooling.Mode.MAX), mean = Pooling.MEAN;
        float[][] c = cls.pool(flat(h), flat(mask), B, S, C, 0, false);
        float[][] l = last.pool(flat(h), flat(mask), B, S, C, 0, false);
        float[][] x = max.pool(flat(h), flat(mask), B, S, C, 0, false);
        float[][] m = mean.pool(flat(h), flat(mask), B, S, C, 0, false);
        for (int k = 0; k < C; k++) {
            assertEquals(h[3][0][k], c[3][k], "CLS reads position 0 even where it is padding");
            assertEquals(h[1][2][k], l[1][k], "the last kept token of row 1 is its third");
            assertEquals(h[3][5][k], l[3][k], "and of the left-padded row, its sixth");
            assertEquals(0f, l[2][k], "no kept token: zeros");
            assertEquals(-1e9f, x[2][k], "no kept token: max is the fill value");
            assertEquals(0f, m[2][k], "no kept token: mean 0 (the count clamped to 1e-9)");
            assertEquals((h[1][0][k] + (double) h[1][1][k] + h[1][2][k]) / 3, m[1][k], 1e-6);
            assertEquals(Math.max(h[1][0][k], Math.max(h[1][1][k], h[1][2][k])), x[1][k]);
        }
    }

    @Test
    void severalModesAreConcatenatedInTheModulesOrder() {
        assertPools(new Pooling(EnumSet.of(Pooling.Mode.LAST_TOKEN, Pooling.Mode.CLS, Pooling.Mode.MEAN), true), 0,
                true, 11);
        assertPools(new Pooling(EnumSet.allOf(Pooling.Mode.class), true), 0, false, 12);
        // CLS beside max reads max's -1e9 fill where position 0 is padding (row 3), as the view does
        assertPools(new Pooling(EnumSet.of(Pooling.Mode.CLS, Pooling.Mode.MAX), true), 0, false, 13);
        Pooling meanMax = new Pooling(Set.of(Pooling.Mode.MAX, Pooling.Mode.MEAN), true);
        assertEquals(List.of(Pooling.Mode.MAX, Pooling.Mode.MEAN), meanMax.ordered());
        assertEquals("max+mean", meanMax.toString());
        assertEquals(2 * C, meanMax.dimension(C));
    }

    @Test
    void thePromptIsLeftOutWhereIncludePromptIsFalse() {
        for (Pooling.Mode m : Pooling.Mode.values()) {
            assertPools(new Pooling(EnumSet.of(m), false), 2, false, 20 + m.ordinal());
        }
        assertPools(new Pooling(EnumSet.of(Pooling.Mode.CLS, Pooling.Mode.MAX, Pooling.Mode.LAST_TOKEN), false), 3, true,
                30);
        // included, the prompt length changes nothing
        float[][][] h = hidden(31);
        assertEquals(java.util.Arrays.deepToString(Pooling.MEAN.pool(flat(h), flat(mask()), B, S, C, 0, false)),
                java.util.Arrays.deepToString(Pooling.MEAN.pool(flat(h), flat(mask()), B, S, C, 3, false)));
    }

    @Test
    void namesAreSentenceTransformersAndBadOnesAreRefused() {
        assertEquals(Pooling.Mode.LAST_TOKEN, Pooling.Mode.parse("lasttoken"));
        assertEquals(Pooling.Mode.CLS, Pooling.Mode.parse("CLS"));
        assertEquals(Pooling.Mode.MEAN_SQRT_LEN_TOKENS, Pooling.Mode.parse("mean_sqrt_len_tokens"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pooling.Mode.parse("avg"));
        assertTrue(e.getMessage().contains("'avg'") && e.getMessage().contains("weightedmean"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Pooling(Set.of(), true));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> Pooling.MEAN.pool(new float[10], new long[2], 1, 2, 4, 0, false));
        assertTrue(shape.getMessage().contains("10 floats"), shape.getMessage());
    }
}
