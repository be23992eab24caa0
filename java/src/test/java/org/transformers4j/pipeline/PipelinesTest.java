package org.transformers4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tensor.SimulatedGpuBackend;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.BatchEncoding;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * The pipelines on the fixture checkpoints (random weights, 1000-token vocabulary) with a small
 * word-level tokenizer: each result is checked against the model's own logits.
 */
class PipelinesTest {
    static final String[] WORDS = {"paris", "is", "the", "capital", "of", "france", "john", "lives", "in", "berlin",
        "this", "movie", "was", "great", "terrible", "and", "smith", "new", "york", "."};
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    /** A WordLevel tokenizer.json: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4, then the words. */
    static Tokenizer wordTokenizer() {
        StringBuilder vocab = new StringBuilder("\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,\"[SEP]\":3,\"[MASK]\":4");
        for (int i = 0; i < WORDS.length; i++) {
            vocab.append(",\"").append(WORDS[i]).append("\":").append(i + 5);
        }
        String added = java.util.stream.Stream.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
                .map(t -> "{\"id\":" + List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]").indexOf(t) + ",\"content\":\""
                        + t + "\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}")
                .reduce((a, b) -> a + "," + b).orElseThrow();
        String cls = "{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}}", sep = "{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}}";
        String json = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[" + added + "],"
                + "\"normalizer\":{\"type\":\"Lowercase\"},\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
                + "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[" + cls
                + ",{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}," + sep + "],\"pair\":[" + cls
                + ",{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}," + sep + ",{\"Sequence\":{\"id\":\"B\",\"type_id\":1}},"
                + "{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":1}}],\"special_tokens\":{"
                + "\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[2],\"tokens\":[\"[CLS]\"]},"
                + "\"[SEP]\":{\"id\":\"[SEP]\",\"ids\":[3],\"tokens\":[\"[SEP]\"]}}},"
                + "\"decoder\":{\"type\":\"WordPiece\",\"prefix\":\"##\",\"cleanup\":true},"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"[UNK]\"}}";
        return Tokenizer.fromJson(json);
    }

    static EncoderModel fixture(String name) {
        return ModelRegistry.loadEncoder(Fixtures.model(name), cpu);
    }

    static float[] logits(EncoderModel m, Tokenizer t, String text) {
        BatchEncoding enc = t.encodeBatch(List.of(text));
        try (TensorArena a = TensorArena.confined()) {
            return m.forward(new EncoderInput(1, enc.seq(), enc.ids(), enc.attentionMask(), enc.typeIds()), false, a)
                    .logits().toFloatArray();
        }
    }

    @Test
    void fillMaskRanksTheLogitsAtTheMask() {
        try (FillMask fm = new FillMask(fixture("bert-mlm"), wordTokenizer(), "[MASK]")) {
            String text = "Paris is the [MASK] of France.";
            List<FillMask.Prediction> preds = fm.fill(text, 5).get(0);
            assertEquals(5, preds.size());
            try (Tokenizer t = wordTokenizer(); EncoderModel m = fixture("bert-mlm")) {
                float[] l = logits(m, t, text);
                int v = m.vocabSize(), pos = 4; // [CLS] paris is the [MASK]
                double[] p = Scores.softmax(l, pos * v, v);
                int best = 0;
                for (int i = 1; i < v; i++) {
                    best = p[i] > p[best] ? i : best;
                }
                assertEquals(best, preds.get(0).tokenId());
                // the pipeline projects the mask row alone (another product kernel than for all rows): last bits
                assertEquals(p[best], preds.get(0).score(), 1e-6);
            }
            for (int i = 1; i < preds.size(); i++) {
                assertTrue(preds.get(i - 1).score() >= preds.get(i).score());
            }
            assertThrows(IllegalArgumentException.class, () -> fm.fill("no mask here", 3));
        }
    }

    @Test
    void textClassificationGivesLabelProbabilities() {
        try (TextClassifier tc = new TextClassifier(fixture("bert-seqcls"), wordTokenizer())) {
            List<List<TextClassifier.Label>> out = tc.classify(List.of("this movie was great", "terrible ."));
            for (List<TextClassifier.Label> labels : out) {
                assertEquals(3, labels.size());
                assertEquals(1.0, labels.stream().mapToDouble(TextClassifier.Label::score).sum(), 1e-9);
                assertTrue(labels.stream().map(TextClassifier.Label::label).toList()
                        .containsAll(List.of("negative", "neutral", "positive")));
            }
            List<TextClassifier.Label> alone = tc.classify("this movie was great");
            for (int i = 0; i < 3; i++) {
                assertEquals(alone.get(i).label(), out.get(0).get(i).label(), "batched ranks as alone");
                assertEquals(alone.get(i).score(), out.get(0).get(i).score(), 1e-6, "batched scores as alone");
            }
        }
    }

    @Test
    void tokenClassificationMergesEntitiesWithOffsets() {
        String text = "John Smith lives in New York";
        List<TokenClassifier.TokenLabel> tags = List.of(
                new TokenClassifier.TokenLabel("john", "B-PER", 0.9, 0, 4),
                new TokenClassifier.TokenLabel("smith", "I-PER", 0.7, 5, 10),
                new TokenClassifier.TokenLabel("lives", "O", 0.99, 11, 16),
                new TokenClassifier.TokenLabel("in", "O", 0.99, 17, 19),
                new TokenClassifier.TokenLabel("new", "B-LOC", 0.8, 20, 23),
                new TokenClassifier.TokenLabel("york", "I-LOC", 0.6, 24, 28));
        List<TokenClassifier.Entity> e = TokenClassifier.merge(tags, text);
        assertEquals(2, e.size());
        assertEquals(new TokenClassifier.Entity("PER", 0.8, "John Smith", 0, 10), e.get(0));
        assertEquals("LOC", e.get(1).type());
        assertEquals("New York", e.get(1).word());
        assertEquals(0.7, e.get(1).score(), 1e-12);
        try (TokenClassifier tc = new TokenClassifier(fixture("bert-tokcls"), wordTokenizer())) {
            List<TokenClassifier.TokenLabel> labels = tc.labelTokens(text);
            assertEquals(6, labels.size());
            for (TokenClassifier.TokenLabel l : labels) {
                assertEquals(l.token(), text.substring(l.start(), l.end()).toLowerCase());
            }
            for (TokenClassifier.Entity ent : tc.entities(text)) {
                assertEquals(ent.word(), text.substring(ent.start(), ent.end()));
            }
        }
    }

    /** The pipelines read every result through the host: on a (simulated) GPU they answer as on the CPU. */
    @Test
    void pipelinesAnswerTheSameOnAGpuDevice() {
        String text = "John Smith lives in New York";
        try (SimulatedGpuBackend gpu = SimulatedGpuBackend.create();
             FillMask cpuFm = new FillMask(fixture("bert-mlm"), wordTokenizer(), "[MASK]");
             FillMask gpuFm = new FillMask(ModelRegistry.loadEncoder(Fixtures.model("bert-mlm"), gpu), wordTokenizer(),
                     "[MASK]");
             TextClassifier cpuTc = new TextClassifier(fixture("bert-seqcls"), wordTokenizer());
             TextClassifier gpuTc = new TextClassifier(ModelRegistry.loadEncoder(Fixtures.model("bert-seqcls"), gpu),
                     wordTokenizer());
             TokenClassifier cpuNer = new TokenClassifier(fixture("bert-tokcls"), wordTokenizer());
             TokenClassifier gpuNer = new TokenClassifier(ModelRegistry.loadEncoder(Fixtures.model("bert-tokcls"), gpu),
                     wordTokenizer())) {
            var want = cpuFm.fill("Paris is the [MASK] of France.", 3).get(0);
            var got = gpuFm.fill("Paris is the [MASK] of France.", 3).get(0);
            for (int i = 0; i < 3; i++) {
                assertEquals(want.get(i).tokenId(), got.get(i).tokenId());
                assertEquals(want.get(i).score(), got.get(i).score(), 1e-5); // other product kernels: last bits
            }
            var wantLabels = cpuTc.classify("this movie was great");
            var gotLabels = gpuTc.classify("this movie was great");
            for (int i = 0; i < wantLabels.size(); i++) {
                assertEquals(wantLabels.get(i).label(), gotLabels.get(i).label());
                assertEquals(wantLabels.get(i).score(), gotLabels.get(i).score(), 1e-6);
            }
            assertEquals(cpuNer.labelTokens(text).stream().map(TokenClassifier.TokenLabel::label).toList(),
                    gpuNer.labelTokens(text).stream().map(TokenClassifier.TokenLabel::label).toList());
        }
    }

    @Test
    void aPipelineRejectsTheWrongHead() {
        try (EncoderModel m = fixture("bert-mlm"); Tokenizer t = wordTokenizer()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TextClassifier(m, t));
            assertTrue(e.getMessage().contains("MASKED_LM"));
        }
    }

    @Test
    void tokenizerIdsReachTheModel() {
        try (Tokenizer t = wordTokenizer()) {
            assertArrayEquals(new long[] {2, 5, 6, 7, 4, 3}, t.encode("Paris is the [MASK]").ids());
        }
    }
}
