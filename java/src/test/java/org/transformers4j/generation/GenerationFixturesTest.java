package org.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.verify.GenerationCheck;

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

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt-neo", "llama", "qwen2", "gemma", "phi3"})
    void greedyAndBeamSearchMatchTransformers(String name) {
        Path dir = Fixtures.model(name);
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu)) {
            Fixtures.assertIdenticalGeneration(name, GenerationCheck.run(model, dir.resolve("reference.safetensors")));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bart", "t5", "t5-gated", "marian", "mbart", "pegasus"})
    void encoderDecoderGreedyAndBeamSearchMatchTransformers(String name) {
        Path dir = Fixtures.model(name);
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(dir, cpu)) {
            Fixtures.assertIdenticalGeneration(name, GenerationCheck.run(model, dir.resolve("reference.safetensors")));
        }
    }

    /** The same, spelled out: the left-padded second prompt, the three beams in order. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt-neo", "llama", "qwen2", "gemma", "phi3"})
    void sequencesSpelledOut(String name) {
        Path dir = Fixtures.model(name);
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu);
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"))) {
            List<long[]> prompts = GenerationCheck.prompts(ref, "generate.prompt_ids", "generate.prompt_mask");
            assertTrue(prompts.get(1).length < prompts.get(0).length, "the second prompt is padded");
            var cfg = GenerationConfig.defaults().withMaxNewTokens(8).withMinNewTokens(8).withEos(List.of()).withPad(0);
            long[][] greedy = GenerationCheck.rows(ref, "generate.greedy");
            var out = Generator.generate(model, prompts, cfg, null, TokenListener.NONE);
            for (int r = 0; r < prompts.size(); r++) {
                assertArrayEquals(Arrays.copyOfRange(greedy[r], 5, 13), out.get(r).get(0).tokens(), name + " row " + r);
                assertEquals(FinishReason.MAX_NEW_TOKENS, out.get(r).get(0).finishReason());
            }
            long[][] beams = GenerationCheck.rows(ref, "generate.beam3");
            var best = Generator.generate(model, List.of(prompts.get(0)),
                    cfg.withBeams(3, 3, 1.0, GenerationConfig.EarlyStopping.FALSE), null, TokenListener.NONE).get(0);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(beams[i], best.get(i).allTokens(), name + " beam " + i);
                assertTrue(i == 0 || best.get(i - 1).score() >= best.get(i).score(), "best first");
            }
        }
    }
}
