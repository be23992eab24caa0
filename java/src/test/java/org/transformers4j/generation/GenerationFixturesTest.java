package org.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelRegistry;

/**
 * generate.greedy (a left-padded batch) and generate.beam3 (3 beams, all returned, best first)
 * of the decoder fixtures, token for token, with the settings of their reference.json:
 * 8 new tokens exactly, no end-of-sequence token, length penalty 1, early_stopping false.
 */
class GenerationFixturesTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    static GenerationConfig settings() {
        return GenerationConfig.defaults().withMaxNewTokens(8).withMinNewTokens(8).withEos(List.of()).withPad(0);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt-neo", "llama"})
    void greedyLeftPaddedBatch(String name) {
        Path dir = Fixtures.model(name);
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu);
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"))) {
            List<long[]> prompts = prompts(ref);
            long[][] want = rows(ref, "generate.greedy");
            var out = Generator.generate(model, prompts, settings(), null, TokenListener.NONE);
            for (int r = 0; r < prompts.size(); r++) {
                GeneratedSequence s = out.get(r).get(0);
                assertArrayEquals(Arrays.copyOfRange(want[r], want[r].length - 8, want[r].length), s.tokens(),
                        name + " row " + r);
                assertEquals(FinishReason.MAX_NEW_TOKENS, s.finishReason());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt-neo", "llama"})
    void beamSearchThreeBeams(String name) {
        Path dir = Fixtures.model(name);
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu);
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"))) {
            long[] prompt = prompts(ref).get(0);
            long[][] want = rows(ref, "generate.beam3");
            var cfg = settings().withBeams(3, 3, 1.0, GenerationConfig.EarlyStopping.FALSE);
            List<GeneratedSequence> out = Generator.generate(model, List.of(prompt), cfg, null, TokenListener.NONE)
                    .get(0);
            assertEquals(3, out.size());
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(want[i], out.get(i).allTokens(), name + " beam " + i);
            }
            assertEquals(true, out.get(0).score() >= out.get(1).score() && out.get(1).score() >= out.get(2).score());
        }
    }

    /** The prompts of generate.prompt_ids without their left padding. */
    static List<long[]> prompts(SafeTensors ref) {
        long[][] ids = rows(ref, "generate.prompt_ids"), mask = rows(ref, "generate.prompt_mask");
        List<long[]> out = new ArrayList<>();
        for (int r = 0; r < ids.length; r++) {
            int start = 0;
            while (mask[r][start] == 0) {
                start++;
            }
            out.add(Arrays.copyOfRange(ids[r], start, ids[r].length));
        }
        return out;
    }

    static long[][] rows(SafeTensors ref, String name) {
        int n = (int) ref.shape(name).dim(0), len = (int) ref.shape(name).dim(1);
        long[] flat = ref.loadLongs(name);
        long[][] out = new long[n][];
        for (int r = 0; r < n; r++) {
            out[r] = Arrays.copyOfRange(flat, r * len, (r + 1) * len);
        }
        return out;
    }
}
