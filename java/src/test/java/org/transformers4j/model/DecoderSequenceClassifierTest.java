package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.nn.KvCache;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.tensor.SimulatedGpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * Decoder-only sequence classifiers (GenericForSequenceClassification): the pooling rule on
 * hand-made rows, and LlamaForSequenceClassification on the llama fixture's weights with a score
 * head added, whose labels must be the score of transformers' own last hidden state (the
 * fixture's hidden_states[2]) at the pooled position.
 */
class DecoderSequenceClassifierTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @Test
    void theRightmostTokenThatIsNotPaddingIsPooled() {
        long[] ids = {
            7, 8, 9, 0, 0, // right padding: 2
            0, 0, 7, 8, 9, // left padding: 4
            7, 0, 8, 9, 0, // a pad id inside, another at the end: 3
            0, 0, 0, 0, 0, // only padding: 0 (argmax of zeros)
            7, 0, 0, 0, 0}; // the first position: 0
        int[] want = {2, 4, 3, 0, 0};
        for (int r = 0; r < want.length; r++) {
            assertEquals(want[r], DecoderSequenceClassifier.pooledPosition(0, ids, null, want.length, 5, r),
                    "row " + r);
        }
        // transformers reads the ids, not the mask: a real last token equal to pad_token_id is skipped
        long[] mask = {1, 1, 1, 1, 1};
        assertEquals(3, DecoderSequenceClassifier.pooledPosition(0, new long[] {7, 8, 9, 5, 0}, mask, 1, 5, 0));
        assertEquals(4, DecoderSequenceClassifier.pooledPosition(null, new long[] {7, 8, 9, 5, 3},
                new long[] {1, 1, 1, 0, 0}, 1, 5, 0), "one row without pad_token_id: the last position, as transformers' -1");
        long[] twoRows = {7, 8, 9, 5, 3, 7, 8, 9, 5, 3};
        long[] twoMasks = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
        assertEquals(2, DecoderSequenceClassifier.pooledPosition(null, twoRows, twoMasks, 2, 5, 0),
                "a batch: the last real position");
        assertEquals(4, DecoderSequenceClassifier.pooledPosition(null, twoRows, twoMasks, 2, 5, 1));
    }

    /** The llama fixture as LlamaForSequenceClassification with a random score [3, 48] beside its weights. */
    static Path llamaClassifier(Path tmp, float[] score) throws IOException {
        Path src = Fixtures.model("llama");
        try (Checkpoint ckpt = Checkpoints.open(src); TensorArena arena = TensorArena.confined()) {
            Map<String, Tensor> tensors = new HashMap<>();
            for (String name : ckpt.names()) {
                if (!name.equals("lm_head.weight")) {
                    tensors.put(name, ckpt.load(name, arena));
                }
            }
            tensors.put("score.weight", arena.of(score, 3, 48));
            SafeTensorsWriter.write(tmp.resolve("model.safetensors"), tensors, Map.of());
        }
        var json = ModelConfig.read(src.resolve("config.json")).json();
        json.add("architectures", JsonParser.parseString("[\"LlamaForSequenceClassification\"]"));
        json.add("id2label", JsonParser.parseString("{\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"}"));
        Files.writeString(tmp.resolve("config.json"), json.toString());
        return tmp;
    }

    @Test
    void llamaForSequenceClassificationScoresTransformersLastHiddenStateAtThePooledToken(@TempDir Path tmp)
            throws IOException {
        float[] score = new float[3 * 48];
        Random rnd = new Random(5);
        for (int i = 0; i < score.length; i++) {
            score[i] = (float) (rnd.nextGaussian() * 0.3);
        }
        Path dir = llamaClassifier(tmp, score);
        Path ref = Fixtures.model("llama").resolve("reference.safetensors");
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu); SafeTensors want = SafeTensors.open(ref);
             TensorArena arena = TensorArena.confined()) {
            assertEquals(EncoderModel.Head.SEQUENCE_CLASSIFICATION, model.head());
            assertEquals(ModelRegistry.Kind.ENCODER, ModelRegistry.kind(model.config()));
            long[] ids = want.loadLongs("input_ids"), mask = want.loadLongs("attention_mask");
            float[] got = model.forward(new EncoderInput(2, 10, ids, mask, null), false, arena).logits().toFloatArray();
            float[] last = want.load("hidden_states.2", arena).toFloatArray(); // transformers' [2, 10, 48]
            int[] pooled = {9, 5}; // row 0 is all real; row 1 is right-padded with pad_token_id 0 after 6 tokens
            double err = 0, mag = 0;
            for (int r = 0; r < 2; r++) {
                for (int label = 0; label < 3; label++) {
                    double expected = 0;
                    for (int c = 0; c < 48; c++) {
                        expected += (double) score[label * 48 + c] * last[(r * 10 + pooled[r]) * 48 + c];
                    }
                    err = Math.max(err, Math.abs(got[r * 3 + label] - expected));
                    mag = Math.max(mag, Math.abs(expected));
                }
            }
            assertTrue(err / mag < 1e-5, "relative error " + err / mag);
        }
    }

    /**
     * The classifier without its padding (right- and left-padded rows and a full one, on the CPU
     * and on device memory): the labels and the last hidden state at real positions of the padded
     * pass; a mask with a hole runs padded.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cpu", "simulated-gpu"})
    void theUnpaddedPassGivesThePaddedPassesLabels(String where, @TempDir Path tmp) throws IOException {
        float[] score = new float[3 * 48];
        Random rnd = new Random(9);
        for (int i = 0; i < score.length; i++) {
            score[i] = (float) (rnd.nextGaussian() * 0.3);
        }
        Path dir = llamaClassifier(tmp, score);
        int b = 3, s = 9;
        long[] ids = new long[b * s], mask = new long[b * s];
        for (int i = 0; i < ids.length; i++) {
            int r = i / s, j = i % s;
            boolean real = r == 0 ? j < 5 : r == 1 ? j >= 3 : true; // right-padded, left-padded, full
            ids[i] = real ? 3 + (i * 31) % 90 : 0; // 0 is the config's pad_token_id
            mask[i] = real ? 1 : 0;
        }
        try (Backend backend = where.equals("cpu") ? CpuBackend.create() : SimulatedGpuBackend.create();
             EncoderModel model = ModelRegistry.loadEncoder(dir, backend); TensorArena arena = TensorArena.confined()) {
            var in = new EncoderInput(b, s, ids, mask, null);
            EncoderOutput padded = model.forward(in, false, arena), packed = model.forwardUnpadded(in, arena);
            assertClose(padded.logits().toFloatArray(), packed.logits().toFloatArray(), "labels");
            float[] want = padded.lastHiddenState().toFloatArray(), got = packed.lastHiddenState().toFloatArray();
            for (int i = 0; i < b * s; i++) {
                if (mask[i] == 1) {
                    assertClose(java.util.Arrays.copyOfRange(want, i * 48, i * 48 + 48),
                            java.util.Arrays.copyOfRange(got, i * 48, i * 48 + 48), "hidden state at " + i);
                }
            }
            long[] holey = mask.clone();
            holey[2 * s + 4] = 0;
            var withHole = new EncoderInput(b, s, ids, holey, null);
            assertClose(model.forward(withHole, false, arena).logits().toFloatArray(),
                    model.forwardUnpadded(withHole, arena).logits().toFloatArray(), "labels with a hole");
        }
    }

    /** Max |got - want| within 1e-5 of max(1, |want|). */
    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5 * Math.max(1, Math.abs(want[i])), what + " [" + i + "]");
        }
    }

    /**
     * output_attentions through the classifier: the probabilities of its decoder stack (those of
     * the llama fixture run as a causal LM, the same weights), and the same labels as without them.
     */
    @Test
    void theClassifierGivesItsDecodersAttentionProbabilities(@TempDir Path tmp) throws IOException {
        Path dir = llamaClassifier(tmp, new float[3 * 48]);
        Path ref = Fixtures.model("llama").resolve("reference.safetensors");
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu);
             DecoderModel lm = ModelRegistry.loadDecoder(Fixtures.model("llama"), cpu);
             SafeTensors want = SafeTensors.open(ref); TensorArena arena = TensorArena.confined()) {
            long[] ids = want.loadLongs("input_ids"), mask = want.loadLongs("attention_mask");
            var in = new EncoderInput(2, 10, ids, mask, null);
            EncoderOutput withMaps = model.forward(in, false, true, arena);
            List<Tensor> expected;
            try (KvCache cache = lm.newCache(2, 10)) {
                expected = lm.forward(new DecoderInput(2, 10, ids, mask, null), cache, false, false, true, arena)
                        .attentions();
            }
            assertEquals(expected.size(), withMaps.attentions().size());
            for (int l = 0; l < expected.size(); l++) {
                assertArrayEquals(expected.get(l).toFloatArray(), withMaps.attentions().get(l).toFloatArray(),
                        "layer " + l);
            }
            assertArrayEquals(model.forward(in, false, arena).logits().toFloatArray(), withMaps.logits().toFloatArray(),
                    1e-5f);
        }
    }

    /**
     * TextClassifier over a decoder classifier: a batch padded with the tokenizer's pad id (0, the
     * config's pad_token_id) gives each text the labels it gets alone; ids outside the vocabulary
     * and loading it as a causal LM are refused by name.
     */
    @Test
    void theTextClassifierPipelineTakesADecoderClassifier(@TempDir Path tmp) throws IOException {
        float[] score = new float[3 * 48];
        Random rnd = new Random(9);
        for (int i = 0; i < score.length; i++) {
            score[i] = (float) (rnd.nextGaussian() * 0.3);
        }
        Path dir = llamaClassifier(tmp, score);
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            vocab.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":").append(i);
        }
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\":\"1.0\",\"truncation\":null,"
                + "\"padding\":null,\"added_tokens\":[],\"normalizer\":null,"
                + "\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"w0\"}}");
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu);
             TextClassifier classifier = new TextClassifier(model, Tokenizer.inDirectory(dir))) {
            var batch = classifier.classify(List.of("w5 w6 w7 w8", "w9"));
            for (int r = 0; r < 2; r++) {
                var alone = classifier.classify(List.of(r == 0 ? "w5 w6 w7 w8" : "w9")).get(0);
                assertEquals(alone.get(0).label(), batch.get(r).get(0).label());
                for (int i = 0; i < 3; i++) {
                    assertEquals(alone.get(i).score(), batch.get(r).get(i).score(), 1e-6, "row " + r);
                }
            }
            var e = assertThrows(IllegalArgumentException.class, () -> model.forward(new EncoderInput(1, 2,
                    new long[] {5, 1000}, null, null), false, TensorArena.confined()));
            assertTrue(e.getMessage().contains("token id 1000 is outside the vocabulary of 1000"), e.getMessage());
        }
        var lm = assertThrows(CheckpointException.class, () -> ModelRegistry.loadDecoder(dir, cpu));
        assertTrue(lm.getMessage().contains("architecture LlamaForSequenceClassification is not supported"),
                lm.getMessage());
    }
}
