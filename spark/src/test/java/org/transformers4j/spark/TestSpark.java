package org.transformers4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.transformers4j.backend.cpu.CpuBackend;

/**
 * What the tests share: one local[2] session for the whole run (starting Spark takes seconds),
 * model folders made from the library's fixtures, and the library's CPU backend for the
 * in-process reference results.
 */
final class TestSpark {
    private static SparkSession spark;
    private static Path scratch;
    private static CpuBackend cpu;

    private TestSpark() {
    }

    /** The session: local[2], no UI, few shuffle partitions. */
    static synchronized SparkSession spark() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2]").appName("transformers4j-spark tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.sql.session.timeZone", "UTC")
                    .getOrCreate();
        }
        return spark;
    }

    /** The library's CPU backend, for the reference results. */
    static synchronized CpuBackend cpu() {
        if (cpu == null) {
            cpu = CpuBackend.create();
        }
        return cpu;
    }

    /** A scratch folder for this run. */
    static synchronized Path scratch() {
        if (scratch == null) {
            try {
                scratch = Files.createTempDirectory("t4j-spark-test");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return scratch;
    }

    /** The library's test resources. */
    static Path resources() {
        return Path.of(System.getProperty("t4j.test.resources", "../java/src/test/resources"));
    }

    /**
     * A model folder as users give it: a fixture's config.json, model.safetensors and
     * generation_config.json, and a test tokenizer as tokenizer.json. Made once per name.
     */
    static Path folder(String fixture, String tokenizer) {
        return folder(fixture, tokenizer, fixture + "-" + tokenizer.replace(".json", ""));
    }

    /** The same under a name of its own (a folder no other test loads). */
    static synchronized Path folder(String fixture, String tokenizer, String name) {
        Path src = resources().resolve("fixtures/models/" + fixture);
        Path out = scratch().resolve(name);
        if (Files.isDirectory(out)) {
            return out;
        }
        try {
            Files.createDirectories(out);
            for (String f : List.of("config.json", "model.safetensors", "generation_config.json")) {
                if (Files.exists(src.resolve(f))) {
                    Files.copy(src.resolve(f), out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.copy(resources().resolve("tokenizers/" + tokenizer), out.resolve("tokenizer.json"),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** A fixture folder with the word-level tokenizer of vocabulary 1000. */
    static Path folder(String fixture) {
        return folder(fixture, "numbered-1000.json");
    }

    /** Rows (id int, text string) in the given number of partitions, in order. */
    static Dataset<Row> texts(List<String> texts, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            rows.add(RowFactory.create(i, texts.get(i)));
        }
        StructType schema = new StructType().add("id", DataTypes.IntegerType, false)
                .add("text", DataTypes.StringType, true);
        return spark().createDataFrame(rows, schema).repartition(partitions).sortWithinPartitions("id");
    }

    /** Texts of the numbered tokenizer's words ("t5 t17 ..."), some repeated, with nulls and empty ones. */
    static List<String> numberedTexts(int n) {
        List<String> out = new ArrayList<>();
        java.util.SplittableRandom r = new java.util.SplittableRandom(n);
        for (int i = 0; i < n; i++) {
            if (i % 7 == 3) {
                out.add(null);
            } else if (i % 11 == 5) {
                out.add("");
            } else {
                StringBuilder sb = new StringBuilder();
                int words = 1 + r.nextInt(20);
                for (int w = 0; w < words; w++) {
                    sb.append(w == 0 ? "" : " ").append('t').append(r.nextInt(3, 1000));
                }
                out.add(sb.toString());
            }
        }
        return out;
    }

    /** The collected rows in id order, checked to be all there. */
    static List<Row> collectById(Dataset<Row> df, int n) {
        List<Row> rows = new ArrayList<>(df.collectAsList());
        rows.sort((a, b) -> Integer.compare(a.getInt(a.fieldIndex("id")), b.getInt(b.fieldIndex("id"))));
        assertEquals(n, rows.size(), "rows");
        return rows;
    }

    /** A float array column's value (Spark gives arrays back as Scala sequences). */
    static float[] floats(Row r, String col) {
        List<Object> values = r.getList(r.fieldIndex(col));
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (Float) values.get(i);
        }
        return out;
    }

    static void assertClose(float[] want, float[] have, double tolerance, String what) {
        assertEquals(want.length, have.length, what + ": length");
        for (int k = 0; k < want.length; k++) {
            assertEquals(want[k], have[k], tolerance, what + " [" + k + "]");
        }
    }
}
