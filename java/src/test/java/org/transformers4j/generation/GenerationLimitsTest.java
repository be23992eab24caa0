package org.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.model.Seq2SeqModel;

/**
 * Generation sizes its buffers by what the context lets it produce, not by maxNewTokens; beams
 * and returned sequences are capped; settings that cannot be met or ids outside the vocabulary
 * are refused with a message. On the GPT-2 fixture (64 positions, 1,000 tokens) and T5's (no
 * position limit).
 */
class GenerationLimitsTest {
    static CpuBackend cpu;
    static DecoderModel gpt2;
    static Seq2SeqModel t5;
    static final long[] PROMPT = {428, 603, 230, 127, 522};

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
        gpt2 = ModelRegistry.loadDecoder(Fixtures.model("gpt2"), cpu);
        t5 = ModelRegistry.loadSeq2Seq(Fixtures.model("t5"), cpu);
    }

    @AfterAll
    static void close() {
        gpt2.close();
        t5.close();
        cpu.close();
    }

    static GenerationConfig endless() {
        return GenerationConfig.defaults().withEos(List.of()).withPad(0).withMaxNewTokens(Integer.MAX_VALUE);
    }

    @Test
    void theLargestMaxNewTokensStopsAtTheContextWithoutAllocatingForIt() {
        GeneratedSequence s = Generator.generate(gpt2, List.of(PROMPT), endless(), null, TokenListener.NONE).get(0).get(0);
        assertEquals(FinishReason.CONTEXT_LIMIT, s.finishReason());
        assertEquals(64 - PROMPT.length + 1, s.tokens().length, "the context holds 64 positions");
        GeneratedSequence beam = Generator.generate(gpt2, List.of(PROMPT),
                endless().withBeams(3, 2, 1.0, GenerationConfig.EarlyStopping.NEVER), null, TokenListener.NONE)
                .get(0).get(0);
        assertTrue(beam.tokens().length <= 64 - PROMPT.length + 1);
    }

    @Test
    void aDecoderWithoutPositionLimitGetsABoundedCache() {
        try (Seq2SeqSession s = new Seq2SeqSession(t5, List.of(PROMPT), new int[] {0}, 0, 0, Integer.MAX_VALUE)) {
            s.start();
            assertEquals(Seq2SeqSession.UNBOUNDED_TARGET_LIMIT - 1, s.room());
        }
        try (Seq2SeqSession s = new Seq2SeqSession(t5, List.of(PROMPT), new int[] {0}, 0, 0, 5)) {
            s.start();
            assertEquals(5, s.room(), "the start token and 5 more");
        }
    }

    @Test
    void beamsAndReturnedSequencesAreCapped() {
        var beams = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.defaults()
                .withBeams(Integer.MAX_VALUE, 1, 1.0, GenerationConfig.EarlyStopping.FALSE).validate());
        assertTrue(beams.getMessage().startsWith("numBeams must be in [1, 64]"), beams.getMessage());
        var sampled = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.defaults()
                .withSampling(1.0, 0, 1.0).withNumReturnSequences(Integer.MAX_VALUE).validate());
        assertTrue(sampled.getMessage().startsWith("numReturnSequences must be in [1, 64]"), sampled.getMessage());
        GenerationConfig.defaults().withBeams(64, 64, 1.0, GenerationConfig.EarlyStopping.FALSE).validate();
    }

    @Test
    void minNewTokensBeyondTheContextIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> Generator.generate(gpt2, List.of(PROMPT),
                endless().withMinNewTokens(100), null, TokenListener.NONE));
        assertEquals("minNewTokens 100 cannot be met: the context leaves room for 60 new tokens after the prompt",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Generator.generate(gpt2, List.of(PROMPT),
                endless().withMinNewTokens(61).withBeams(2, 1, 1.0, GenerationConfig.EarlyStopping.FALSE), null,
                TokenListener.NONE));
        assertEquals(60, Generator.generate(gpt2, List.of(PROMPT), endless().withMinNewTokens(60), null,
                TokenListener.NONE).get(0).get(0).tokens().length);
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreRefusedNotForcedToZero() {
        String source = gpt2.config().source();
        var forced = assertThrows(IllegalArgumentException.class, () -> Generator.generate(gpt2, List.of(PROMPT),
                endless().withMaxNewTokens(3).toBuilder().forcedBos(5000).build(), null, TokenListener.NONE));
        assertEquals("forcedBosTokenId 5000 is outside [0, 1000) of the 1000-token vocabulary of " + source
                + " (-1 for none)", forced.getMessage());
        for (GenerationConfig bad : List.of(endless().withEos(List.of(1000L)), endless().withPad(1000),
                endless().toBuilder().forcedEos(1 << 20).build(), endless().toBuilder().suppress(List.of(-3L)).build(),
                endless().toBuilder().decoderStart(-2).build())) {
            assertThrows(IllegalArgumentException.class, () -> Generator.generate(gpt2, List.of(PROMPT), bad, null,
                    TokenListener.NONE), bad.toString());
        }
        var start = assertThrows(IllegalArgumentException.class, () -> Generator.generate(t5, List.of(PROMPT),
                endless().withMaxNewTokens(3).toBuilder().decoderStart(1000).build(), null, TokenListener.NONE));
        assertTrue(start.getMessage().startsWith("decoderStartTokenId 1000 is outside [0, 1000)"), start.getMessage());
    }

    @Test
    void negativeLengthsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> GenerationConfig.defaults().toBuilder().minLength(-1).build().validate());
        assertThrows(IllegalArgumentException.class,
                () -> GenerationConfig.defaults().toBuilder().maxNewTokens(0).maxLength(-1).build().validate());
    }
}
