package org.transformers4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.spark.TestSpark.collectById;
import static org.transformers4j.spark.TestSpark.cpu;
import static org.transformers4j.spark.TestSpark.folder;
import static org.transformers4j.spark.TestSpark.numberedTexts;
import static org.transformers4j.spark.TestSpark.texts;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.pipeline.Text2TextGenerator;
import org.transformers4j.pipeline.TextGenerator;

/**
 * Text generation (decoder-only, through the generation scheduler) and text2text (encoder-decoder,
 * through the locked pipeline) over DataFrames with nulls and empty prompts: each row's text, or
 * its error, is what the library's pipeline gives for that prompt alone with the same settings.
 */
class GenerationTasksTest {
    static final int ROWS = 24;

    /** Each row against the library's result for its text alone (or the library's message where it fails). */
    static void assertRowsMatch(List<String> texts, List<Row> rows, Function<String, String> library) {
        int generated = 0;
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            Row r = rows.get(i);
            if (text == null) {
                assertTrue(r.isNullAt(2) && r.isNullAt(3), "row " + i);
                continue;
            }
            String want;
            try {
                want = library.apply(text);
            } catch (RuntimeException e) {
                assertTrue(r.isNullAt(2), "row " + i);
                assertEquals(Runner.describe(e), r.getString(3), "row " + i);
                continue;
            }
            assertEquals(want, r.getString(2), "row " + i + ": " + text);
            assertTrue(r.isNullAt(3), "row " + i);
            generated++;
        }
        assertTrue(generated > texts.size() / 2, "most rows generated: " + generated);
    }

    @Test
    void greedyAndSampledGenerationEqualTheLibrarys() {
        Path dir = folder("gpt2");
        List<String> texts = numberedTexts(ROWS);
        T4jOptions greedy = T4jOptions.defaults().withModel(dir.toString()).withMaxNewTokens(6).withBatchSize(5);
        T4jOptions sampled = greedy.withDoSample(true).withTemperature(0.8).withTopK(20).withSeed(42);
        List<Row> g = collectById(T4jSpark.generate(texts(texts, 3), "text", "out", greedy), ROWS);
        List<Row> s = collectById(T4jSpark.generate(texts(texts, 4), "text", "out", sampled), ROWS);
        try (TextGenerator lib = TextGenerator.load(dir, cpu())) {
            GenerationConfig gc = ExecutorModels.generationConfig(lib.defaults(), greedy);
            GenerationConfig sc = ExecutorModels.generationConfig(lib.defaults(), sampled);
            assertRowsMatch(texts, g, t -> lib.generate(List.of(t), gc, null).get(0).get(0).text());
            assertRowsMatch(texts, s, t -> lib.generate(List.of(t), sc, null).get(0).get(0).text());
        }
        assertEquals(1, T4jSpark.modelLoads(Task.GENERATE, dir.toString()), "both settings on one loaded model");
    }

    @Test
    void text2TextEqualsTheLibrarys() {
        Path dir = folder("t5");
        List<String> texts = numberedTexts(ROWS);
        T4jOptions o = T4jOptions.defaults().withModel(dir.toString()).withMaxNewTokens(6).withBatchSize(4);
        List<Row> rows = collectById(T4jSpark.text2text(texts(texts, 3), "text", "out", o), ROWS);
        try (Text2TextGenerator lib = Text2TextGenerator.load(dir, cpu())) {
            GenerationConfig c = ExecutorModels.generationConfig(lib.defaults(), o);
            assertRowsMatch(texts, rows, t -> lib.generate(List.of(t), c, null).get(0).get(0).text());
        }
        assertEquals(1, T4jSpark.modelLoads(Task.TEXT2TEXT, dir.toString()));
    }

    @Test
    void beamSearchText2TextEqualsTheLibrarys() {
        Path dir = folder("bart");
        List<String> texts = numberedTexts(10);
        T4jOptions o = T4jOptions.defaults().withModel(dir.toString()).withMaxNewTokens(5).withNumBeams(3);
        List<Row> rows = collectById(T4jSpark.text2text(texts(texts, 2), "text", "out", o), 10);
        try (Text2TextGenerator lib = Text2TextGenerator.load(dir, cpu())) {
            GenerationConfig c = ExecutorModels.generationConfig(lib.defaults(), o);
            assertRowsMatch(texts, rows, t -> lib.generate(List.of(t), c, null).get(0).get(0).text());
        }
    }
}
