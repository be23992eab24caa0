package org.transformers4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.spark.TestSpark.assertClose;
import static org.transformers4j.spark.TestSpark.collectById;
import static org.transformers4j.spark.TestSpark.cpu;
import static org.transformers4j.spark.TestSpark.floats;
import static org.transformers4j.spark.TestSpark.folder;
import static org.transformers4j.spark.TestSpark.numberedTexts;
import static org.transformers4j.spark.TestSpark.texts;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.FillMask;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.pipeline.TokenClassifier;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * The encoder tasks over DataFrames of several partitions with nulls and empty strings: each
 * row's result equals what the library's own pipeline gives for its text in-process (within the
 * rounding that padding in a batch brings), a null text gives null, an empty one (no tokens with
 * this tokenizer) null and the error, and the model is loaded once for all partitions and batches.
 */
class EncoderTasksTest {
    static final int ROWS = 40;

    @Test
    void embeddingsEqualTheLibrarysOnTheFixture() {
        Path dir = folder("bert-mlm");
        List<String> texts = numberedTexts(ROWS);
        Dataset<Row> out = T4jSpark.embed(texts(texts, 4), "text", "embedding",
                T4jOptions.defaults().withModel(dir.toString()).withBatchSize(3));
        List<Row> rows = collectById(out, ROWS);
        try (SentenceEmbedder lib = new SentenceEmbedder(ModelRegistry.loadEncoder(dir, cpu()),
                Tokenizer.inDirectory(dir), true)) {
            for (int i = 0; i < ROWS; i++) {
                Row r = rows.get(i);
                String text = texts.get(i);
                if (text == null) {
                    assertTrue(r.isNullAt(2) && r.isNullAt(3), "row " + i + ": null in, null out, no error");
                } else if (text.isEmpty()) {
                    assertTrue(r.isNullAt(2), "row " + i);
                    assertEquals(Runners.NO_TOKENS, r.getString(3), "row " + i);
                } else {
                    assertClose(lib.embed(text), floats(r, "embedding"), 1e-5, "row " + i);
                    assertNull(r.get(3), "row " + i);
                }
            }
        }
        assertEquals(List.of("id", "text", "embedding", "embedding_error"), List.of(out.columns()));
    }

    @Test
    void embeddingsOfTheDefaultModelEqualTheLibrarys() {
        List<String> texts = new ArrayList<>(List.of("A man is eating food.", "", "A man is riding a horse.",
                "The new movie is awesome", "   ", "Der Himmel ist blau.", "a", "Les gens mangent du pain."));
        texts.add(2, null);
        texts.add(null);
        Dataset<Row> out = T4jSpark.embed(texts(texts, 3), "text", "v");
        List<Row> rows = collectById(out, texts.size());
        try (SentenceEmbedder lib = DefaultModels.miniLmEmbedder(cpu())) {
            for (int i = 0; i < texts.size(); i++) {
                if (texts.get(i) == null) {
                    assertTrue(rows.get(i).isNullAt(2), "row " + i);
                } else {
                    assertNull(rows.get(i).get(3), "row " + i + ": the empty text has [CLS] [SEP]");
                    assertClose(lib.embed(texts.get(i)), floats(rows.get(i), "v"), 1e-5, "row " + i);
                }
            }
        }
    }

    @Test
    void classificationEqualsTheLibrarys() {
        Path dir = folder("bert-seqcls");
        List<String> texts = numberedTexts(ROWS);
        T4jOptions o = T4jOptions.defaults().withModel(dir.toString()).withBatchSize(5);
        List<Row> best = collectById(T4jSpark.classify(texts(texts, 4), "text", "label", o), ROWS);
        List<Row> all = collectById(T4jSpark.classify(texts(texts, 3), "text", "labels", o.withAllScores(true)),
                ROWS);
        try (TextClassifier lib = new TextClassifier(ModelRegistry.loadEncoder(dir, cpu()), Tokenizer.inDirectory(dir))) {
            for (int i = 0; i < ROWS; i++) {
                String text = texts.get(i);
                if (text == null || text.isEmpty()) {
                    assertTrue(best.get(i).isNullAt(2) && all.get(i).isNullAt(2), "row " + i);
                    assertEquals(text == null ? null : Runners.NO_TOKENS, best.get(i).getString(3), "row " + i);
                    continue;
                }
                List<TextClassifier.Label> want = lib.classify(text);
                Row label = best.get(i).getStruct(2);
                assertEquals(want.get(0).label(), label.getString(0), "row " + i);
                assertEquals(want.get(0).score(), label.getDouble(1), 1e-5, "row " + i);
                List<Row> labels = all.get(i).getList(2);
                assertEquals(want.size(), labels.size(), "row " + i);
                for (int k = 0; k < want.size(); k++) {
                    assertEquals(want.get(k).label(), labels.get(k).getString(0), "row " + i + " label " + k);
                    assertEquals(want.get(k).score(), labels.get(k).getDouble(1), 1e-5, "row " + i + " label " + k);
                }
            }
        }
    }

    @Test
    void entitiesEqualTheLibrarys() {
        Path dir = folder("bert-tokcls");
        List<String> texts = numberedTexts(ROWS);
        List<Row> rows = collectById(T4jSpark.entities(texts(texts, 4), "text", "entities",
                T4jOptions.defaults().withModel(dir.toString()).withBatchSize(4)), ROWS);
        int found = 0;
        try (TokenClassifier lib = new TokenClassifier(ModelRegistry.loadEncoder(dir, cpu()), Tokenizer.inDirectory(dir))) {
            for (int i = 0; i < ROWS; i++) {
                String text = texts.get(i);
                if (text == null) {
                    assertTrue(rows.get(i).isNullAt(2), "row " + i);
                    continue;
                }
                List<TokenClassifier.Entity> want = lib.entities(text);
                List<Row> have = rows.get(i).getList(2);
                assertEquals(want.size(), have.size(), "row " + i + ": " + have);
                for (int k = 0; k < want.size(); k++) {
                    TokenClassifier.Entity e = want.get(k);
                    Row h = have.get(k);
                    assertEquals(List.of(e.type(), e.word(), e.start(), e.end()),
                            List.of(h.getString(0), h.getString(2), h.getInt(3), h.getInt(4)), "row " + i);
                    assertEquals(e.score(), h.getDouble(1), 1e-5, "row " + i);
                }
                found += want.size();
            }
        }
        assertTrue(found > 0, "the fixture finds entities");
    }

    @Test
    void fillMaskEqualsTheLibrarysAndATextWithoutMaskFailsAlone() {
        Path dir = folder("bert-mlm", "numbered-1000-mask.json");
        List<String> texts = new ArrayList<>();
        for (String t : numberedTexts(ROWS)) {
            texts.add(t == null || t.isEmpty() || t.length() % 5 == 0 ? t : t + " [MASK] t7 [MASK]");
        }
        List<Row> rows = collectById(T4jSpark.fillMask(texts(texts, 4), "text", "fill",
                T4jOptions.defaults().withModel(dir.toString()).withCandidates(3).withBatchSize(6)), ROWS);
        try (FillMask lib = new FillMask(ModelRegistry.loadEncoder(dir, cpu()), Tokenizer.inDirectory(dir), "[MASK]")) {
            for (int i = 0; i < ROWS; i++) {
                String text = texts.get(i);
                Row r = rows.get(i);
                if (text == null) {
                    assertTrue(r.isNullAt(2) && r.isNullAt(3), "row " + i);
                } else if (!text.contains("[MASK]")) {
                    assertTrue(r.isNullAt(2), "row " + i);
                    assertTrue(r.getString(3).contains("no mask token"), "row " + i + ": " + r.getString(3));
                } else {
                    List<List<FillMask.Prediction>> want = lib.fill(text, 3);
                    List<List<Row>> have = r.<scala.collection.Seq<Row>>getList(2).stream()
                            .map(scala.jdk.javaapi.CollectionConverters::asJava).toList();
                    assertEquals(2, have.size(), "row " + i + ": two masks");
                    for (int m = 0; m < 2; m++) {
                        for (int k = 0; k < 3; k++) {
                            FillMask.Prediction p = want.get(m).get(k);
                            Row h = have.get(m).get(k);
                            assertEquals(List.of(p.tokenId(), p.token(), p.sequence()),
                                    List.of(h.getLong(0), h.getString(1), h.getString(3)), "row " + i);
                            assertEquals(p.score(), h.getDouble(2), 1e-5, "row " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aTextLongerThanTheModelFailsAloneUnlessTruncated() {
        Path dir = folder("bert-mlm");
        StringBuilder sb = new StringBuilder("t5");
        for (int i = 0; i < 99; i++) {
            sb.append(" t").append(10 + i);
        }
        String tooLong = sb.toString();
        List<String> texts = List.of("t5 t6", tooLong, "t7 t8 t9");
        T4jOptions o = T4jOptions.defaults().withModel(dir.toString()).withErrorCol("why");
        List<Row> rows = collectById(T4jSpark.embed(texts(texts, 1), "text", "e", o), 3);
        assertTrue(rows.get(1).isNullAt(2));
        assertTrue(rows.get(1).getString(3).matches("the text has \\d+ tokens, more than the 64 positions of .*"),
                rows.get(1).getString(3));
        assertNull(rows.get(0).get(3));
        assertNull(rows.get(2).get(3));
        List<Row> truncated = collectById(T4jSpark.embed(texts(texts, 1), "text", "e", o.withMaxTokens(64)), 3);
        try (SentenceEmbedder lib = new SentenceEmbedder(ModelRegistry.loadEncoder(dir, cpu()),
                Tokenizer.inDirectory(dir).withTruncation(64), true)) {
            for (int i = 0; i < 3; i++) {
                assertNull(truncated.get(i).get(3), "row " + i);
                assertClose(lib.embed(texts.get(i)), floats(truncated.get(i), "e"), 1e-5, "row " + i);
            }
        }
    }
}
