package org.transformers4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.transformers4j.spark.TestSpark.assertClose;
import static org.transformers4j.spark.TestSpark.collectById;
import static org.transformers4j.spark.TestSpark.cpu;
import static org.transformers4j.spark.TestSpark.floats;
import static org.transformers4j.spark.TestSpark.folder;
import static org.transformers4j.spark.TestSpark.numberedTexts;
import static org.transformers4j.spark.TestSpark.spark;
import static org.transformers4j.spark.TestSpark.texts;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * One model per executor JVM: loaded by the first task that needs it (not when the operation is
 * defined), then shared by both task threads of local[2] across partitions, batches and jobs,
 * as the load counter shows; and a model shipped with addFile found through SparkFiles by name.
 */
class ModelSharingTest {

    @Test
    void oneLoadForEveryPartitionBatchAndJob() {
        Path dir = folder("bert-mlm", "numbered-1000.json", "bert-mlm-shared");
        T4jOptions o = T4jOptions.defaults().withModel(dir.toString()).withBatchSize(4);
        Dataset<Row> out = T4jSpark.embed(texts(numberedTexts(200), 8), "text", "e", o);
        assertEquals(0, T4jSpark.modelLoads(Task.EMBED, dir.toString()), "nothing loaded before an action");
        assertEquals(200, out.count());
        assertEquals(1, T4jSpark.modelLoads(Task.EMBED, dir.toString()),
                "one load for 8 partitions of 4-row batches on two task threads");
        assertEquals(200, out.filter("e is not null").count() + out.filter("e is null").count());
        assertEquals(1, T4jSpark.modelLoads(Task.EMBED, dir.toString()), "later jobs reuse the model");
        T4jSpark.releaseModels();
        assertEquals(200, out.count());
        assertEquals(2, T4jSpark.modelLoads(Task.EMBED, dir.toString()), "released, then loaded again by the next job");
    }

    @Test
    void aModelShippedWithAddFileIsFoundByName() {
        Path dir = folder("bert-mlm", "numbered-1000.json", "bert-mlm-shipped");
        spark().sparkContext().addFile(dir.toString(), true);
        List<String> texts = numberedTexts(12);
        T4jOptions o = T4jOptions.defaults().withModel("bert-mlm-shipped");
        List<Row> rows = collectById(T4jSpark.embed(texts(texts, 2), "text", "e", o), 12);
        try (SentenceEmbedder lib = new SentenceEmbedder(ModelRegistry.loadEncoder(dir, cpu()),
                Tokenizer.inDirectory(dir), true)) {
            for (int i = 0; i < texts.size(); i++) {
                if (texts.get(i) != null && !texts.get(i).isEmpty()) {
                    assertClose(lib.embed(texts.get(i)), floats(rows.get(i), "e"), 1e-5, "row " + i);
                }
            }
        }
        assertEquals(1, T4jSpark.modelLoads(Task.EMBED, "bert-mlm-shipped"));
    }
}
