package org.transformers4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.scheduler.BatchScheduler;
import org.transformers4j.scheduler.Embedding;
import org.transformers4j.scheduler.SchedulerOptions;
import org.transformers4j.scheduler.Schedulers;
import org.transformers4j.tensor.TensorArena;

/**
 * sentence-transformers folders made around the bert-mlm fixture (hidden size 48, 64 positions)
 * and the numbered test tokenizer with a template (t1 before a text, t2 after it, like [CLS] and
 * [SEP]): modules, pooling flags, Normalize, max_seq_length, do_lower_case and prompts read as
 * sentence-transformers reads them, the vectors checked against the model's own hidden states
 * pooled by hand; and what is refused.
 */
class EmbeddingFolderTest {
    static final String TRANSFORMER = "{\"idx\": 0, \"name\": \"0\", \"path\": \"%s\", \"type\":"
            + " \"sentence_transformers.models.Transformer\"}";
    static final String POOLING = "{\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", \"type\":"
            + " \"sentence_transformers.models.Pooling\"}";
    static final String NORMALIZE = "{\"idx\": 2, \"name\": \"2\", \"path\": \"2_Normalize\", \"type\":"
            + " \"sentence_transformers.models.Normalize\"}";
    static final String DENSE = "{\"idx\": 2, \"name\": \"2\", \"path\": \"2_Dense\", \"type\":"
            + " \"sentence_transformers.models.Dense\"}";
    static final String CLS_FLAGS = "{\"word_embedding_dimension\": 48, \"pooling_mode_cls_token\": true,"
            + " \"pooling_mode_mean_tokens\": false, \"pooling_mode_max_tokens\": false,"
            + " \"pooling_mode_mean_sqrt_len_tokens\": false, \"pooling_mode_weightedmean_tokens\": false,"
            + " \"pooling_mode_lasttoken\": false, \"include_prompt\": true}";

    static CpuBackend cpu;
    static EncoderModel bert;

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
        bert = ModelRegistry.loadEncoder(Fixtures.model("bert-mlm"), cpu);
    }

    @AfterAll
    static void close() {
        bert.close();
        cpu.close();
    }

    /** numbered-1000.json with a template putting t1 before the text and t2 after it. */
    static String templateTokenizer() throws IOException {
        JsonObject t = JsonParser.parseString(Files.readString(resource("/tokenizers/numbered-1000.json")))
                .getAsJsonObject();
        t.add("post_processor", JsonParser.parseString("{\"type\": \"TemplateProcessing\","
                + " \"single\": [{\"SpecialToken\": {\"id\": \"t1\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\","
                + " \"type_id\": 0}}, {\"SpecialToken\": {\"id\": \"t2\", \"type_id\": 0}}],"
                + " \"pair\": [{\"SpecialToken\": {\"id\": \"t1\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\","
                + " \"type_id\": 0}}, {\"SpecialToken\": {\"id\": \"t2\", \"type_id\": 0}}, {\"Sequence\": {\"id\":"
                + " \"B\", \"type_id\": 1}}, {\"SpecialToken\": {\"id\": \"t2\", \"type_id\": 1}}],"
                + " \"special_tokens\": {\"t1\": {\"id\": \"t1\", \"ids\": [1], \"tokens\": [\"t1\"]},"
                + " \"t2\": {\"id\": \"t2\", \"ids\": [2], \"tokens\": [\"t2\"]}}}"));
        return t.toString();
    }

    static Path resource(String name) {
        try {
            return Path.of(EmbeddingFolderTest.class.getResource(name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fixture's config and weights and the template tokenizer in dir/sub. */
    static Path checkpoint(Path dir, String sub) throws IOException {
        Path t = Files.createDirectories(sub.isEmpty() ? dir : dir.resolve(sub));
        Path fixture = Fixtures.model("bert-mlm");
        Files.copy(fixture.resolve("config.json"), t.resolve("config.json"));
        Files.copy(fixture.resolve("model.safetensors"), t.resolve("model.safetensors"));
        Files.writeString(t.resolve("tokenizer.json"), templateTokenizer());
        return t;
    }

    /** A sentence-transformers folder: modules.json as given, the pooling config, optional files (null: none). */
    static Path folder(Path dir, String sub, List<String> modules, String pooling, String sbert, String stConfig)
            throws IOException {
        Path t = checkpoint(dir, sub);
        Files.writeString(dir.resolve("modules.json"), "[" + String.join(", ", modules) + "]");
        if (pooling != null) {
            Files.writeString(Files.createDirectories(dir.resolve("1_Pooling")).resolve("config.json"), pooling);
        }
        if (sbert != null) {
            Files.writeString(t.resolve("sentence_bert_config.json"), sbert);
        }
        if (stConfig != null) {
            Files.writeString(dir.resolve("config_sentence_transformers.json"), stConfig);
        }
        return dir;
    }

    /** The fixture's last hidden state [S][C] for these ids. */
    static float[][] hidden(long... ids) {
        try (TensorArena a = TensorArena.confined()) {
            long[] ones = new long[ids.length];
            java.util.Arrays.fill(ones, 1);
            float[] h = bert.forward(new EncoderInput(1, ids.length, ids, ones, null), false, a).lastHiddenState()
                    .toFloatArray();
            float[][] out = new float[ids.length][48];
            for (int t = 0; t < ids.length; t++) {
                System.arraycopy(h, t * 48, out[t], 0, 48);
            }
            return out;
        }
    }

    static float[] mean(float[][] h, int from) {
        float[] out = new float[h[0].length];
        for (int t = from; t < h.length; t++) {
            for (int k = 0; k < out.length; k++) {
                out[k] += h[t][k] / (float) (h.length - from);
            }
        }
        return out;
    }

    static float[] normalized(float[] v) {
        double n = 0;
        for (float f : v) {
            n += (double) f * f;
        }
        float[] out = new float[v.length];
        for (int k = 0; k < v.length; k++) {
            out[k] = (float) (v[k] / Math.sqrt(n));
        }
        return out;
    }

    static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], actual[k], 2e-5, "dimension " + k);
        }
    }

    static void refused(String expected, Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EmbeddingModels.load(dir, cpu).close());
        assertTrue(e.getMessage().contains(expected), "message should mention '" + expected + "': " + e.getMessage());
    }

    @Test
    void clsPoolingNormalizeLengthLowercaseAndTheDefaultPromptAsTheFolderSays() throws IOException {
        Path dir = folder(tmp, "", List.of(String.format(TRANSFORMER, ""), POOLING, NORMALIZE), CLS_FLAGS,
                "{\"max_seq_length\": 5, \"do_lower_case\": true}",
                "{\"__version__\": {\"sentence_transformers\": \"5.1.0\"}, \"prompts\": {\"query\": \"t5 t6 \","
                        + " \"document\": \"\"}, \"default_prompt_name\": \"query\", \"similarity_fn_name\": \"dot\"}");
        EmbeddingFolder f = EmbeddingFolder.read(dir);
        assertTrue(f.sentenceTransformers() && f.normalize() && f.lowercase());
        assertEquals(Pooling.of(Pooling.Mode.CLS), f.pooling());
        assertEquals(5, f.maxSeqLength());
        assertEquals("dot", f.similarity());
        assertEquals(Map.of("query", "t5 t6 ", "document", ""), f.prompts());
        try (SentenceEmbedder e = EmbeddingModels.load(dir, cpu)) {
            assertEquals(new EmbeddingSettings(Pooling.of(Pooling.Mode.CLS), true, 5, "t5 t6 ", true), e.settings());
            assertEquals(48, e.dimension());
            // "t5 t6 " + "  T7 T8 T9 " stripped, lowercased, then t1 ... t2 truncated to 5 tokens
            assertArrayEquals(new long[] {1, 5, 6, 7, 2}, e.encode("  T7 T8 T9 ").ids());
            assertClose(normalized(hidden(1, 5, 6, 7, 2)[0]), e.embed("  T7 T8 T9 "));
            float[][] batch = e.embed(List.of("T7", "t9 T8 t7 t6"));
            assertClose(normalized(hidden(1, 5, 6, 7, 2)[0]), batch[0]);
            assertClose(normalized(hidden(1, 5, 6, 9, 2)[0]), batch[1]);
        }
        // options over the folder: mean pooling, no normalisation, 4 tokens, the document prompt
        EmbeddingOptions o = EmbeddingOptions.defaults().withPooling(Pooling.Mode.MEAN).withNormalize(false)
                .withMaxLength(4).withPromptName("document");
        try (SentenceEmbedder e = EmbeddingModels.load(dir, cpu, o)) {
            assertArrayEquals(new long[] {1, 7, 8, 2}, e.encode("T7 T8 T9").ids());
            assertClose(mean(hidden(1, 7, 8, 2), 0), e.embed("T7 T8 T9"));
        }
        try (SentenceEmbedder e = EmbeddingModels.load(dir, cpu, EmbeddingOptions.defaults().withPrompt("t3 "))) {
            assertArrayEquals(new long[] {1, 3, 7, 8, 2}, e.encode("t7 t8 t9").ids());
        }
    }

    @Test
    void theTransformerModuleMayLiveInASubfolderAndMeanIsTheFlagsDefault() throws IOException {
        // only word_embedding_dimension: the module's defaults, mean pooling with the prompt included
        Path dir = folder(tmp, "0_Transformer", List.of(String.format(TRANSFORMER, "0_Transformer"), POOLING),
                "{\"word_embedding_dimension\": 48}", null, null);
        EmbeddingFolder f = EmbeddingFolder.read(dir);
        assertEquals(dir.resolve("0_Transformer"), f.transformer());
        assertEquals(Pooling.MEAN, f.pooling());
        assertFalse(f.normalize());
        assertEquals(-1, f.maxSeqLength());
        try (SentenceEmbedder e = EmbeddingModels.load(dir, cpu)) {
            assertEquals(64, e.settings().maxLength(), "no max_seq_length: the model's positions");
            assertClose(mean(hidden(1, 7, 8, 9, 2), 0), e.embed("t7 t8 t9"));
        }
    }

    @Test
    void poolingModeByNameAndSeveralFlagsConcatenated() throws IOException {
        Path dir = folder(tmp, "", List.of(String.format(TRANSFORMER, ""), POOLING),
                "{\"word_embedding_dimension\": 48, \"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": true}",
                null, null);
        try (SentenceEmbedder e = EmbeddingModels.load(dir, cpu)) {
            assertEquals(96, e.dimension());
            float[][] h = hidden(1, 7, 8, 2);
            float[] v = e.embed("t7 t8");
            assertClose(h[0], java.util.Arrays.copyOfRange(v, 0, 48));
            assertClose(mean(h, 0), java.util.Arrays.copyOfRange(v, 48, 96));
        }
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"word_embedding_dimension\": 48, \"pooling_mode\":"
                + " \"LastToken\", \"pooling_mode_cls_token\": true}");
        assertEquals(Pooling.of(Pooling.Mode.LAST_TOKEN), EmbeddingFolder.read(dir).pooling(),
                "pooling_mode overrides the flags");
    }

    @Test
    void theInstructorWayLeavesThePromptOutOfThePooling() throws IOException {
        Path dir = folder(tmp, "", List.of(String.format(TRANSFORMER, ""), POOLING),
                "{\"word_embedding_dimension\": 48, \"include_prompt\": false}", null,
                "{\"prompts\": {\"query\": \"t5 t6 \"}, \"default_prompt_name\": \"query\"}");
        try (SentenceEmbedder e = EmbeddingModels.load(dir, cpu)) {
            // the prompt's tokens: t1 t5 t6 (t2 at its end is a special token and not counted)
            assertClose(mean(hidden(1, 5, 6, 7, 8, 2), 3), e.embed("t7 t8"));
            // the scheduler prepares texts as the embedder does, prompt included
            float[] direct = e.embed("t9");
            try (BatchScheduler<String, Embedding> s = Schedulers.embeddings("st", EmbeddingModels.load(dir, cpu),
                    SchedulerOptions.defaults())) {
                Embedding scheduled = s.submit("t9").join();
                assertArrayEquals(direct, scheduled.vector());
                assertEquals(5, scheduled.tokens());
            }
        }
    }

    @Test
    void aPlainCheckpointFolderIsMeanPooledUnnormalisedAtTheModelsLength() throws IOException {
        Path dir = checkpoint(tmp, "");
        Files.writeString(dir.resolve("sentence_bert_config.json"), "{\"max_seq_length\": 3}"); // ignored: no modules.json
        EmbeddingFolder f = EmbeddingFolder.read(dir);
        assertFalse(f.sentenceTransformers());
        assertNull(f.pooling());
        try (SentenceEmbedder e = EmbeddingModels.load(dir, cpu)) {
            assertEquals(new EmbeddingSettings(Pooling.MEAN, false, 64, "", false), e.settings());
            assertClose(mean(hidden(1, 7, 8, 9, 2), 0), e.embed("t7 t8 t9"));
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 4, \"do_lower_case\": true}");
        try (SentenceEmbedder e = EmbeddingModels.load(dir, cpu, EmbeddingOptions.defaults()
                .withPooling(Pooling.Mode.CLS).withNormalize(true))) {
            assertEquals(4, e.settings().maxLength(), "the smaller of positions and model_max_length");
            assertClose(normalized(hidden(1, 7, 8, 2)[0]), e.embed("t7 t8 t9"));
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 1000000000000000019884624838656}");
        assertEquals(-1, EmbeddingFolder.read(dir).tokenizerMaxLength(), "transformers' 'no limit'");
    }

    @Test
    void modulesThisLibraryDoesNotRunAreRefusedByName() throws IOException {
        Path dense = folder(tmp.resolve("dense"), "", List.of(String.format(TRANSFORMER, ""), POOLING, DENSE),
                CLS_FLAGS, null, null);
        refused("sentence_transformers.models.Dense\" is the sentence-transformers module Dense", dense);
        Path custom = folder(tmp.resolve("custom"), "", List.of(String.format(TRANSFORMER, ""), POOLING,
                "{\"idx\": 2, \"name\": \"2\", \"path\": \"\", \"type\": \"custom_st.CustomPooling\"}"), CLS_FLAGS, null,
                null);
        refused("\"custom_st.CustomPooling\" is a custom module", custom);
        Path noPooling = folder(tmp.resolve("nopool"), "", List.of(String.format(TRANSFORMER, "")), null, null, null);
        refused("needs a sentence_transformers.models.Transformer module and a", noPooling);
        Path normalizeFirst = folder(tmp.resolve("normfirst"), "", List.of(String.format(TRANSFORMER, ""), NORMALIZE,
                POOLING), CLS_FLAGS, null, null);
        refused("Normalize before any Pooling module", normalizeFirst);
        Path escape = folder(tmp.resolve("escape"), "", List.of(String.format(TRANSFORMER, "../elsewhere"), POOLING),
                CLS_FLAGS, null, null);
        refused("\"../elsewhere\" is not a folder inside the model folder", escape);
    }

    @Test
    void badPoolingConfigsAreRefused() throws IOException {
        Path dir = folder(tmp, "", List.of(String.format(TRANSFORMER, ""), POOLING), CLS_FLAGS, null, null);
        Path pooling = dir.resolve("1_Pooling/config.json");
        Files.writeString(pooling, CLS_FLAGS.replace("\"pooling_mode_cls_token\": true", "\"pooling_mode_cls_token\": false"));
        refused("every pooling_mode_* flag is false", dir);
        Files.writeString(pooling, "{\"word_embedding_dimension\": 48, \"pooling_mode_attention\": true}");
        refused("$.pooling_mode_attention: unknown key", dir);
        Files.writeString(pooling, "{\"word_embedding_dimension\": 48, \"pooling_mode\": \"avg\"}");
        refused("$.pooling_mode: unknown pooling mode 'avg'", dir);
        Files.writeString(pooling, "{\"word_embedding_dimension\": 48, \"pooling_mode_cls_token\": \"yes\"}");
        refused("$.pooling_mode_cls_token: must be true or false", dir);
        Files.writeString(pooling, "{\"word_embedding_dimension\": 384}");
        refused("word_embedding_dimension is 384 but the model's hidden size is 48", dir);
        Files.writeString(pooling, "{\"pooling_mode_cls_token\": true}");
        refused("$.word_embedding_dimension: is missing", dir);
        Files.delete(pooling);
        refused("1_Pooling/config.json: no such Pooling config", dir);
    }

    @Test
    void malformedJsonAndBadSettingsAreRefusedNamingTheFile() throws IOException {
        Path dir = folder(tmp, "", List.of(String.format(TRANSFORMER, ""), POOLING), CLS_FLAGS, null, null);
        Files.writeString(dir.resolve("modules.json"), "[{\"type\": \"sentence_transformers.models.Transformer\",");
        refused(dir.resolve("modules.json") + ": not valid JSON", dir);
        Files.writeString(dir.resolve("modules.json"), "{\"0\": \"Transformer\"}");
        refused("modules.json: $: must be an array", dir);
        Files.writeString(dir.resolve("modules.json"), "[" + String.format(TRANSFORMER, "") + ", " + POOLING + "]");
        Files.writeString(dir.resolve("sentence_bert_config.json"), "{\"max_seq_length\": 128}");
        refused("max_seq_length 128 is more than the model's 64 positions", dir);
        Files.writeString(dir.resolve("sentence_bert_config.json"), "{\"max_seq_length\": 8, \"model_args\": {\"x\": 1}}");
        refused("$.model_args: arguments for transformers", dir);
        Files.writeString(dir.resolve("sentence_bert_config.json"), "{\"max_seq_length\": 8, \"max_length\": 8}");
        refused("$.max_length: unknown key", dir);
        Files.writeString(dir.resolve("sentence_bert_config.json"), "{\"max_seq_length\": 8,}");
        refused("sentence_bert_config.json: not valid JSON", dir);
        Files.delete(dir.resolve("sentence_bert_config.json"));
        Files.writeString(dir.resolve("config_sentence_transformers.json"), "{\"default_prompt_name\": \"query2\"}");
        refused("$.default_prompt_name: \"query2\" is not one of the prompts [query, document]", dir);
        Files.writeString(dir.resolve("config_sentence_transformers.json"), "{\"prompts\": {\"query\": 5}}");
        refused("$.prompts.query: must be a string", dir);
        Files.writeString(dir.resolve("config_sentence_transformers.json"), "{\"similarity_fn_name\": \"jaccard\"}");
        refused("$.similarity_fn_name: must be one of", dir);
        Files.delete(dir.resolve("config_sentence_transformers.json"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmbeddingModels.load(dir, cpu,
                EmbeddingOptions.defaults().withPromptName("passage")).close());
        assertTrue(e.getMessage().contains("prompt 'passage' is not one of the prompts") && e.getMessage()
                .contains("[query, document]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EmbeddingModels.load(dir, cpu,
                EmbeddingOptions.defaults().withMaxLength(65)).close());
        assertTrue(e.getMessage().contains("a maximum length of 65 tokens is more than the 64 positions"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EmbeddingModels.load(tmp.resolve("absent"), cpu));
        assertTrue(e.getMessage().contains("absent: no such model folder"), e.getMessage());
    }

    @Test
    void theDefaultModelsSettingsAreUnchanged() {
        EmbeddingSettings s = EmbeddingModels.settings(EmbeddingModels.miniLmFolder(), EmbeddingOptions.defaults(), 384,
                512);
        assertEquals(new EmbeddingSettings(Pooling.MEAN, true, 256, "", false), s);
        EmbeddingSettings cls = EmbeddingModels.settings(EmbeddingModels.miniLmFolder(), EmbeddingOptions.defaults()
                .withPooling(Pooling.Mode.CLS).withNormalize(false).withMaxLength(512), 384, 512);
        assertEquals(new EmbeddingSettings(Pooling.of(Pooling.Mode.CLS), false, 512, "", false), cls);
    }

    @Test
    void pythonsStripAndLowercase() {
        assertEquals("a b", SentenceEmbedder.prepared("\u00a0\t a b \u3000\n", false));
        assertEquals("ab", SentenceEmbedder.prepared("\u2007AB\u202f", true));
        assertEquals("\u200ba", SentenceEmbedder.prepared("\u200bA", true), "a zero-width space is no whitespace");
    }
}
