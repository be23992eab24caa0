package org.transformers4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.spark.TestSpark.assertClose;
import static org.transformers4j.spark.TestSpark.collectById;
import static org.transformers4j.spark.TestSpark.cpu;
import static org.transformers4j.spark.TestSpark.floats;
import static org.transformers4j.spark.TestSpark.folder;
import static org.transformers4j.spark.TestSpark.numberedTexts;
import static org.transformers4j.spark.TestSpark.spark;
import static org.transformers4j.spark.TestSpark.texts;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.tokenizer.Tokenizer;

/** The registered SQL functions: t4j_embed on the default model, a classifier, the _result companions, onError fail. */
class SqlFunctionsTest {

    @Test
    void embedInSqlEqualsTheLibrary() {
        List<String> texts = new ArrayList<>(List.of("A man is eating food.", "", "Someone plays a guitar."));
        texts.add(1, null);
        texts(texts, 2).createOrReplaceTempView("docs");
        T4jSpark.register(spark(), Task.EMBED, T4jOptions.defaults());
        List<Row> rows = collectById(spark().sql("SELECT id, text, t4j_embed(text) AS v FROM docs"), texts.size());
        try (SentenceEmbedder lib = DefaultModels.miniLmEmbedder(cpu())) {
            for (int i = 0; i < texts.size(); i++) {
                if (texts.get(i) == null) {
                    assertTrue(rows.get(i).isNullAt(2), "row " + i);
                } else {
                    assertClose(lib.embed(texts.get(i)), floats(rows.get(i), "v"), 1e-5, "row " + i);
                }
            }
        }
    }

    @Test
    void classifyInSqlWithErrorsAsResultsOrFailures() {
        Path dir = folder("bert-seqcls");
        List<String> texts = numberedTexts(16);
        texts(texts, 3).createOrReplaceTempView("reviews");
        T4jOptions o = T4jOptions.defaults().withModel(dir.toString());
        T4jSpark.register(spark(), Task.CLASSIFY, o);
        List<Row> rows = collectById(spark().sql("SELECT id, t4j_classify(text).label AS label, "
                + "t4j_classify(text).score AS score, t4j_classify_result(text).error AS error FROM reviews"), 16);
        try (TextClassifier lib = new TextClassifier(ModelRegistry.loadEncoder(dir, cpu()), Tokenizer.inDirectory(dir))) {
            for (int i = 0; i < texts.size(); i++) {
                String text = texts.get(i);
                Row r = rows.get(i);
                if (text == null || text.isEmpty()) {
                    assertTrue(r.isNullAt(1), "row " + i);
                    assertEquals(text == null ? null : Runners.NO_TOKENS, r.getString(3), "row " + i);
                } else {
                    TextClassifier.Label want = lib.classify(text).get(0);
                    assertEquals(want.label(), r.getString(1), "row " + i);
                    assertEquals(want.score(), r.getDouble(2), 1e-5, "row " + i);
                    assertTrue(r.isNullAt(3), "row " + i);
                }
            }
        }
        T4jSpark.register(spark(), "t4j_classify_strict", Task.CLASSIFY, o.withOnError(T4jOptions.OnError.FAIL));
        Exception e = assertThrows(Exception.class,
                () -> spark().sql("SELECT t4j_classify_strict(text) FROM reviews").collectAsList());
        assertTrue(messages(e).contains(Runners.NO_TOKENS), messages(e));
    }

    /** The messages of an exception and its causes. */
    static String messages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t.getMessage()).append(" | ");
        }
        return sb.toString();
    }
}
