package org.transformers4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.QuestionAnswerer.Answer;
import org.transformers4j.pipeline.QuestionAnswerer.Options;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * The question-answering pipeline on the bert-qa fixture (whose head the fixture checks) with a
 * word-level tokenizer over its 1000 ids and BERT's pair template: windows batched and padded,
 * run in passes, give exactly the answers that each window run alone gives under the span rules
 * (which {@link AnswerSpansTest} checks); and its refusals and lifecycle.
 */
class QuestionAnswererTest {
    static CpuBackend cpu;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    /** [PAD] 0, [CLS] 1, [SEP] 2, words w3 .. w999; BERT's template with type id 1 for the pair. */
    static Tokenizer wordTokenizer() {
        StringBuilder vocab = new StringBuilder("\"[PAD]\":0,\"[CLS]\":1,\"[SEP]\":2");
        for (int i = 3; i < 1000; i++) {
            vocab.append(",\"w").append(i).append("\":").append(i);
        }
        StringBuilder added = new StringBuilder();
        String[] specials = {"[PAD]", "[CLS]", "[SEP]"};
        for (int i = 0; i < specials.length; i++) {
            added.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"content\":\"").append(specials[i])
                    .append("\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,"
                            + "\"special\":true}");
        }
        return Tokenizer.fromJson("{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[" + added
                + "],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":{\"type\":"
                + "\"BertProcessing\",\"sep\":[\"[SEP]\",2],\"cls\":[\"[CLS]\",1]},\"decoder\":null,\"model\":{\"type\":"
                + "\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"w3\"}}");
    }

    static QuestionAnswerer answerer() {
        return new QuestionAnswerer(ModelRegistry.loadEncoder(Fixtures.model("bert-qa"), cpu), wordTokenizer());
    }

    /** n words "w.." chosen by a fixed rule. */
    static String words(int n, int seed) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : " ").append('w').append(3 + (seed + 37 * i) % 997);
        }
        return b.toString();
    }

    @Test
    void batchedWindowsGiveWhatEachWindowAloneGives() {
        try (QuestionAnswerer qa = answerer()) {
            // the fixture has 64 positions: windows of 64 tokens, stride 32
            List<QuestionAnswerer.Question> questions = List.of(qa.encode(words(5, 1), words(600, 2)),
                    qa.encode(words(3, 3), words(20, 4)), qa.encode(words(9, 5), words(120, 6)));
            assertTrue(questions.get(0).windows().size() > QuestionAnswerer.MAX_WINDOWS_PER_PASS,
                    "windows: " + questions.get(0).windows().size());
            assertEquals(1, questions.get(1).windows().size());
            for (Options o : List.of(Options.DEFAULTS, new Options(5, 4, true), new Options(3, 15, false))) {
                List<List<Answer>> batched = qa.answerEncoded(questions, o);
                for (int q = 0; q < questions.size(); q++) {
                    List<Answer> alone = oneByOne(qa, questions.get(q), o);
                    assertSame(alone, batched.get(q), "question " + q + " with " + o);
                    assertTrue(!alone.isEmpty() && alone.size() <= o.topK());
                    for (Answer a : alone) {
                        assertEquals(a.answer(), questions.get(q).context().substring(a.start(), a.end()));
                    }
                }
            }
            assertSame(qa.answerEncoded(List.of(questions.get(2)), Options.DEFAULTS).get(0),
                    qa.answer(words(9, 5), words(120, 6)), "answer()");
        }
    }

    /** The same answers in the same order, scores equal but for float32 rounding in a differently shaped batch. */
    private static void assertSame(List<Answer> want, List<Answer> got, String what) {
        assertEquals(want.size(), got.size(), what);
        for (int i = 0; i < want.size(); i++) {
            Answer w = want.get(i), g = got.get(i);
            assertEquals(List.of(w.answer(), w.start(), w.end()), List.of(g.answer(), g.start(), g.end()), what);
            assertEquals(w.score(), g.score(), 1e-6 * w.score(), what);
        }
    }

    /** Each window through the model alone, unpadded, and the span rules over their logits. */
    private static List<Answer> oneByOne(QuestionAnswerer qa, QuestionAnswerer.Question q, Options o) {
        List<float[]> starts = new ArrayList<>(), ends = new ArrayList<>();
        for (Encoding w : q.windows()) {
            try (TensorArena arena = TensorArena.confined()) {
                float[] both = qa.model().forward(new EncoderInput(1, w.length(), w.ids(), null, w.typeIds()), false,
                        arena).logits().toFloatArray();
                float[] s = new float[w.length()], e = new float[w.length()];
                for (int t = 0; t < w.length(); t++) {
                    s[t] = both[2 * t];
                    e[t] = both[2 * t + 1];
                }
                starts.add(s);
                ends.add(e);
            }
        }
        return AnswerSpans.decode(q.context(), q.windows(), starts, ends, 1, o);
    }

    @Test
    void badInputIsRefusedNamingIt() {
        try (QuestionAnswerer qa = answerer()) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> qa.answer("", "w5")).getMessage()
                    .contains("question must not be empty"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> qa.answer("w5", null)).getMessage()
                    .contains("context must not be null"));
            var tooLong = assertThrows(IllegalArgumentException.class, () -> qa.answer(words(70, 1), words(10, 2)));
            assertTrue(tooLong.getMessage().contains("leaving none of the 64"), tooLong.getMessage());
            var stride = assertThrows(IllegalArgumentException.class, () -> qa.answer(words(40, 1), words(100, 2)));
            assertTrue(stride.getMessage().contains("stride 32 must be less than"), stride.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new Options(0, 15, false));
            assertThrows(IllegalArgumentException.class, () -> new Options(1, 0, false));
            assertThrows(IllegalArgumentException.class, () -> qa.answerEncoded(List.of(), Options.DEFAULTS));
        }
        EncoderModel model = ModelRegistry.loadEncoder(Fixtures.model("bert-qa"), cpu);
        try (Tokenizer tok = wordTokenizer()) {
            assertThrows(IllegalArgumentException.class, () -> new QuestionAnswerer(model, tok, 65, 10));
            assertThrows(IllegalArgumentException.class, () -> new QuestionAnswerer(model, tok, 32, 33));
        } finally {
            model.close();
        }
        try (EncoderModel mlm = ModelRegistry.loadEncoder(Fixtures.model("bert-mlm"), cpu); Tokenizer tok = wordTokenizer()) {
            var e = assertThrows(IllegalArgumentException.class, () -> new QuestionAnswerer(mlm, tok));
            assertTrue(e.getMessage().contains("has head MASKED_LM"), e.getMessage());
        }
    }

    @Test
    void closingReleasesTheModelAndLaterCallsFail() {
        QuestionAnswerer qa = answerer();
        var q = qa.encode(words(3, 1), words(10, 2));
        qa.answer(words(3, 1), words(10, 2));
        qa.close();
        qa.close();
        assertThrows(IllegalStateException.class, () -> qa.answer(words(3, 1), words(10, 2)));
        assertThrows(IllegalStateException.class, () -> qa.answerEncoded(List.of(q), Options.DEFAULTS));
        try (TensorArena arena = TensorArena.confined()) {
            assertThrows(IllegalStateException.class, () -> qa.model().forward(new EncoderInput(1, 1, new long[] {5},
                    null, null), false, arena));
        }
    }
}
