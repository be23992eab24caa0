package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.model.ConfigRecordsTest.config;
import static org.transformers4j.model.ConfigRecordsTest.refused;
import static org.transformers4j.model.ConfigRecordsTest.refusedIn;
import static org.transformers4j.model.ConfigRecordsTest.with;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.generation.GeneratedSequence;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.generation.Generator;
import org.transformers4j.generation.TokenListener;
import org.transformers4j.model.bart.BartConfig;
import org.transformers4j.model.t5.T5Config;
import org.transformers4j.nn.TokenEmbeddings;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.verify.GenerationCheck;
import org.transformers4j.verify.ParityCheck;

/**
 * What mBART, Pegasus and mT5 add to BART and T5: their configs (transformers' defaults, second
 * names, refusals), Pegasus' sinusoidal table (stored or computed, the same layout as Marian's),
 * mBART's forced first token from generation_config.json, and mT5 (which has no fixture) run on
 * the t5-gated fixture's weights under an mT5 config: the same modules and names, with mT5's
 * rule for the LM head (never scaled, stored apart or tied to the shared table).
 */
class EncoderDecoderFamiliesTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    // ---- configs

    @Test
    void mbartAndPegasusTakeTransformersDefaults() {
        var mbart = BartConfig.from(config("{\"model_type\": \"mbart\"}"));
        assertEquals(List.of(50265, 1024, 1024, 12, 12, 16, 4096), List.of(mbart.vocab_size(),
                mbart.max_position_embeddings(), mbart.d_model(), mbart.encoder_layers(), mbart.decoder_layers(),
                mbart.encoder_attention_heads(), mbart.decoder_ffn_dim()));
        assertEquals(List.of(1, 0), List.of(mbart.pad_token_id(), mbart.bos_token_id()));
        assertEquals(List.of(2L), mbart.eos_token_id().ids());
        assertEquals(List.of(2L), mbart.forced_eos_token_id().ids());
        assertNull(mbart.decoder_start_token_id(), "MBartConfig has no decoder start: generate uses bos");
        assertTrue(mbart.preNorm() && mbart.learnedPositions() && mbart.embeddingNorm());
        assertFalse(mbart.scale_embedding());

        var pegasus = BartConfig.from(config("{\"model_type\": \"pegasus\"}"));
        assertEquals(List.of(50265, 1024, 1024, 12, 16), List.of(pegasus.vocab_size(),
                pegasus.max_position_embeddings(), pegasus.d_model(), pegasus.decoder_layers(),
                pegasus.decoder_attention_heads()));
        assertEquals(List.of(0, 0), List.of(pegasus.pad_token_id(), pegasus.decoder_start_token_id()));
        assertNull(pegasus.bos_token_id());
        assertEquals(List.of(1L), pegasus.eos_token_id().ids());
        assertEquals(List.of(1L), pegasus.forced_eos_token_id().ids());
        assertTrue(pegasus.preNorm());
        assertFalse(pegasus.learnedPositions() || pegasus.embeddingNorm());

        var bart = BartConfig.from(config("{\"model_type\": \"bart\"}"));
        assertFalse(bart.preNorm());
        assertTrue(bart.learnedPositions() && bart.embeddingNorm());
        var marian = BartConfig.from(config("{\"model_type\": \"marian\"}"));
        assertFalse(marian.preNorm() || marian.learnedPositions() || marian.embeddingNorm());
    }

    @Test
    void mt5TakesTransformersDefaultsAndNeverScalesItsHead() {
        var mt5 = T5Config.from(config("{\"model_type\": \"mt5\"}"));
        assertEquals(List.of(250112, 512, 64, 1024, 8, 8, 6), List.of(mt5.vocab_size(), mt5.d_model(), mt5.d_kv(),
                mt5.d_ff(), mt5.num_layers(), mt5.decoderLayers(), mt5.num_heads()));
        assertTrue(mt5.gated());
        assertEquals("gelu_new", mt5.activationName());
        assertEquals(0, mt5.decoder_start_token_id());
        assertEquals(0, mt5.pad_token_id());
        assertEquals(List.of(1L), mt5.eos_token_id().ids());
        assertTrue(mt5.isMt5());
        assertFalse(mt5.scalesDecoderOutputs());
        for (String keys : List.of("\"tie_word_embeddings\": true", "\"scale_decoder_outputs\": true",
                "\"tie_word_embeddings\": false")) {
            var c = T5Config.from(config("{\"model_type\": \"mt5\", " + keys + "}"));
            assertFalse(c.scalesDecoderOutputs(), keys);
        }
        // T5's rule is unchanged: scale_decoder_outputs, else tie_word_embeddings
        assertTrue(T5Config.from(config("{\"model_type\": \"t5\"}")).scalesDecoderOutputs());
        assertFalse(T5Config.from(config("{\"model_type\": \"t5\", \"tie_word_embeddings\": false}"))
                .scalesDecoderOutputs());
        assertEquals("relu", T5Config.from(config("{\"model_type\": \"t5\"}")).activationName());
    }

    @Test
    void secondNamesOfTheNewFamiliesAreReadAndMustAgree() {
        for (String type : List.of("mbart", "pegasus")) {
            var c = BartConfig.from(config("{\"model_type\": \"" + type + "\", \"num_hidden_layers\": 3,"
                    + " \"hidden_size\": 64, \"num_attention_heads\": 8}"));
            assertEquals(List.of(3, 64, 8), List.of(c.encoder_layers(), c.d_model(), c.encoder_attention_heads()));
            refused("{\"model_type\": \"" + type + "\", \"num_hidden_layers\": 3, \"encoder_layers\": 4}",
                    "encoder_layers is 4 but num_hidden_layers");
        }
        assertEquals(32, T5Config.from(config("{\"model_type\": \"mt5\", \"head_dim\": 32}")).d_kv());
        assertEquals(96, T5Config.from(config("{\"model_type\": \"mt5\", \"hidden_size\": 96}")).d_model());
    }

    @ParameterizedTest(name = "{0} {1} = {2}")
    @CsvSource({"mbart, encoder_attention_heads, 0", "mbart, decoder_layers, 0", "pegasus, decoder_attention_heads, 0",
        "pegasus, encoder_ffn_dim, -1", "mbart, max_position_embeddings, 0", "pegasus, d_model, 0"})
    void sizesBelowTheirMinimumAreRefusedByName(String fixture, String key, int value) {
        refusedIn(fixture, key, value, key + " must be >= 1");
    }

    @ParameterizedTest(name = "{0} {1} = {2}")
    @CsvSource({"mbart, decoder_start_token_id, 1000", "mbart, forced_bos_token_id, 1000",
        "mbart, pad_token_id, 1000", "pegasus, eos_token_id, 1000", "pegasus, forced_eos_token_id, -1"})
    void tokenIdsOutsideTheVocabularyAreRefusedByName(String fixture, String key, int value) {
        refusedIn(fixture, key, value, key + " " + value + " is outside the vocabulary");
    }

    @Test
    void mt5RefusalsNameTheKey() {
        JsonObject mt5 = mt5Config(false, null);
        refused(with(mt5, "num_heads", 0), "num_heads must be >= 1, is 0");
        refused(with(mt5, "d_kv", 0), "d_kv must be >= 1");
        refused(with(mt5, "decoder_start_token_id", 1000), "decoder_start_token_id 1000 is outside the vocabulary");
        refused(with(mt5, "feed_forward_proj", JsonParser.parseString("\"gated-gelu-x\"")), "is not ACT or gated-ACT");
        refused(with(mt5, "layer_norm_epsilon", 0), "layer_norm_epsilon must be finite and > 0");
        refused(with(mt5, "relative_attention_num_buckets", 2), "must be >= 4");
    }

    @Test
    void theRegistryKnowsTheNewTypesAndArchitectures() {
        for (String type : List.of("mbart", "pegasus", "mt5")) {
            assertEquals(ModelRegistry.Kind.SEQ2SEQ, ModelRegistry.kind(config("{\"model_type\": \"" + type + "\"}")));
        }
        assertTrue(ModelRegistry.seq2seqArchitectures().containsAll(List.of("MBartForConditionalGeneration",
                "PegasusForConditionalGeneration", "MT5ForConditionalGeneration")));
    }

    // ---- Pegasus

    /** Pegasus' table is Marian's layout: sin(pos / 10000^(2i/d)) in the first half, the cosines after. */
    @Test
    void pegasusStoresTheSinusoidalTableMarianComputes() {
        try (SafeTensors weights = SafeTensors.open(Fixtures.model("pegasus").resolve("model.safetensors"));
             TensorArena arena = TensorArena.confined()) {
            for (String stack : List.of("encoder", "decoder")) {
                float[] stored = weights.load("model." + stack + ".embed_positions.weight", arena).toFloatArray();
                float[] computed = TokenEmbeddings.sinusoidal(cpu, 64, 48, arena).toFloatArray();
                assertEquals(stored.length, computed.length);
                for (int i = 0; i < stored.length; i++) {
                    assertEquals(stored[i], computed[i], 1e-6, stack + " position " + i / 48 + " column " + i % 48);
                }
            }
        }
    }

    /** For an odd d_model too: transformers' layout puts ceil(d/2) sines first, then floor(d/2) cosines. */
    @Test
    void theSinusoidalLayoutHoldsForAnOddWidth() {
        int n = 9, d = 7, sentinel = d / 2 + 1;
        try (TensorArena arena = TensorArena.confined()) {
            float[] got = TokenEmbeddings.sinusoidal(cpu, n, d, arena).toFloatArray();
            for (int pos = 0; pos < n; pos++) {
                for (int j = 0; j < d; j++) { // position_enc[pos, j] = pos / 10000^(2 (j // 2) / d)
                    double angle = pos / Math.pow(10000, 2.0 * (j / 2) / d);
                    int col = j % 2 == 0 ? j / 2 : sentinel + j / 2; // out[:, :sentinel] = sin(enc[:, 0::2]) ...
                    assertEquals((float) (j % 2 == 0 ? Math.sin(angle) : Math.cos(angle)), got[pos * d + col], 1e-7);
                }
            }
        }
    }

    /**
     * scale_embedding (true in google/pegasus-* and some mBART checkpoints): the token rows are
     * multiplied by sqrt(d_model) before the positions are added (and, for mBART, before
     * layernorm_embedding), checked on the embedding output against the stored tables.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mbart", "pegasus"})
    void scaledEmbeddingsMultiplyTheTokenRowsBySqrtDModel(String name) {
        Path dir = Fixtures.model(name);
        JsonObject json = ModelConfig.read(dir.resolve("config.json")).json();
        json.addProperty("scale_embedding", true);
        long[] ids = {5, 17, 999, 0, 42};
        int d = 48, offset = name.equals("mbart") ? 2 : 0;
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(config(json.toString()), Checkpoints.open(dir), cpu);
             SafeTensors weights = SafeTensors.open(dir.resolve("model.safetensors"));
             TensorArena arena = TensorArena.confined()) {
            float[] got = model.encode(new EncoderInput(1, ids.length, ids, new long[] {1, 1, 1, 1, 1}, null), true,
                    arena).hiddenStates().get(0).toFloatArray();
            float[] tokens = weights.load("model.shared.weight", arena).toFloatArray();
            float[] positions = weights.load("model.encoder.embed_positions.weight", arena).toFloatArray();
            for (int p = 0; p < ids.length; p++) {
                double[] row = new double[d];
                for (int c = 0; c < d; c++) {
                    row[c] = Math.sqrt(d) * tokens[(int) ids[p] * d + c] + positions[(p + offset) * d + c];
                }
                if (name.equals("mbart")) {
                    row = layerNorm(row, weights.load("model.encoder.layernorm_embedding.weight", arena).toFloatArray(),
                            weights.load("model.encoder.layernorm_embedding.bias", arena).toFloatArray());
                }
                for (int c = 0; c < d; c++) {
                    assertEquals(row[c], got[p * d + c], 1e-4 * Math.max(1, Math.abs(row[c])), name + " " + p + "," + c);
                }
            }
        }
    }

    private static double[] layerNorm(double[] x, float[] gain, float[] bias) {
        double mean = Arrays.stream(x).average().orElseThrow(), var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / x.length;
        }
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (x[i] - mean) / Math.sqrt(var + BartConfig.LAYER_NORM_EPS) * gain[i] + bias[i];
        }
        return out;
    }

    /** Without the stored table (older or trimmed checkpoints) the computed one gives the same outputs. */
    @Test
    void pegasusWithoutItsStoredPositionsMatchesTransformers(@TempDir Path tmp) throws IOException {
        Path dir = Fixtures.model("pegasus");
        rewrite(dir, tmp, null, name -> name.contains("embed_positions") ? null : name);
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(tmp, cpu)) {
            Fixtures.assertParity("pegasus (computed positions)",
                    ParityCheck.seq2seq(model, dir.resolve("reference.safetensors")), 7, 1e-4);
        }
    }

    // ---- mBART

    /**
     * generation_config.json's forced_bos_token_id (the target language code of mBART-50) is the
     * first generated token of every sequence, greedy and beam; greedy then continues as the model
     * does from [decoder start, forced token], checked here against whole teacher-forced passes.
     */
    @Test
    void mbartForcesTheLanguageCodeFromItsGenerationConfig(@TempDir Path tmp) throws IOException {
        Path dir = Fixtures.model("mbart");
        List<long[]> sources;
        long[][] unforced;
        try (SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"))) {
            sources = GenerationCheck.prompts(ref, "input_ids", "attention_mask");
            unforced = GenerationCheck.rows(ref, "generate.greedy");
        }
        long forced = 250;
        for (long[] row : unforced) {
            assertNotEquals(forced, row[1], "the forced token must not be what greedy picks anyway");
        }
        rewrite(dir, tmp, g -> g.addProperty("forced_bos_token_id", forced), name -> name);
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(tmp, cpu)) {
            GenerationConfig cfg = GenerationConfig.forModel(model.specialTokens(), tmp, model.vocabSize());
            assertEquals(forced, cfg.forcedBosTokenId());
            cfg = cfg.withMaxNewTokens(8).withMinNewTokens(8).withEos(List.of());
            var greedy = Generator.generate(model, sources, cfg, null, TokenListener.NONE);
            for (int r = 0; r < sources.size(); r++) {
                GeneratedSequence got = greedy.get(r).get(0);
                assertArrayEquals(new long[] {2}, got.prompt(), "decoder_start_token_id");
                assertArrayEquals(teacherForcedGreedy(model, sources.get(r), new long[] {2, forced}, 7),
                        got.allTokens(), "row " + r);
            }
            var beams = Generator.generate(model, List.of(sources.get(0)),
                    cfg.withBeams(3, 3, 1.0, GenerationConfig.EarlyStopping.FALSE), null, TokenListener.NONE).get(0);
            assertEquals(3, beams.size());
            for (GeneratedSequence beam : beams) {
                assertEquals(forced, beam.tokens()[0]);
            }
        }
    }

    /** A reference whose settings force a first token is generated with it (here: the reference's rows were not). */
    @Test
    void theGenerationCheckAppliesAForcedFirstTokenOfTheReferenceSettings(@TempDir Path tmp) throws IOException {
        Path dir = Fixtures.model("mbart");
        Files.copy(dir.resolve("reference.safetensors"), tmp.resolve("reference.safetensors"));
        JsonObject reference = JsonParser.parseString(Files.readString(dir.resolve("reference.json"))).getAsJsonObject();
        reference.getAsJsonObject("generate").getAsJsonObject("settings").addProperty("forced_bos_token_id", 250);
        Files.writeString(tmp.resolve("reference.json"), reference.toString());
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(dir, cpu)) {
            Fixtures.assertIdenticalGeneration("mbart", GenerationCheck.run(model, dir.resolve("reference.safetensors")));
            List<GenerationCheck.Result> forced = GenerationCheck.run(model, tmp.resolve("reference.safetensors"));
            assertEquals(2, forced.size());
            forced.forEach(r -> assertFalse(r.identical(), r.toString()));
        }
    }

    /** prefix extended by n tokens, each the argmax of a whole (uncached) forward pass. */
    private static long[] teacherForcedGreedy(Seq2SeqModel model, long[] source, long[] prefix, int n) {
        long[] seq = prefix.clone();
        long[] mask = new long[source.length];
        Arrays.fill(mask, 1);
        var in = new EncoderInput(1, source.length, source, mask, null);
        int v = model.vocabSize();
        for (int step = 0; step < n; step++) {
            try (TensorArena arena = TensorArena.confined()) {
                float[] logits = model.forward(in, DecoderInput.of(1, seq.length, seq), false, arena).decoder()
                        .logits().toFloatArray();
                int best = 0, last = (seq.length - 1) * v;
                for (int j = 1; j < v; j++) {
                    best = logits[last + j] > logits[last + best] ? j : best;
                }
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = best;
            }
        }
        return seq;
    }

    // ---- mT5

    /**
     * The t5-gated fixture (gated-GELU, decoder outputs not scaled, head tied in the checkpoint as
     * transformers 5 saves it) is an mT5 checkpoint in all but its model_type: under an mT5 config
     * it reproduces the reference, whatever scale_decoder_outputs says (MT5ForConditionalGeneration
     * never reads it), while T5 with that key set scales and departs from it.
     */
    @Test
    void mt5RunsTheGatedT5FixtureUnderItsOwnConfig() {
        Path dir = Fixtures.model("t5-gated"), reference = dir.resolve("reference.safetensors");
        for (Boolean scale : new Boolean[] {null, true, false}) {
            ModelConfig mt5 = ModelConfig.parse(mt5Config(true, scale).toString(), "mt5 config.json");
            try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(mt5, Checkpoints.open(dir), cpu)) {
                Fixtures.assertParity("mt5 (scale_decoder_outputs " + scale + ")", ParityCheck.seq2seq(model, reference),
                        7, 1e-4);
                Fixtures.assertIdenticalGeneration("mt5", GenerationCheck.run(model, reference));
            }
        }
        JsonObject t5 = ModelConfig.read(dir.resolve("config.json")).json();
        t5.addProperty("scale_decoder_outputs", true);
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(config(t5.toString()), Checkpoints.open(dir), cpu)) {
            var logits = ParityCheck.seq2seq(model, reference).getLast();
            assertEquals("logits", logits.tensor());
            assertTrue(logits.relativeError() > 1e-2, "T5 scales when told to: " + logits);
        }
    }

    /**
     * mT5 as Google released it: tie_word_embeddings false, lm_head.weight stored apart. The
     * logits are the last decoder hidden state times that matrix, unscaled.
     */
    @Test
    void mt5WithAnUntiedHeadAppliesItUnscaled(@TempDir Path tmp) throws IOException {
        Path dir = Fixtures.model("t5-gated");
        int v = 1000, d = 48;
        float[] head = new float[v * d];
        SplittableRandom random = new SplittableRandom(18);
        for (int i = 0; i < head.length; i++) {
            head[i] = (float) random.nextGaussian();
        }
        try (Checkpoint full = Checkpoints.open(dir); TensorArena arena = TensorArena.confined()) {
            Map<String, Tensor> tensors = new HashMap<>();
            for (String name : full.names()) {
                tensors.put(name, full.load(name, arena));
            }
            tensors.put("lm_head.weight", arena.of(head, v, d));
            SafeTensorsWriter.write(tmp.resolve("model.safetensors"), tensors, Map.of());
        }
        Files.writeString(tmp.resolve("config.json"), mt5Config(false, null).toString());
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(tmp, cpu);
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
             TensorArena arena = TensorArena.confined()) {
            int b = (int) ref.shape("input_ids").dim(0), s = (int) ref.shape("input_ids").dim(1);
            int t = (int) ref.shape("decoder_input_ids").dim(1);
            var source = new EncoderInput(b, s, ref.loadLongs("input_ids"), ref.loadLongs("attention_mask"), null);
            float[] got = model.forward(source, DecoderInput.of(b, t, ref.loadLongs("decoder_input_ids")), false, arena)
                    .decoder().logits().toFloatArray();
            float[] last = ref.load("decoder_hidden_states.2", arena).toFloatArray();
            double err = 0, mag = 0;
            for (int row = 0; row < b * t; row++) {
                for (int j = 0; j < v; j++) {
                    double want = 0;
                    for (int c = 0; c < d; c++) {
                        want += (double) last[row * d + c] * head[j * d + c];
                    }
                    err = Math.max(err, Math.abs(got[row * v + j] - want));
                    mag = Math.max(mag, Math.abs(want));
                }
            }
            assertTrue(err / mag <= 1e-4, "relative error " + err / mag);
        }
    }

    @Test
    void mt5WithoutAHeadAndUntiedIsRefusedByName() {
        Path dir = Fixtures.model("t5-gated");
        ModelConfig mt5 = ModelConfig.parse(mt5Config(false, null).toString(), "mt5 config.json");
        try (Checkpoint weights = Checkpoints.open(dir)) {
            var e = assertThrows(CheckpointException.class, () -> ModelRegistry.loadSeq2Seq(mt5, weights, cpu));
            assertTrue(e.getMessage().contains("missing parameter lm_head.weight"), e.getMessage());
        }
    }

    /** The t5-gated fixture's sizes as an mT5 config.json, tie_word_embeddings and scale_decoder_outputs as given. */
    private static JsonObject mt5Config(boolean tied, Boolean scale) {
        JsonObject c = ModelConfig.read(Fixtures.model("t5-gated").resolve("config.json")).json();
        c.addProperty("model_type", "mt5");
        c.add("architectures", JsonParser.parseString("[\"MT5ForConditionalGeneration\"]"));
        c.addProperty("tie_word_embeddings", tied);
        c.remove("scale_decoder_outputs");
        if (scale != null) {
            c.addProperty("scale_decoder_outputs", scale);
        }
        return c;
    }

    /**
     * A copy of a fixture's folder into to: config.json and generation_config.json as they are
     * (the latter changed by editGeneration, if given), the weights renamed by rename (null drops one).
     */
    private static void rewrite(Path from, Path to, Consumer<JsonObject> editGeneration,
                                Function<String, String> rename) throws IOException {
        Files.copy(from.resolve("config.json"), to.resolve("config.json"));
        JsonObject generation = JsonParser.parseString(Files.readString(from.resolve("generation_config.json")))
                .getAsJsonObject();
        if (editGeneration != null) {
            editGeneration.accept(generation);
        }
        Files.writeString(to.resolve("generation_config.json"), generation.toString());
        try (Checkpoint full = Checkpoints.open(from); TensorArena arena = TensorArena.confined()) {
            Map<String, Tensor> tensors = new HashMap<>();
            for (String name : full.names()) {
                String kept = rename.apply(name);
                if (kept != null) {
                    tensors.put(kept, full.load(name, arena));
                }
            }
            SafeTensorsWriter.write(to.resolve("model.safetensors"), tensors, Map.of());
        }
    }
}
