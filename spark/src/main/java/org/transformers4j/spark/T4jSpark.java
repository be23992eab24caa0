package org.transformers4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.model.ModelConfig;

/**
 * Transformers4J models as DataFrame operations. Each adds a column computed from a string column,
 * rows in their order; a null text gives a null result. The model is loaded once per executor JVM,
 * by the first task that needs it, and shared by the executor's tasks (see {@link T4jOptions} for
 * where models come from and how rows are batched).
 *
 * <pre>{@code
 * Dataset<Row> docs = spark.read().parquet("docs.parquet");
 * Dataset<Row> withVectors = T4jSpark.embed(docs, "text", "embedding", T4jOptions.defaults());
 * Dataset<Row> labelled = T4jSpark.classify(docs, "text", "sentiment",
 *         T4jOptions.defaults().withModel("/models/sst2"));
 * T4jSpark.register(spark, Task.EMBED, T4jOptions.defaults());   // SELECT t4j_embed(text) FROM docs
 * }</pre>
 *
 * <p>With onError null (the default) a failing row (a text with no tokens, longer than the model
 * without truncation, without a mask token for fill-mask) gives null and its message in an error
 * column (the output column's name and "_error", or the errorCol option); with onError fail it
 * fails the task, and so the job. The model folder is checked on the driver when the operation is
 * defined, so that a missing or wrong model fails at once with the library's message.
 */
public final class T4jSpark {
    private T4jSpark() {
    }

    /** Sentence embeddings of inputCol as an {@code array<float>} column (see {@link Task#EMBED}). */
    public static Dataset<Row> embed(Dataset<Row> df, String inputCol, String outputCol, T4jOptions options) {
        return apply(df, Task.EMBED, inputCol, outputCol, options);
    }

    /** As {@link #embed(Dataset, String, String, T4jOptions)} with the default model and options. */
    public static Dataset<Row> embed(Dataset<Row> df, String inputCol, String outputCol) {
        return embed(df, inputCol, outputCol, T4jOptions.defaults());
    }

    /** The label and score of inputCol, or all of them with allScores (see {@link Task#CLASSIFY}). */
    public static Dataset<Row> classify(Dataset<Row> df, String inputCol, String outputCol, T4jOptions options) {
        return apply(df, Task.CLASSIFY, inputCol, outputCol, options);
    }

    /** The entities of inputCol (see {@link Task#ENTITIES}). */
    public static Dataset<Row> entities(Dataset<Row> df, String inputCol, String outputCol, T4jOptions options) {
        return apply(df, Task.ENTITIES, inputCol, outputCol, options);
    }

    /** Candidates for each mask token of inputCol (see {@link Task#FILL_MASK}). */
    public static Dataset<Row> fillMask(Dataset<Row> df, String inputCol, String outputCol, T4jOptions options) {
        return apply(df, Task.FILL_MASK, inputCol, outputCol, options);
    }

    /** Text-to-text generation, translation or summarisation of inputCol (see {@link Task#TEXT2TEXT}). */
    public static Dataset<Row> text2text(Dataset<Row> df, String inputCol, String outputCol, T4jOptions options) {
        return apply(df, Task.TEXT2TEXT, inputCol, outputCol, options);
    }

    /** The continuation of each prompt in inputCol (see {@link Task#GENERATE}). */
    public static Dataset<Row> generate(Dataset<Row> df, String inputCol, String outputCol, T4jOptions options) {
        return apply(df, Task.GENERATE, inputCol, outputCol, options);
    }

    /**
     * The best answer to questionCol in contextCol with a question-answering model (see
     * {@link Task#ANSWER}); a row with either column null gives null.
     */
    public static Dataset<Row> answer(Dataset<Row> df, String questionCol, String contextCol, String outputCol,
                                      T4jOptions options) {
        StructType in = df.schema();
        stringColumn(in, contextCol);
        if (contextCol.equals(questionCol)) {
            throw new IllegalArgumentException("the question and the context must be two columns, both are "
                    + questionCol);
        }
        StructType schema = schema(in, Task.ANSWER, questionCol, outputCol, options);
        check(Task.ANSWER, options);
        List<String> names = Arrays.asList(in.fieldNames());
        boolean errors = options.onError() == T4jOptions.OnError.NULL;
        return df.mapPartitions(new PartitionMapper(Task.ANSWER, options, names.indexOf(questionCol),
                names.indexOf(contextCol), errors), Encoders.row(schema));
    }

    /**
     * Any task of one column: df's columns, then outputCol, then (onError null) the error column.
     * Checks the columns and the model on the driver; the work runs when an action runs, one stage
     * with df's partitions. Question answering reads two columns: {@link #answer}.
     */
    public static Dataset<Row> apply(Dataset<Row> df, Task task, String inputCol, String outputCol,
                                     T4jOptions options) {
        StructType schema = outputSchema(df.schema(), task, inputCol, outputCol, options);
        check(task, options);
        int input = Arrays.asList(df.schema().fieldNames()).indexOf(inputCol);
        boolean errors = options.onError() == T4jOptions.OnError.NULL;
        return df.mapPartitions(new PartitionMapper(task, options, input, errors), Encoders.row(schema));
    }

    /**
     * The schema a task gives: the input's columns, outputCol, and the error column with onError
     * null. Refuses an input column that is missing or not a string, and output columns that exist.
     */
    public static StructType outputSchema(StructType in, Task task, String inputCol, String outputCol,
                                          T4jOptions options) {
        if (task.takesPairs()) {
            throw new IllegalArgumentException("task " + task + " reads a question and a context column: use "
                    + "T4jSpark.answer(df, questionCol, contextCol, outputCol, options), or " + task.sqlName()
                    + "(question, context) in SQL");
        }
        return schema(in, task, inputCol, outputCol, options);
    }

    private static void stringColumn(StructType in, String col) {
        List<String> names = Arrays.asList(in.fieldNames());
        if (col == null || !names.contains(col)) {
            throw new IllegalArgumentException("input column " + col + " is not among the columns " + names);
        }
        var type = in.apply(col).dataType();
        if (!type.equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("input column " + col + " must be a string, it is "
                    + type.simpleString());
        }
    }

    private static StructType schema(StructType in, Task task, String inputCol, String outputCol,
                                     T4jOptions options) {
        List<String> names = Arrays.asList(in.fieldNames());
        stringColumn(in, inputCol);
        if (outputCol == null || outputCol.isBlank() || names.contains(outputCol)) {
            throw new IllegalArgumentException("output column " + outputCol + " must be a new column name; "
                    + "the columns are " + names);
        }
        StructType out = in.add(new StructField(outputCol, task.outputType(options), true,
                org.apache.spark.sql.types.Metadata.empty()));
        if (options.onError() == T4jOptions.OnError.NULL) {
            String error = options.errorCol(outputCol);
            if (names.contains(error) || error.equals(outputCol)) {
                throw new IllegalArgumentException("error column " + error + " must be a new column name; "
                        + "the columns are " + names + " and " + outputCol);
            }
            out = out.add(error, DataTypes.StringType, true);
        }
        return out;
    }

    /**
     * Registers a task as a SQL function under its default name ({@link Task#sqlName()}, e.g.
     * t4j_embed), and its companion name_result giving {@code struct<value, error>}.
     */
    public static void register(SparkSession spark, Task task, T4jOptions options) {
        register(spark, task.sqlName(), task, options);
    }

    /**
     * Registers a task as a SQL function of one string column (two for question answering:
     * question, context) under a name, with these options fixed (for instance one function per
     * model), and name_result giving {@code struct<value, error>} so that SQL can see why a row
     * failed. The model is checked on the driver now.
     */
    public static void register(SparkSession spark, String name, Task task, T4jOptions options) {
        check(task, options);
        if (task.takesPairs()) {
            spark.udf().register(name, new SqlFunction.OfPair(task, options), task.outputType(options));
            StructType result = new StructType().add("value", task.outputType(options), true)
                    .add("error", DataTypes.StringType, true);
            spark.udf().register(name + "_result", new SqlFunction.OfPairWithError(task, options), result);
            return;
        }
        spark.udf().register(name, new SqlFunction(task, options), task.outputType(options));
        StructType result = new StructType().add("value", task.outputType(options), true)
                .add("error", DataTypes.StringType, true);
        spark.udf().register(name + "_result", new SqlFunction.WithError(task, options), result);
    }

    /**
     * How many times this JVM has loaded the model for a task (one per executor JVM, whatever the
     * tasks and rows): model as the options give it, or "default".
     */
    public static int modelLoads(Task task, String model) {
        return ExecutorModels.loads(task, model);
    }

    /**
     * Frees every model loaded in this JVM (the driver's, which are the executors' in local mode);
     * only when no job runs.
     */
    public static void releaseModels() {
        ExecutorModels.closeAll();
    }

    /** The driver's checks: the model folder, and the generation settings against the model's. */
    static void check(Task task, T4jOptions options) {
        ModelLocation.check(task, options);
        if ((task == Task.GENERATE || task == Task.TEXT2TEXT) && options.checkOnDriver()) {
            GenerationConfig base = GenerationConfig.defaults();
            Path file = Path.of(ModelLocation.resolve(options)).resolve("generation_config.json");
            if (Files.isRegularFile(file)) {
                base = base.overriddenBy(ModelConfig.read(file));
            }
            ExecutorModels.generationConfig(base, options);
        }
    }
}
