package org.transformers4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.spark.TestSpark.assertClose;
import static org.transformers4j.spark.TestSpark.cpu;
import static org.transformers4j.spark.TestSpark.floats;
import static org.transformers4j.spark.TestSpark.folder;
import static org.transformers4j.spark.TestSpark.scratch;
import static org.transformers4j.spark.TestSpark.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.tokenizer.Tokenizer;

/** The example job: a CSV of texts (quoted, with commas and line breaks) to Parquet, as the library embeds them. */
class EmbedJobTest {

    @Test
    void csvInParquetOut() throws Exception {
        Path dir = folder("bert-mlm");
        Path csv = scratch().resolve("docs.csv");
        List<String> texts = List.of("t5 t6 t7", "t8, t9", "t10\nt11", "t12 \"t13\"");
        StringBuilder sb = new StringBuilder("doc,body\n");
        for (int i = 0; i < texts.size(); i++) {
            sb.append(i).append(",\"").append(texts.get(i).replace("\"", "\"\"")).append("\"\n");
        }
        sb.append("4,\n");
        Files.writeString(csv, sb.toString());
        Path out = scratch().resolve("docs-embedded.parquet");
        long written = EmbedJob.run(spark(), EmbedJob.Args.parse("--input", csv.toString(), "--output", out.toString(),
                "--text-column", "body", "--output-column", "vec", "--model", dir.toString(), "--partitions", "2",
                "--overwrite", "--option", "batchSize=2"));
        assertEquals(5, written);
        List<Row> rows = new ArrayList<>(spark().read().parquet(out.toString()).orderBy("doc").collectAsList());
        try (SentenceEmbedder lib = new SentenceEmbedder(ModelRegistry.loadEncoder(dir, cpu()),
                Tokenizer.inDirectory(dir), true)) {
            for (int i = 0; i < texts.size(); i++) {
                assertEquals(texts.get(i), rows.get(i).getString(1));
                assertClose(lib.embed(texts.get(i)), floats(rows.get(i), "vec"), 1e-5, "row " + i);
            }
        }
        assertTrue(rows.get(4).isNullAt(2), "an empty CSV field is null: no embedding, no error");
        assertTrue(rows.get(4).isNullAt(3));
    }

    @Test
    void badArgumentsAreRefusedWithTheUsage() {
        var missing = assertThrows(IllegalArgumentException.class, () -> EmbedJob.Args.parse("--input", "a.csv"));
        assertTrue(missing.getMessage().contains("--input and --output are required"), missing.getMessage());
        assertTrue(missing.getMessage().contains("usage: EmbedJob"));
        var flag = assertThrows(IllegalArgumentException.class,
                () -> EmbedJob.Args.parse("--input", "a", "--output", "b", "--colour", "red"));
        assertTrue(flag.getMessage().startsWith("unknown flag --colour"), flag.getMessage());
        var option = assertThrows(IllegalArgumentException.class,
                () -> EmbedJob.Args.parse("--input", "a", "--output", "b", "--option", "batchSize=lots"));
        assertEquals("option batchSize: not a number: lots", option.getMessage());
        EmbedJob.Args a = EmbedJob.Args.parse("--input", "texts.CSV", "--output", "b", "--option", "onError=fail");
        assertEquals("csv", a.format());
        assertEquals(T4jOptions.OnError.FAIL, a.options().onError());
    }
}
