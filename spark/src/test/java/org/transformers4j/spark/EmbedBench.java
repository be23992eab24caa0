package org.transformers4j.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.scheduler.BatchScheduler;
import org.transformers4j.scheduler.Embedding;
import org.transformers4j.scheduler.SchedulerOptions;
import org.transformers4j.scheduler.Schedulers;

/**
 * Rows per second embedding sentences with the default model (all-MiniLM-L6-v2), in one JVM, one
 * after the other: the library alone (SentenceEmbedder.embed of the whole list, sorted by length
 * into batches of 32), the library's scheduler fed 128 rows at a time in input order as a Spark
 * task feeds it (4 x batchSize), then T4jSpark.embed at local[1] and local[2] (written to Spark's noop sink, so every
 * row is computed and nothing is collected). The four run in turn for several rounds after a
 * warm-up (2,000 sentences through each library path; a small Spark job per session), and each is
 * reported by its median and best rate, so that a busy moment of a shared machine shows as a
 * spread rather than as a difference. The overhead of Spark per row is the difference of the
 * median times per row.
 *
 * <p>Not a test: run it by hand on a quiet machine (docs/spark.md gives the command line). Args:
 * [rows, default 20000] [partitions, default 8] [rounds, default 3].
 */
public final class EmbedBench {
    private static final String[] SUBJECTS = {"The committee", "A small dog", "My neighbour", "The new model",
        "Every student", "The old bridge", "Our team", "The weather report", "A quiet engineer", "The city council"};
    private static final String[] VERBS = {"approved", "ignored", "described", "questioned", "celebrated",
        "rebuilt", "measured", "predicted", "explained", "postponed"};
    private static final String[] OBJECTS = {"the budget for next year", "a long walk along the river",
        "the results of the experiment", "several changes to the schedule", "the storm that hit the coast",
        "an unusual pattern in the data", "the opening of the new library", "a plan to reduce traffic",
        "the price of fresh vegetables", "the rules of the competition"};
    private static final String[] TAILS = {"", " after a long discussion", " without any warning",
        " on a rainy Tuesday morning", " because nobody else would", " in front of a large and curious audience",
        " while the rest of the town was asleep and the streets were empty", " for the third time this month"};

    private EmbedBench() {
    }

    /** n sentences of 6 to about 30 words, the same for every run. */
    static List<String> sentences(int n) {
        SplittableRandom r = new SplittableRandom(2024);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            int clauses = 1 + r.nextInt(2);
            for (int c = 0; c < clauses; c++) {
                sb.append(c == 0 ? "" : " and ").append(c == 0 ? SUBJECTS[r.nextInt(SUBJECTS.length)]
                        : SUBJECTS[r.nextInt(SUBJECTS.length)].toLowerCase(Locale.ROOT));
                sb.append(' ').append(VERBS[r.nextInt(VERBS.length)]).append(' ')
                        .append(OBJECTS[r.nextInt(OBJECTS.length)]).append(TAILS[r.nextInt(TAILS.length)]);
            }
            out.add(sb.append('.').toString());
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        List<String> texts = sentences(n);
        CpuBackend cpu = CpuBackend.create();
        System.out.printf("EmbedBench: %d sentences (%.1f words on average), %d partitions, %d rounds; %s; %s%n", n,
                texts.stream().mapToInt(t -> t.split(" ").length).average().orElse(0), partitions, rounds,
                cpu.kernelProvider(), cpu.gemmProvider());
        System.out.println("load average at start: " + loadAverage());
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        try (SentenceEmbedder lib = DefaultModels.miniLmEmbedder(cpu);
             BatchScheduler<String, Embedding> s = Schedulers.embeddings("bench", DefaultModels.miniLmEmbedder(cpu),
                     SchedulerOptions.defaults())) {
            List<String> warm = texts.subList(0, Math.min(2000, n));
            lib.embed(warm);
            fedInBatches(s, warm);
            for (int round = 1; round <= rounds; round++) {
                System.out.println("round " + round + ", load average " + loadAverage());
                record(rates, timed("library: SentenceEmbedder.embed(List)", n, () -> lib.embed(texts)));
                record(rates, timed("library: scheduler, 128-row submits in order", n, () -> fedInBatches(s, texts)));
                for (int threads : new int[] {1, 2}) {
                    record(rates, spark(threads, texts, partitions));
                }
            }
        }
        System.out.println("load average at end: " + loadAverage());
        double base = median(rates.values().iterator().next());
        System.out.printf("%n%-48s %14s %12s %12s %16s%n", "", "median rows/s", "best rows/s", "ms per row",
                "overhead/row");
        rates.forEach((what, r) -> System.out.printf("%-48s %14.1f %12.1f %12.3f %13.3f ms%n", what, median(r),
                r.stream().mapToDouble(Double::doubleValue).max().orElse(0), 1000 / median(r),
                1000 / median(r) - 1000 / base));
    }

    private static void record(Map<String, List<Double>> rates, String[] result) {
        rates.computeIfAbsent(result[0], k -> new ArrayList<>()).add(Double.parseDouble(result[1]));
    }

    private static double median(List<Double> values) {
        List<Double> v = values.stream().sorted().toList();
        int m = v.size() / 2;
        return v.size() % 2 == 1 ? v.get(m) : (v.get(m - 1) + v.get(m)) / 2;
    }

    /** What a Spark task does: submit 128 rows, wait for them, the next 128. */
    private static void fedInBatches(BatchScheduler<String, Embedding> s, List<String> texts) {
        for (int from = 0; from < texts.size(); from += 128) {
            s.submitAll(texts.subList(from, Math.min(texts.size(), from + 128)), null)
                    .forEach(CompletableFuture::join);
        }
    }

    private static String[] spark(int threads, List<String> texts, int partitions) throws IOException {
        Path scratch = Files.createTempDirectory("t4j-embed-bench");
        SparkSession spark = SparkSession.builder().master("local[" + threads + "]").appName("EmbedBench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.local.dir", scratch.toString()).getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                rows.add(RowFactory.create(i, texts.get(i)));
            }
            StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
            Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(partitions).cache();
            df.count();
            Dataset<Row> warm = spark.createDataFrame(rows.subList(0, Math.min(500, rows.size())), schema);
            T4jSpark.embed(warm, "text", "e").write().format("noop").mode("overwrite").save();
            return timed("Spark local[" + threads + "]: T4jSpark.embed", texts.size(),
                    () -> T4jSpark.embed(df, "text", "e").write().format("noop").mode("overwrite").save());
        } finally {
            spark.stop();
        }
    }

    private static String[] timed(String what, int n, Runnable run) {
        long t0 = System.nanoTime();
        run.run();
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-48s %8.1f s  %8.1f rows/s%n", what, s, n / s);
        return new String[] {what, Double.toString(n / s)};
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
