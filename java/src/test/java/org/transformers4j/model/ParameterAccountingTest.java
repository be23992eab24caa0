package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.nn.Weights;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Parameters strictly by the config: one the architecture has is required (its absence names it),
 * one the config says is absent is not read, stored tensors no module read are reported as a
 * warning that lists them, and tied copies, alternative names and known buffers keep loading
 * without one.
 */
class ParameterAccountingTest {
    static CpuBackend cpu;
    final List<LogRecord> logged = new ArrayList<>();
    final Logger logger = Logger.getLogger(Weights.class.getName());
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @BeforeEach
    void listen() throws Exception {
        logger.addHandler(capture);
    }

    @AfterEach
    void stopListening() throws Exception {
        logger.removeHandler(capture);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bert-mlm", "bert-seqcls", "bert-tokcls", "roberta-mlm", "distilbert-mlm", "gpt2",
        "gpt-neo", "llama", "bart", "marian", "t5", "t5-gated"})
    void everyFixtureLoadsWithoutAWarning(String name) throws Exception {
        load(name, c -> c, Map.of()).close();
        assertEquals(List.of(), messages());
    }

    @ParameterizedTest(name = "{0} without {1}")
    @CsvSource({"bert-mlm, bert.encoder.layer.0.attention.self.query.bias",
        "bert-mlm, bert.encoder.layer.1.attention.output.dense.bias",
        "bert-mlm, bert.embeddings.token_type_embeddings.weight", "bert-mlm, bert.encoder.layer.0.output.LayerNorm.bias",
        "roberta-mlm, roberta.encoder.layer.1.intermediate.dense.bias", "distilbert-mlm, vocab_projector.bias",
        "gpt2, transformer.h.1.attn.c_proj.bias", "gpt-neo, transformer.h.0.attn.attention.out_proj.bias",
        "bart, model.decoder.layers.1.encoder_attn.k_proj.bias", "marian, model.encoder.layers.0.fc2.bias",
        "t5, decoder.block.1.layer.0.SelfAttention.o.weight", "llama, model.layers.1.mlp.down_proj.weight"})
    void aMissingParameterOfTheArchitectureIsNamed(String name, String tensor) throws Exception {
        var e = assertThrows(CheckpointException.class, () -> load(name, c -> without(c, tensor), Map.of()));
        assertTrue(e.getMessage().contains("missing parameter " + tensor), e.getMessage());
    }

    @Test
    void biasesTheConfigDeclaresAreRequiredAndThoseItDoesNotAreLeftOver() throws Exception {
        var e = assertThrows(CheckpointException.class, () -> load("llama", c -> c, Map.of("attention_bias", true)));
        assertTrue(e.getMessage().contains("missing parameter model.layers.0.self_attn.q_proj.bias"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> load("llama", c -> c, Map.of("mlp_bias", true)));
        assertTrue(e.getMessage().contains("missing parameter model.layers.0.mlp.gate_proj.bias"), e.getMessage());
        load("llama", c -> with(c, Map.of("model.layers.0.self_attn.q_proj.bias", Shape.of(48))), Map.of()).close();
        assertEquals(1, messages().size());
        assertTrue(messages().get(0).contains("[model.layers.0.self_attn.q_proj.bias]"), messages().get(0));
    }

    @Test
    void anUntiedHeadMustBeStored() throws Exception {
        var e = assertThrows(CheckpointException.class, () -> load("gpt2", c -> c, Map.of("tie_word_embeddings", false)));
        assertTrue(e.getMessage().contains("missing parameter lm_head.weight (tie_word_embeddings is false)"),
                e.getMessage());
        e = assertThrows(CheckpointException.class, () -> load("t5", c -> c, Map.of("tie_word_embeddings", false)));
        assertTrue(e.getMessage().contains("missing parameter lm_head.weight"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> load("llama", c -> without(c, "lm_head.weight"), Map.of()));
        assertTrue(e.getMessage().contains("missing parameter lm_head.weight"), e.getMessage());
    }

    @Test
    void leftoverTensorsAreReportedAsTransformersReportsThem() throws Exception {
        Map<String, Shape> extra = Map.of("cls.seq_relationship.weight", Shape.of(2, 48), "cls.seq_relationship.bias",
                Shape.of(2));
        load("bert-mlm", c -> with(c, extra), Map.of()).close();
        assertEquals(1, logged.size());
        assertEquals(Level.WARNING, logged.get(0).getLevel());
        String message = messages().get(0);
        assertTrue(message.startsWith("Some weights of the model checkpoint at "), message);
        assertTrue(message.contains("were not used when initializing BertForMaskedLM (2): [cls.seq_relationship.bias,"
                + " cls.seq_relationship.weight]"), message);
    }

    @Test
    void aLongListOfLeftoversIsTruncated() throws Exception {
        Map<String, Shape> extra = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            extra.put(String.format("extra.%02d", i), Shape.of(3));
        }
        load("gpt2", c -> with(c, extra), Map.of()).close();
        String message = messages().get(0);
        assertTrue(message.contains("initializing GPT2LMHeadModel (30): [extra.00, extra.01, "), message);
        assertTrue(message.contains("extra.19, ... and 10 more]"), message);
        assertTrue(!message.contains("extra.20"), message);
    }

    @Test
    void tiedCopiesAlternativeNamesAndBuffersLoadWithoutAWarning() throws Exception {
        Map<String, Shape> copies = new HashMap<>();
        copies.put("cls.predictions.decoder.weight", Shape.of(1000, 48)); // tied to the word embeddings
        copies.put("cls.predictions.decoder.bias", Shape.of(1000)); // the same bias under its second name
        copies.put("bert.embeddings.position_ids", Shape.of(1, 64)); // a buffer, not a parameter
        load("bert-mlm", c -> with(c, copies), Map.of()).close();
        load("t5", c -> with(c, Map.of("encoder.embed_tokens.weight", Shape.of(1000, 48), "decoder.embed_tokens.weight",
                Shape.of(1000, 48), "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight",
                Shape.of(32, 4))), Map.of()).close();
        load("bart", c -> with(c, Map.of("model.encoder.embed_tokens.weight", Shape.of(1000, 48),
                "model.decoder.embed_tokens.weight", Shape.of(1000, 48), "lm_head.weight", Shape.of(1000, 48))),
                Map.of()).close();
        load("marian", c -> with(c, Map.of("model.encoder.embed_positions.weight", Shape.of(64, 48),
                "model.decoder.embed_positions.weight", Shape.of(64, 48))), Map.of()).close();
        load("gpt2", c -> with(c, Map.of("transformer.h.0.attn.bias", Shape.of(1, 1, 64, 64),
                "transformer.h.1.attn.masked_bias", Shape.of(1))), Map.of()).close();
        load("llama", c -> with(c, Map.of("model.layers.0.self_attn.rotary_emb.inv_freq", Shape.of(6))), Map.of())
                .close();
        assertEquals(List.of(), messages());
    }

    @Test
    void aTiedCopyOfTheWrongShapeIsRefusedByName() throws Exception {
        var e = assertThrows(CheckpointException.class, () -> load("t5",
                c -> with(c, Map.of("decoder.embed_tokens.weight", Shape.of(999, 48))), Map.of()));
        assertTrue(e.getMessage().contains("parameter decoder.embed_tokens.weight has shape [999, 48]"), e.getMessage());
    }

    @Test
    void namesWithoutTheModelPrefixGiveTheSameOutputs() throws Exception {
        long[] ids = {2, 17, 423, 99, 5, 3};
        float[] prefixed, bare;
        try (EncoderModel m = (EncoderModel) load("bert-mlm", c -> c, Map.of());
             TensorArena arena = TensorArena.confined()) {
            prefixed = m.forward(new EncoderInput(1, ids.length, ids, null, null), false, arena).logits().toFloatArray();
        }
        try (EncoderModel m = (EncoderModel) load("bert-mlm", c -> renamed(c, "bert."), Map.of());
             TensorArena arena = TensorArena.confined()) {
            bare = m.forward(new EncoderInput(1, ids.length, ids, null, null), false, arena).logits().toFloatArray();
        }
        assertArrayEquals(prefixed, bare);
        assertEquals(List.of(), messages());
    }

    @Test
    void aZeroTypeVocabularyMeansNoTokenTypeTable() throws Exception {
        var e = assertThrows(CheckpointException.class, () -> load("bert-mlm",
                c -> without(c, "bert.embeddings.token_type_embeddings.weight"), Map.of()));
        assertTrue(e.getMessage().contains("token_type_embeddings"), e.getMessage());
        load("bert-mlm", c -> without(c, "bert.embeddings.token_type_embeddings.weight"), Map.of("type_vocab_size", 0))
                .close();
        assertEquals(List.of(), messages());
    }

    @Test
    void aComputedPositionTableTooLargeForTheHeapIsRefusedBeforeItIsMade() throws Exception {
        long positions = Runtime.getRuntime().maxMemory() / (4 * 48 * 4) + 1000; // a quarter of the heap, and more
        assumeTrue(positions * 48 < Integer.MAX_VALUE - 8, "a heap this large takes a table the config check refuses");
        var e = assertThrows(CheckpointException.class, () -> load("marian", c -> c,
                Map.of("max_position_embeddings", positions)));
        assertTrue(e.getMessage().contains("max_position_embeddings " + positions + " x d_model 48 make a sinusoidal"
                + " position table of "), e.getMessage());
    }

    @Test
    void sizesOnlyTheConfigGivesAreConfirmedByTheCheckpointBeforeAnythingIsAllocated() throws Exception {
        // q, k and v of 2^28 + 2 x 2^27 rows would take 96 GiB once concatenated: the stored shapes refuse them first
        var e = assertThrows(CheckpointException.class, () -> load("llama", c -> c, Map.of("head_dim", 1 << 26)));
        assertTrue(e.getMessage().contains("parameter model.layers.0.self_attn.q_proj.weight has shape [48, 48], the"
                + " config implies [268435456, 48]"), e.getMessage());
    }

    private List<String> messages() {
        return logged.stream().map(LogRecord::getMessage).toList();
    }

    /** The fixture's model, its checkpoint changed by edit and its config by the keys given. */
    private static AutoCloseable load(String name, Function<Checkpoint, Checkpoint> edit, Map<String, Object> keys) {
        var dir = Fixtures.model(name);
        var json = ModelConfig.read(dir.resolve("config.json")).json();
        keys.forEach((k, v) -> json.add(k, v instanceof Boolean b ? new JsonPrimitive(b)
                : new JsonPrimitive((Number) v)));
        ModelConfig config = ModelConfig.parse(json.toString(), dir.resolve("config.json").toString());
        Checkpoint checkpoint = edit.apply(Checkpoints.open(dir));
        return switch (ModelRegistry.kind(config)) {
            case ENCODER -> ModelRegistry.loadEncoder(config, checkpoint, cpu);
            case DECODER -> ModelRegistry.loadDecoder(config, checkpoint, cpu);
            case SEQ2SEQ -> ModelRegistry.loadSeq2Seq(config, checkpoint, cpu);
        };
    }

    private static Checkpoint without(Checkpoint c, String name) {
        return new Edited(c, Set.of(name), Map.of(), Function.identity());
    }

    /** Extra tensors of these shapes, filled with a small constant (values of tied copies are not read). */
    private static Checkpoint with(Checkpoint c, Map<String, Shape> extra) {
        return new Edited(c, Set.of(), extra, Function.identity());
    }

    /** Every name with the prefix stored without it. */
    private static Checkpoint renamed(Checkpoint c, String prefix) {
        return new Edited(c, Set.of(), Map.of(), n -> n.startsWith(prefix) ? n.substring(prefix.length()) : n);
    }

    /** A checkpoint seen with names removed, added or renamed (stored name to shown name). */
    private static final class Edited implements Checkpoint {
        private final Checkpoint base;
        private final Map<String, String> shownToStored = new HashMap<>();
        private final Map<String, Shape> extra;

        Edited(Checkpoint base, Set<String> removed, Map<String, Shape> extra, Function<String, String> rename) {
            this.base = base;
            this.extra = extra;
            for (String n : base.names()) {
                if (!removed.contains(n)) {
                    shownToStored.put(rename.apply(n), n);
                }
            }
        }

        @Override
        public Set<String> names() {
            Set<String> out = new LinkedHashSet<>(shownToStored.keySet());
            out.addAll(extra.keySet());
            return out;
        }

        @Override
        public Shape shape(String name) {
            if (extra.containsKey(name)) {
                return extra.get(name);
            }
            return base.shape(stored(name));
        }

        @Override
        public Tensor load(String name, TensorArena arena) {
            if (extra.containsKey(name)) {
                long[] dims = extra.get(name).toArray();
                float[] values = new float[Math.toIntExact(extra.get(name).elements())];
                Arrays.fill(values, 0.01f);
                return arena.of(values, dims);
            }
            return base.load(stored(name), arena);
        }

        private String stored(String name) {
            String s = shownToStored.get(name);
            if (s == null) {
                throw new CheckpointException(source() + ": no tensor " + name);
            }
            return s;
        }

        @Override
        public String source() {
            return base.source();
        }

        @Override
        public void close() {
            base.close();
        }
    }
}
