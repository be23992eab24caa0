package org.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.pipeline.TextGenerator;

/** generation_config.json: every key checked for type and range, ids against the vocabulary, messages naming file and key. */
class GenerationConfigFileTest {
    static final String FILE = "generation_config.json";
    static final SpecialTokens NONE = new SpecialTokens(-1, List.of(), -1, -1);

    static GenerationConfig parse(String json) {
        return GenerationConfig.forModel(NONE).overriddenBy(json, FILE, 1000);
    }

    static String refusal(String json) {
        return assertThrows(IllegalArgumentException.class, () -> parse(json), json).getMessage();
    }

    @Test
    void everyFixtureFileReadsAgainstItsVocabulary() {
        for (String m : List.of("bart", "gpt-neo", "gpt2", "llama", "marian", "t5", "t5-gated")) {
            GenerationConfig cfg = GenerationConfig.forModel(NONE, Fixtures.model(m), 1000);
            assertEquals(1, cfg.eosTokenIds().size(), m);
        }
        GenerationConfig marian = GenerationConfig.forModel(NONE, Fixtures.model("marian"), 1000);
        assertEquals(999, marian.decoderStartTokenId());
        assertEquals(0, marian.forcedEosTokenId());
    }

    @Test
    void everyKeyIsRead() {
        GenerationConfig c = parse("""
                {"max_new_tokens": 7, "min_new_tokens": 2, "min_length": 3, "do_sample": true, "temperature": 0.5,
                 "top_k": 4, "top_p": 0.9, "repetition_penalty": 1.2, "no_repeat_ngram_size": 3, "num_beams": 1,
                 "num_return_sequences": 2, "length_penalty": -0.5, "early_stopping": "never", "eos_token_id": [2, 3],
                 "bos_token_id": 1, "pad_token_id": 0, "decoder_start_token_id": 5, "forced_bos_token_id": 6,
                 "forced_eos_token_id": [7], "suppress_tokens": [8], "bad_words_ids": [[9], [10]],
                 "stop_strings": ["\\n\\n"], "transformers_version": "4.51.0", "output_scores": true,
                 "num_beam_groups": 1, "typical_p": 1.0, "some_future_key": {"x": 1}}""");
        assertEquals(new GenerationConfig(7, 0, 2, 3, true, 0.5, 4, 0.9, 1.2, 3, 1, 2, -0.5,
                GenerationConfig.EarlyStopping.NEVER, List.of(2L, 3L), 0, 5, 6, 7, List.of(8L, 9L, 10L),
                List.of("\n\n"), 0), c);
        GenerationConfig byLength = parse("{\"max_length\": 30, \"early_stopping\": true}");
        assertEquals(0, byLength.maxNewTokens());
        assertEquals(30, byLength.maxLength());
        assertEquals(GenerationConfig.EarlyStopping.TRUE, byLength.earlyStopping());
    }

    @Test
    void badWordsIdsOfTheWrongShapeGetAMessage() {
        assertEquals("generation_config.json: $.bad_words_ids: must be an array, got a string \"x\"",
                refusal("{\"bad_words_ids\": \"x\"}"));
        assertEquals("generation_config.json: $.bad_words_ids[0]: must be an array, got a number 5",
                refusal("{\"bad_words_ids\": [5]}"));
        assertEquals("generation_config.json: $.bad_words_ids[1]: must hold one token id (words of 2 tokens are not "
                + "supported)", refusal("{\"bad_words_ids\": [[5], [6, 7]]}"));
        assertEquals("generation_config.json: $.bad_words_ids[0][0]: must be an integer in [0, 2147483647], got a string "
                + "\"a\"", refusal("{\"bad_words_ids\": [[\"a\"]]}"));
    }

    @Test
    void tokenIdsBeyondTheVocabularyAreRefusedNamingTheKey() {
        for (String key : List.of("forced_bos_token_id", "forced_eos_token_id", "eos_token_id", "pad_token_id",
                "decoder_start_token_id", "bos_token_id")) {
            assertEquals(FILE + ": $." + key + ": token id 1000 is outside the vocabulary [0, 1000) of the model",
                    refusal("{\"" + key + "\": 1000}"));
        }
        assertEquals(FILE + ": $.eos_token_id[1]: token id 4096 is outside the vocabulary [0, 1000) of the model",
                refusal("{\"eos_token_id\": [1, 4096]}"));
        assertEquals(FILE + ": $.suppress_tokens[0]: token id 5000 is outside the vocabulary [0, 1000) of the model",
                refusal("{\"suppress_tokens\": [5000]}"));
        assertTrue(refusal("{\"forced_bos_token_id\": -1}").contains("must be an integer in [0, 2147483647]"));
        assertTrue(refusal("{\"forced_eos_token_id\": [1, 2]}").contains("several are not supported"));
    }

    @Test
    void eachKeyOfTheWrongTypeOrRangeIsNamed() {
        List<Map.Entry<String, String>> bad = List.of(Map.entry("max_new_tokens", "0"), Map.entry("max_new_tokens", "1.5"),
                Map.entry("max_length", "\"20\""), Map.entry("min_new_tokens", "-1"), Map.entry("min_length", "true"),
                Map.entry("do_sample", "1"), Map.entry("temperature", "-0.1"), Map.entry("top_k", "2147483648"),
                Map.entry("top_p", "0"), Map.entry("repetition_penalty", "0"), Map.entry("no_repeat_ngram_size", "[]"),
                Map.entry("num_beams", "2147483647"), Map.entry("num_return_sequences", "65"),
                Map.entry("length_penalty", "\"1\""), Map.entry("early_stopping", "\"always\""),
                Map.entry("suppress_tokens", "7"), Map.entry("stop_strings", "[\"\"]"),
                Map.entry("num_beam_groups", "2"), Map.entry("typical_p", "0.5"), Map.entry("forced_decoder_ids", "[[1, 2]]"),
                Map.entry("begin_suppress_tokens", "[220]"), Map.entry("max_time", "10"),
                Map.entry("renormalize_logits", "true"));
        for (var e : bad) {
            String message = refusal("{\"" + e.getKey() + "\": " + e.getValue() + "}");
            assertTrue(message.startsWith(FILE + ": $." + e.getKey()), message);
        }
        assertTrue(refusal("{\"top_p\": 1.5}").contains("must be a number in (0.0, 1.0]"));
        assertTrue(refusal("{\"num_beams\": 100}").contains("[1, 64]"));
    }

    @Test
    void malformedJsonNamesTheFile() {
        assertTrue(refusal("{\"max_new_tokens\": 5, \"max_new_tokens\": 6}").contains("occurs twice"));
        assertTrue(refusal("{\"max_new_tokens\": 1e999}").contains("beyond the range of a double"));
        assertTrue(refusal("[]").startsWith(FILE + ": $: must be an object"));
        assertTrue(refusal("{\"max_new_tokens\": 5,}").startsWith(FILE + ": not valid JSON"));
    }

    @Test
    void badFilesInAModelFolderGetMessagesNamingThem(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(FILE);
        Files.write(file, new byte[] {'{', (byte) 0xFF, '}'});
        var utf8 = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.forModel(NONE, dir, 1000));
        assertTrue(utf8.getMessage().startsWith(file.toString()) && utf8.getMessage().contains("UTF-8"), utf8.getMessage());
        Files.delete(file);
        assertEquals(0, new ProcessBuilder("mkfifo", file.toString()).start().waitFor());
        var fifo = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.forModel(NONE, dir, 1000));
        assertTrue(fifo.getMessage().contains("not a regular file"), fifo.getMessage());
    }

    @Test
    void aPipelineRefusesADefaultBeyondItsModelsVocabulary(@TempDir Path dir) throws Exception {
        Path gpt2 = Fixtures.model("gpt2");
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(gpt2.resolve(f), dir.resolve(f));
        }
        Files.copy(Fixtures.tokenizer("gpt2-bpe").resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve(FILE), "{\"eos_token_id\": 2, \"forced_bos_token_id\": 50000}");
        try (CpuBackend cpu = CpuBackend.create()) {
            var e = assertThrows(IllegalArgumentException.class, () -> TextGenerator.load(dir, cpu));
            assertEquals(dir.resolve(FILE) + ": $.forced_bos_token_id: token id 50000 is outside the vocabulary "
                    + "[0, 1000) of the model", e.getMessage());
            Files.writeString(dir.resolve(FILE), "{\"eos_token_id\": 2, \"forced_bos_token_id\": 5}");
            try (TextGenerator g = TextGenerator.load(dir, cpu)) {
                assertEquals(5, g.defaults().forcedBosTokenId());
            }
        }
    }
}
