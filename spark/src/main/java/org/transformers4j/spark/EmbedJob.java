package org.transformers4j.spark;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The example job: a Parquet or CSV file (or folder) of texts in, Parquet with an embedding column
 * out. Its progress is the write stage's tasks in the Spark UI, one per partition.
 *
 * <pre>
 * spark-submit --class org.transformers4j.spark.EmbedJob transformers4j-spark-all.jar \
 *     --input docs.parquet --output docs-embedded.parquet [--text-column text] [--output-column embedding] \
 *     [--model /models/bge-small] [--partitions 64] [--option batchSize=64 ...]
 * </pre>
 */
public final class EmbedJob {
    static final String USAGE = """
            usage: EmbedJob --input PATH --output PATH [--format parquet|csv] [--text-column NAME]
                            [--output-column NAME] [--model FOLDER] [--partitions N] [--overwrite]
                            [--option KEY=VALUE ...]
              --input          Parquet or CSV (with a header line) file or folder of texts
              --output         the Parquet folder written: the input's columns and the embedding
              --format         of the input (default: from the file name's extension; else parquet)
              --text-column    the column of texts (default text)
              --output-column  the column of embeddings, array<float> (default embedding)
              --model          a model folder or SparkFiles name (default: all-MiniLM-L6-v2, in the jar)
              --partitions     repartition the input into N partitions first (default: as read)
              --overwrite      replace the output if it exists
              --option         any option of T4jOptions by name, e.g. batchSize=64, onError=fail
            """;

    /** The job's arguments. */
    record Args(String input, String output, String format, String textColumn, String outputColumn,
                int partitions, boolean overwrite, T4jOptions options) {

        static Args parse(String... args) {
            Map<String, String> named = new LinkedHashMap<>();
            Map<String, String> options = new LinkedHashMap<>();
            boolean overwrite = false;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--overwrite")) {
                    overwrite = true;
                    continue;
                }
                if (!a.startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("unexpected argument " + a + "\n" + USAGE);
                }
                String value = args[++i];
                if (a.equals("--option")) {
                    int eq = value.indexOf('=');
                    if (eq < 1) {
                        throw new IllegalArgumentException("--option takes KEY=VALUE, got " + value);
                    }
                    options.put(value.substring(0, eq), value.substring(eq + 1));
                } else {
                    named.put(a.substring(2), value);
                }
            }
            List<String> known = List.of("input", "output", "format", "text-column", "output-column", "model",
                    "partitions");
            for (String k : named.keySet()) {
                if (!known.contains(k)) {
                    throw new IllegalArgumentException("unknown flag --" + k + "\n" + USAGE);
                }
            }
            if (!named.containsKey("input") || !named.containsKey("output")) {
                throw new IllegalArgumentException("--input and --output are required\n" + USAGE);
            }
            T4jOptions o = T4jOptions.fromMap(options);
            if (named.containsKey("model")) {
                o = o.withModel(named.get("model"));
            }
            String input = named.get("input");
            String format = named.getOrDefault("format",
                    input.toLowerCase(Locale.ROOT).endsWith(".csv") ? "csv" : "parquet");
            if (!format.equals("csv") && !format.equals("parquet")) {
                throw new IllegalArgumentException("--format must be parquet or csv, got " + format);
            }
            int partitions = Integer.parseInt(named.getOrDefault("partitions", "0"));
            if (partitions < 0) {
                throw new IllegalArgumentException("--partitions must be >= 0, got " + partitions);
            }
            return new Args(input, named.get("output"), format, named.getOrDefault("text-column", "text"),
                    named.getOrDefault("output-column", "embedding"), partitions, overwrite, o);
        }
    }

    private EmbedJob() {
    }

    /** Runs the job in the session spark-submit (or the environment) configures. */
    public static void main(String[] args) {
        Args parsed;
        try {
            parsed = Args.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        SparkSession spark = SparkSession.builder().appName("t4j-embed").getOrCreate();
        try {
            long rows = run(spark, parsed);
            System.out.println("t4j-embed: wrote " + rows + " rows to " + parsed.output());
        } finally {
            spark.stop();
        }
    }

    /** Reads, embeds and writes; the rows written. */
    static long run(SparkSession spark, Args a) {
        Dataset<Row> in = a.format().equals("csv")
                ? spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"")
                        .csv(a.input())
                : spark.read().parquet(a.input());
        if (a.partitions() > 0) {
            in = in.repartition(a.partitions());
        }
        Dataset<Row> out = T4jSpark.embed(in, a.textColumn(), a.outputColumn(), a.options());
        spark.sparkContext().setJobDescription("t4j embed " + a.textColumn() + " of " + a.input() + " -> "
                + a.output());
        out.write().mode(a.overwrite() ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(a.output());
        spark.sparkContext().setJobDescription(null);
        return spark.read().parquet(a.output()).count();
    }
}
