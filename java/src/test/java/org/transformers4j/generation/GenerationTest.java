package org.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonNull;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;

/** Sampling, processors, stopping and bad settings, on hand-made scores and on the GPT-2 fixture. */
class GenerationTest {
    static CpuBackend cpu;
    static DecoderModel gpt2;
    static final long[] PROMPT = {428, 603, 230, 127, 522};
    /** What greedy search gives for PROMPT (the fixture's generate.greedy). */
    static final long[] GREEDY = {252, 252, 252, 954, 954, 954, 954, 954};

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
        gpt2 = ModelRegistry.loadDecoder(Fixtures.model("gpt2"), cpu);
    }

    @AfterAll
    static void close() {
        gpt2.close();
        cpu.close();
    }

    static GenerationConfig eight() {
        return GenerationConfig.defaults().withMaxNewTokens(8).withEos(List.of()).withPad(0);
    }

    static long[] run(GenerationConfig cfg, long[] prompt) {
        return Generator.generate(gpt2, List.of(prompt), cfg, null, TokenListener.NONE).get(0).get(0).tokens();
    }

    @Test
    void samplingWithASeedIsReproducible() {
        var cfg = eight().withSampling(1.5, 0, 1.0).withSeed(42);
        long[] first = run(cfg, PROMPT);
        assertArrayEquals(first, run(cfg, PROMPT));
        boolean anyDiffers = false;
        for (long seed = 1; seed <= 5 && !anyDiffers; seed++) {
            anyDiffers = !Arrays.equals(first, run(cfg.withSeed(seed), PROMPT));
        }
        assertTrue(anyDiffers, "five other seeds all gave " + Arrays.toString(first));
    }

    @Test
    void topKOneIsGreedy() {
        assertArrayEquals(GREEDY, run(eight().withSampling(0.7, 1, 1.0).withSeed(7), PROMPT));
        assertArrayEquals(GREEDY, run(eight().withSampling(0, 50, 0.9), PROMPT), "temperature 0 is greedy");
    }

    @Test
    void severalSampledSequencesPerPrompt() {
        var out = Generator.generate(gpt2, List.of(PROMPT), eight().withSampling(2.0, 0, 1.0).withNumReturnSequences(3),
                null, TokenListener.NONE).get(0);
        assertEquals(3, out.size());
        out.forEach(s -> assertEquals(8, s.tokens().length));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        double[] probs = {0.5, 0.3, 0.15, 0.05};
        assertEquals(List.of(0, 1), kept(probs, 0.75));
        assertEquals(List.of(0, 1, 2), kept(probs, 0.85));
        assertEquals(List.of(0), kept(probs, 0.4));
        assertEquals(List.of(0, 1, 2, 3), kept(probs, 1.0));
        assertEquals(List.of(0), kept(new double[] {0.97, 0.01, 0.01, 0.01}, 0.05), "at least one token stays");
    }

    static List<Integer> kept(double[] probs, double p) {
        float[] scores = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            scores[i] = (float) Math.log(probs[i]);
        }
        LogitsProcessing.topP(scores, p);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] != Float.NEGATIVE_INFINITY) {
                out.add(i);
            }
        }
        return out;
    }

    @Test
    void topKKeepsTiesAndTheRestGoes() {
        float[] s = {1f, 3f, 2f, 3f, 0.5f};
        LogitsProcessing.topK(s, 2);
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, 3f, Float.NEGATIVE_INFINITY, 3f,
            Float.NEGATIVE_INFINITY}, s);
        float[] t = {1f, 3f, 2f, 0.5f};
        LogitsProcessing.topK(t, 3);
        assertEquals(Float.NEGATIVE_INFINITY, t[3]);
        assertEquals(1f, t[0]);
    }

    @Test
    void repetitionPenaltyTemperatureAndMinLength() {
        float[] s = {2f, -2f, 4f, 1f};
        LogitsProcessing.repetitionPenalty(s, new long[] {0, 1, 1}, 2.0);
        assertArrayEquals(new float[] {1f, -4f, 4f, 1f}, s);
        LogitsProcessing.temperature(s, 0.5);
        assertArrayEquals(new float[] {2f, -8f, 8f, 2f}, s);
        LogitsProcessing.minNewTokens(s, 0, 1, List.of(2L));
        assertEquals(Float.NEGATIVE_INFINITY, s[2]);
        LogitsProcessing.minNewTokens(s, 1, 1, List.of(3L));
        assertEquals(2f, s[3]);
    }

    @Test
    void samplesFollowTheDistribution() {
        float[] s = {(float) Math.log(0.7), (float) Math.log(0.2), (float) Math.log(0.1), Float.NEGATIVE_INFINITY};
        int[] counts = new int[4];
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 20000; i++) {
            counts[LogitsProcessing.sample(s, rnd)]++;
        }
        assertEquals(0, counts[3]);
        assertEquals(0.7, counts[0] / 20000.0, 0.02);
        assertEquals(0.2, counts[1] / 20000.0, 0.02);
    }

    @Test
    void endOfSequenceStopsOnlyItsRow() {
        long[] other = {45, 396, 549};
        var cfg = eight().withEos(List.of(252L));
        var out = Generator.generate(gpt2, List.of(PROMPT, other), cfg, null, TokenListener.NONE);
        assertArrayEquals(new long[] {252}, out.get(0).get(0).tokens());
        assertEquals(FinishReason.EOS, out.get(0).get(0).finishReason());
        assertArrayEquals(new long[] {189, 189, 189, 189, 243, 243, 243, 243}, out.get(1).get(0).tokens());
        var held = eight().withEos(List.of(252L)).withMinNewTokens(2);
        assertTrue(run(held, PROMPT)[0] != 252, "min_new_tokens holds back the end-of-sequence token");
    }

    @Test
    void stopStringsEndASequence() {
        var cfg = eight().withStopStrings(List.of("<954>"));
        var s = Generator.generate(gpt2, List.of(PROMPT), cfg, GenerationTest::text, TokenListener.NONE).get(0).get(0);
        assertArrayEquals(new long[] {252, 252, 252, 954}, s.tokens());
        assertEquals(FinishReason.STOP_STRING, s.finishReason());
        assertThrows(IllegalArgumentException.class,
                () -> Generator.generate(gpt2, List.of(PROMPT), cfg, null, TokenListener.NONE));
    }

    static String text(long[] ids) {
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            sb.append('<').append(id).append('>');
        }
        return sb.toString();
    }

    @Test
    void theListenerSeesEveryTokenInOrder() {
        List<Long> seen = new ArrayList<>();
        var s = Generator.generate(gpt2, List.of(PROMPT), eight(), null, (seq, t) -> seen.add(t)).get(0).get(0);
        assertArrayEquals(s.tokens(), seen.stream().mapToLong(Long::longValue).toArray());
    }

    @Test
    void generationStopsAtTheContextLimitAndSaysSo() {
        long[] prompt = new long[60];
        Arrays.setAll(prompt, i -> 10 + i);
        var cfg = eight().withMaxNewTokens(20);
        var s = Generator.generate(gpt2, List.of(prompt), cfg, null, TokenListener.NONE).get(0).get(0);
        assertEquals(5, s.tokens().length, "64 positions: 60 prompt tokens, 4 fed back, 1 more predicted");
        assertEquals(FinishReason.CONTEXT_LIMIT, s.finishReason());
        var beams = Generator.generate(gpt2, List.of(prompt), cfg.withBeams(2, 2, 1.0,
                GenerationConfig.EarlyStopping.FALSE), null, TokenListener.NONE).get(0);
        assertEquals(5, beams.get(0).tokens().length);
        assertEquals(FinishReason.CONTEXT_LIMIT, beams.get(0).finishReason());
    }

    @Test
    void beamSearchWithEndOfSequenceReturnsFinishedHypothesesBestFirst() {
        var cfg = eight().withMaxNewTokens(6).withEos(List.of(954L)).withBeams(4, 4, 1.0,
                GenerationConfig.EarlyStopping.TRUE);
        var out = Generator.generate(gpt2, List.of(PROMPT), cfg, null, TokenListener.NONE).get(0);
        assertEquals(4, out.size());
        for (int i = 0; i < out.size(); i++) {
            GeneratedSequence s = out.get(i);
            assertTrue(s.finishReason() != null, "beam " + i + " finished");
            if (s.finishReason() == FinishReason.EOS) {
                assertEquals(954L, s.tokens()[s.tokens().length - 1]);
            }
            if (i > 0) {
                assertTrue(out.get(i - 1).score() >= s.score(), "best first");
            }
        }
    }

    /** Prompts of different lengths, left-padded into one beam search, give what each gives alone. */
    @Test
    void beamSearchOverABatchEqualsEachPromptAlone() {
        long[] other = {45, 396, 549};
        var cfg = eight().withBeams(3, 2, 1.0, GenerationConfig.EarlyStopping.FALSE);
        var batch = Generator.generate(gpt2, List.of(PROMPT, other), cfg, null, TokenListener.NONE);
        for (int p = 0; p < 2; p++) {
            var alone = Generator.generate(gpt2, List.of(p == 0 ? PROMPT : other), cfg, null, TokenListener.NONE).get(0);
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(alone.get(i).tokens(), batch.get(p).get(i).tokens(), "prompt " + p + " beam " + i);
                assertEquals(alone.get(i).score(), batch.get(p).get(i).score(), 1e-4);
            }
        }
    }

    /** One model shared by threads: each call has its own cache, so each gets the sequential result. */
    @Test
    void threadsSharingAModelGetTheSequentialResults() throws Exception {
        long[][] prompts = {PROMPT, {45, 396, 549}, {7, 8, 9, 10}};
        long[][] want = new long[prompts.length][];
        for (int i = 0; i < prompts.length; i++) {
            want[i] = run(eight(), prompts[i]);
        }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            List<java.util.concurrent.Future<long[]>> got = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                for (long[] p : prompts) {
                    got.add(pool.submit(() -> run(eight(), p)));
                }
            }
            for (int i = 0; i < got.size(); i++) {
                assertArrayEquals(want[i % prompts.length], got.get(i).get(), "call " + i);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void badSettingsAreRefusedWithTheirName() {
        assertRefused(eight().withSampling(-0.5, 50, 1.0), "temperature");
        assertRefused(eight().withSampling(1.0, 50, 0.0), "topP");
        assertRefused(eight().withSampling(1.0, 50, 1.5), "topP");
        assertRefused(eight().withSampling(1.0, -1, 1.0), "topK");
        assertRefused(eight().withBeams(0, 1, 1.0, GenerationConfig.EarlyStopping.FALSE), "numBeams");
        assertRefused(eight().withBeams(2, 3, 1.0, GenerationConfig.EarlyStopping.FALSE), "numReturnSequences");
        assertRefused(eight().withMaxNewTokens(0), "maxNewTokens");
        assertRefused(eight().withRepetitionPenalty(0), "repetitionPenalty");
    }

    static void assertRefused(GenerationConfig cfg, String setting) {
        var e = assertThrows(IllegalArgumentException.class, () -> run(cfg, PROMPT));
        assertTrue(e.getMessage().contains(setting), e.getMessage());
    }

    @Test
    void aPromptLongerThanTheContextIsRefused() {
        long[] prompt = new long[65];
        Arrays.fill(prompt, 7);
        var e = assertThrows(IllegalArgumentException.class, () -> run(eight(), prompt));
        assertTrue(e.getMessage().contains("longer than the context of 64"), e.getMessage());
    }

    @Test
    void anEmptyPromptStartsFromBosOrIsRefused() {
        var s = Generator.generate(gpt2, List.of(new long[0]), eight(), null, TokenListener.NONE).get(0).get(0);
        assertArrayEquals(new long[] {1}, s.prompt());
        assertEquals(8, s.tokens().length);
        Path dir = Fixtures.model("gpt2");
        var json = ModelConfig.read(dir.resolve("config.json")).json();
        json.add("bos_token_id", JsonNull.INSTANCE); // absent would mean transformers' default
        ModelConfig noBos = ModelConfig.parse(json.toString(), "gpt2 without bos");
        try (DecoderModel m = ModelRegistry.loadDecoder(noBos, Checkpoints.open(dir), cpu)) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Generator.generate(m, List.of(new long[0]), eight(), null, TokenListener.NONE));
            assertTrue(e.getMessage().contains("no bos_token_id"), e.getMessage());
        }
    }
}
