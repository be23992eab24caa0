package org.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonNull;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** Encoder-decoder generation settings and bad input, on the BART fixture (64 positions). */
class Seq2SeqGenerationTest {
    static CpuBackend cpu;
    static Seq2SeqModel bart;
    static final long[] SOURCE = {533, 337, 58, 183, 165, 731, 710, 172, 708};

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
        bart = ModelRegistry.loadSeq2Seq(Fixtures.model("bart"), cpu);
    }

    @AfterAll
    static void close() {
        bart.close();
        cpu.close();
    }

    static GenerationConfig six() {
        return GenerationConfig.forModel(bart.specialTokens()).withMaxNewTokens(6);
    }

    static GeneratedSequence run(GenerationConfig cfg) {
        return Generator.generate(bart, List.of(SOURCE), cfg, null, TokenListener.NONE).get(0).get(0);
    }

    @Test
    void generationStartsFromTheDecoderStartToken() {
        GeneratedSequence s = run(six().withMinNewTokens(6));
        assertArrayEquals(new long[] {2}, s.prompt());
        assertArrayEquals(new long[] {562, 562, 562, 562, 562, 562}, s.tokens());
    }

    @Test
    void noRepeatNgramForcedTokensAndSuppression() {
        long[] plain = run(six().withMinNewTokens(6)).tokens();
        long[] noRepeat = run(six().withMinNewTokens(6).toBuilder().noRepeatNgramSize(2).build()).tokens();
        for (int i = 0; i + 3 < noRepeat.length; i++) {
            for (int j = i + 1; j + 1 < noRepeat.length; j++) {
                assertTrue(noRepeat[i] != noRepeat[j] || noRepeat[i + 1] != noRepeat[j + 1],
                        "bigram repeated: " + Arrays.toString(noRepeat));
            }
        }
        assertTrue(!Arrays.equals(plain, noRepeat));
        long[] forced = run(six().toBuilder().forcedBos(7).forcedEos(2).build()).tokens();
        assertEquals(7, forced[0]);
        assertEquals(6, forced.length);
        assertEquals(2, forced[5]);
        long[] suppressed = run(six().withMinNewTokens(6).toBuilder().suppress(List.of(562L)).build()).tokens();
        assertTrue(Arrays.stream(suppressed).noneMatch(t -> t == 562));
    }

    @Test
    void maxAndMinLengthCountTheStartToken() {
        var cfg = six().toBuilder().maxNewTokens(0).maxLength(5).minLength(5).build();
        assertEquals(4, run(cfg).tokens().length);
        var e = assertThrows(IllegalArgumentException.class,
                () -> run(six().toBuilder().maxNewTokens(0).maxLength(1).build()));
        assertTrue(e.getMessage().contains("maxLength"), e.getMessage());
    }

    @Test
    void aSourceLongerThanTheEncoderTakesIsRefused() {
        long[] tooLong = new long[65];
        Arrays.fill(tooLong, 5);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Generator.generate(bart, List.of(tooLong), six(), null, TokenListener.NONE));
        assertTrue(e.getMessage().contains("source of 65 tokens is longer than the 64 positions"), e.getMessage());
    }

    @Test
    void aMissingDecoderStartTokenIsRefused() {
        Path dir = Fixtures.model("bart");
        var json = ModelConfig.read(dir.resolve("config.json")).json();
        json.add("decoder_start_token_id", JsonNull.INSTANCE); // absent would mean transformers' default
        ModelConfig config = ModelConfig.parse(json.toString(), "bart without decoder_start_token_id");
        try (Seq2SeqModel m = ModelRegistry.loadSeq2Seq(config, Checkpoints.open(dir), cpu)) {
            var cfg = GenerationConfig.forModel(m.specialTokens()).withMaxNewTokens(3);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Generator.generate(m, List.of(SOURCE), cfg, null, TokenListener.NONE));
            assertTrue(e.getMessage().contains("no decoder_start_token_id"), e.getMessage());
        }
    }

    @Test
    void aCheckpointWithoutTheDecoderHalfIsRefusedByName(@TempDir Path tmp) throws IOException {
        Path dir = Fixtures.model("bart");
        try (var full = Checkpoints.open(dir); TensorArena arena = TensorArena.confined()) {
            Map<String, Tensor> encoderOnly = new HashMap<>();
            for (String name : full.names()) {
                if (!name.contains("decoder.")) {
                    encoderOnly.put(name, full.load(name, arena));
                }
            }
            SafeTensorsWriter.write(tmp.resolve("model.safetensors"), encoderOnly, Map.of());
        }
        java.nio.file.Files.copy(dir.resolve("config.json"), tmp.resolve("config.json"));
        var e = assertThrows(CheckpointException.class, () -> ModelRegistry.loadSeq2Seq(tmp, cpu));
        assertTrue(e.getMessage().contains("missing parameter model.decoder."), e.getMessage());
    }
}
