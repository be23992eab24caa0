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
import static org.transformers4j.spark.TestSpark.scratch;
import static org.transformers4j.spark.TestSpark.texts;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.tokenizer.Tokenizer;

/** The ML Transformer: in a Pipeline beside a Spark stage, saved and loaded with its params, results as the library's. */
class TransformerTest {

    @Test
    void aPipelineOfTwoTasksSavedAndLoadedGivesTheLibrarysResults() throws Exception {
        Path embedDir = folder("bert-mlm");
        Path classifyDir = folder("bert-seqcls");
        T4jTransformer embed = new T4jTransformer().setTask("embed").setInputCol("text").setOutputCol("features")
                .setModel(embedDir.toString()).setBatchSize(7).setNormalize(false);
        T4jTransformer classify = new T4jTransformer().setTask("classify").setInputCol("text")
                .setOutputCol("labels").setModel(classifyDir.toString()).setAllScores(true).setErrorCol("why");
        SQLTransformer top = new SQLTransformer().setStatement(
                "SELECT *, labels[0].label AS best FROM __THIS__");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {embed, classify, top});
        List<String> texts = numberedTexts(20);
        Dataset<Row> df = texts(texts, 3);
        PipelineModel fitted = pipeline.fit(df);
        String path = scratch().resolve("pipeline").toString();
        fitted.write().overwrite().save(path);
        PipelineModel loaded = PipelineModel.load(path);

        T4jTransformer embedLoaded = (T4jTransformer) loaded.stages()[0];
        assertEquals(embed.uid(), embedLoaded.uid());
        assertEquals(embed.options(), embedLoaded.options(), "params saved and loaded");
        assertEquals(Task.CLASSIFY, ((T4jTransformer) loaded.stages()[1]).getTask());

        List<Row> rows = collectById(loaded.transform(df), 20);
        assertEquals(List.of("id", "text", "features", "features_error", "labels", "why", "best"),
                List.of(loaded.transform(df).columns()));
        try (SentenceEmbedder e = new SentenceEmbedder(ModelRegistry.loadEncoder(embedDir, cpu()),
                Tokenizer.inDirectory(embedDir), false);
             TextClassifier c = new TextClassifier(ModelRegistry.loadEncoder(classifyDir, cpu()),
                     Tokenizer.inDirectory(classifyDir))) {
            for (int i = 0; i < texts.size(); i++) {
                String text = texts.get(i);
                Row r = rows.get(i);
                if (text == null || text.isEmpty()) {
                    assertTrue(r.isNullAt(2) && r.isNullAt(4) && r.isNullAt(6), "row " + i);
                    continue;
                }
                assertClose(e.embed(text), floats(r, "features"), 1e-5, "row " + i);
                assertEquals(c.classify(text).get(0).label(), r.getString(6), "row " + i);
            }
        }
    }

    @Test
    void paramsAreCheckedWhenSetAndTheSchemaWhenTransformed() {
        T4jTransformer t = new T4jTransformer();
        var bad = assertThrows(IllegalArgumentException.class, () -> t.setBatchSize(0));
        assertTrue(bad.getMessage().contains("batchSize must be >= 1, got 0"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.setTask("summarise-everything"));
        assertThrows(IllegalArgumentException.class, () -> t.setOnError("ignore"));
        assertEquals(32, t.options().batchSize(), "a refused value is not set");
        t.setOutputCol("text");
        var clash = assertThrows(IllegalArgumentException.class, () -> t.transformSchema(texts(List.of("a"), 1).schema()));
        assertTrue(clash.getMessage().contains("output column text must be a new column"), clash.getMessage());
        T4jTransformer copy = t.setOutputCol("v").setMaxNewTokens(9).copy(new org.apache.spark.ml.param.ParamMap());
        assertEquals(t.options(), copy.options());
        assertEquals(9, copy.options().maxNewTokens());
    }
}
