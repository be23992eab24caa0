package org.transformers4j.spark;

import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A task as a Spark ML {@link Transformer}, to compose in a {@code Pipeline}: inputCol (a string
 * column) to outputCol, with every option of {@link T4jOptions} as a param of the same name. Its
 * params are saved and loaded with the pipeline (the model is not: the saved stage names the model
 * folder, which must be there when the loaded pipeline runs).
 *
 * <pre>{@code
 * T4jTransformer embed = new T4jTransformer().setTask("embed").setInputCol("text").setOutputCol("features");
 * PipelineModel model = new Pipeline().setStages(new PipelineStage[] {embed, new LogisticRegression()}).fit(train);
 * }</pre>
 */
public final class T4jTransformer extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> task;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> model;
    private final IntParam batchSize;
    private final IntParam maxBatchTokens;
    private final IntParam maxTokens;
    private final BooleanParam normalize;
    private final BooleanParam allScores;
    private final IntParam candidates;
    private final Param<String> maskToken;
    private final Param<String> onError;
    private final Param<String> errorCol;
    private final IntParam maxNewTokens;
    private final BooleanParam doSample;
    private final DoubleParam temperature;
    private final IntParam topK;
    private final DoubleParam topP;
    private final LongParam seed;
    private final IntParam numBeams;
    private final DoubleParam repetitionPenalty;
    private final IntParam maxRows;
    private final IntParam threads;
    private final BooleanParam checkOnDriver;

    /** A transformer with a new uid: task embed, input column "text". */
    public T4jTransformer() {
        this(Identifiable$.MODULE$.randomUID("t4j"));
    }

    /** A transformer with the given uid (as Spark's reader makes it). */
    public T4jTransformer(String uid) {
        this.uid = uid;
        task = new Param<>(this, "task", "embed, classify, entities, fill-mask, text2text or generate");
        inputCol = new Param<>(this, "inputCol", "the string column");
        outputCol = new Param<>(this, "outputCol", "the column added");
        model = new Param<>(this, "model", "model folder, SparkFiles name, or default (all-MiniLM-L6-v2)");
        batchSize = new IntParam(this, "batchSize", "rows handed to the model at once, and per forward pass");
        maxBatchTokens = new IntParam(this, "maxBatchTokens", "tokens per forward pass at most, padding counted");
        maxTokens = new IntParam(this, "maxTokens", "truncate texts to this many tokens (0: no truncation)");
        normalize = new BooleanParam(this, "normalize", "L2-normalise embeddings");
        allScores = new BooleanParam(this, "allScores", "classification gives every label and score");
        candidates = new IntParam(this, "candidates", "fill-mask candidates per mask token");
        maskToken = new Param<>(this, "maskToken", "the fill-mask token (default: found in tokenizer.json)");
        onError = new Param<>(this, "onError", "null (null and an error column) or fail (fail the job)");
        errorCol = new Param<>(this, "errorCol", "the error column (default: outputCol_error)");
        maxNewTokens = new IntParam(this, "maxNewTokens", "tokens generated at most");
        doSample = new BooleanParam(this, "doSample", "sample instead of greedy search");
        temperature = new DoubleParam(this, "temperature", "the sampling temperature");
        topK = new IntParam(this, "topK", "sampling keeps the k most likely tokens");
        topP = new DoubleParam(this, "topP", "sampling keeps tokens up to this probability");
        seed = new LongParam(this, "seed", "the seed of sampling, per row");
        numBeams = new IntParam(this, "numBeams", "beam search with this many beams");
        repetitionPenalty = new DoubleParam(this, "repetitionPenalty", "the repetition penalty");
        maxRows = new IntParam(this, "maxRows", "sequences generated at once per executor");
        threads = new IntParam(this, "threads", "native kernel threads per executor (0: one per core)");
        checkOnDriver = new BooleanParam(this, "checkOnDriver", "check the model folder on the driver");
        setDefault(task, "embed");
        setDefault(inputCol, "text");
    }

    @Override
    public String uid() {
        return uid;
    }

    /** Reads a saved transformer (Spark's Pipeline reader finds this method). */
    public static MLReader<T4jTransformer> read() {
        return new DefaultParamsReader<>();
    }

    /** Loads a transformer saved with {@code write().save(path)}. */
    public static T4jTransformer load(String path) {
        return read().load(path);
    }

    /** The task. */
    public Task getTask() {
        return Task.parse(getOrDefault(task));
    }

    public String getInputCol() {
        return getOrDefault(inputCol);
    }

    public String getOutputCol() {
        return getOrDefault(outputCol);
    }

    /** The options the params give (params not set keep {@link T4jOptions#defaults()}). */
    @SuppressWarnings("unchecked")
    public T4jOptions options() {
        T4jOptions o = T4jOptions.defaults();
        for (String key : T4jOptions.KEYS) {
            Param<Object> p = (Param<Object>) getParam(key);
            if (isSet(p)) {
                o = o.with(key, String.valueOf(getOrDefault(p)));
            }
        }
        return o;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        return T4jSpark.apply(dataset.toDF(), getTask(), getInputCol(), getOutputCol(), options());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return T4jSpark.outputSchema(schema, getTask(), getInputCol(), getOutputCol(), options());
    }

    @Override
    public T4jTransformer copy(ParamMap extra) {
        return (T4jTransformer) defaultCopy(extra);
    }

    /** Sets an option's param, refusing a bad value now with the option's message rather than when the pipeline runs. */
    private <T> T4jTransformer put(Param<T> p, T value) {
        T4jOptions.defaults().with(p.name(), String.valueOf(value));
        set(p, value);
        return this;
    }

    // params as public methods (Spark finds params through them) and setters, in the order of T4jOptions.KEYS

    public Param<String> task() {
        return task;
    }

    /**
     * embed, classify, entities, fill-mask, text2text or generate (tasks of one input column;
     * question answering reads two: T4jSpark.answer).
     */
    public T4jTransformer setTask(String value) {
        if (Task.parse(value).takesPairs()) {
            throw new IllegalArgumentException("task " + value + " reads a question and a context column, and a "
                    + "Transformer has one input column: use T4jSpark.answer or t4j_answer(question, context)");
        }
        set(task, value);
        return this;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public T4jTransformer setInputCol(String value) {
        set(inputCol, value);
        return this;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public T4jTransformer setOutputCol(String value) {
        set(outputCol, value);
        return this;
    }

    public Param<String> model() {
        return model;
    }

    /** See {@link T4jOptions#withModel}. */
    public T4jTransformer setModel(String value) {
        return put(model, value);
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public T4jTransformer setBatchSize(int value) {
        return put(batchSize, value);
    }

    public IntParam maxBatchTokens() {
        return maxBatchTokens;
    }

    public T4jTransformer setMaxBatchTokens(int value) {
        return put(maxBatchTokens, value);
    }

    public IntParam maxTokens() {
        return maxTokens;
    }

    public T4jTransformer setMaxTokens(int value) {
        return put(maxTokens, value);
    }

    public BooleanParam normalize() {
        return normalize;
    }

    public T4jTransformer setNormalize(boolean value) {
        return put(normalize, value);
    }

    public BooleanParam allScores() {
        return allScores;
    }

    public T4jTransformer setAllScores(boolean value) {
        return put(allScores, value);
    }

    public IntParam candidates() {
        return candidates;
    }

    public T4jTransformer setCandidates(int value) {
        return put(candidates, value);
    }

    public Param<String> maskToken() {
        return maskToken;
    }

    public T4jTransformer setMaskToken(String value) {
        return put(maskToken, value);
    }

    public Param<String> onError() {
        return onError;
    }

    /** "null" or "fail". */
    public T4jTransformer setOnError(String value) {
        return put(onError, value);
    }

    public Param<String> errorCol() {
        return errorCol;
    }

    public T4jTransformer setErrorCol(String value) {
        return put(errorCol, value);
    }

    public IntParam maxNewTokens() {
        return maxNewTokens;
    }

    public T4jTransformer setMaxNewTokens(int value) {
        return put(maxNewTokens, value);
    }

    public BooleanParam doSample() {
        return doSample;
    }

    public T4jTransformer setDoSample(boolean value) {
        return put(doSample, value);
    }

    public DoubleParam temperature() {
        return temperature;
    }

    public T4jTransformer setTemperature(double value) {
        return put(temperature, value);
    }

    public IntParam topK() {
        return topK;
    }

    public T4jTransformer setTopK(int value) {
        return put(topK, value);
    }

    public DoubleParam topP() {
        return topP;
    }

    public T4jTransformer setTopP(double value) {
        return put(topP, value);
    }

    public LongParam seed() {
        return seed;
    }

    public T4jTransformer setSeed(long value) {
        return put(seed, value);
    }

    public IntParam numBeams() {
        return numBeams;
    }

    public T4jTransformer setNumBeams(int value) {
        return put(numBeams, value);
    }

    public DoubleParam repetitionPenalty() {
        return repetitionPenalty;
    }

    public T4jTransformer setRepetitionPenalty(double value) {
        return put(repetitionPenalty, value);
    }

    public IntParam maxRows() {
        return maxRows;
    }

    public T4jTransformer setMaxRows(int value) {
        return put(maxRows, value);
    }

    public IntParam threads() {
        return threads;
    }

    public T4jTransformer setThreads(int value) {
        return put(threads, value);
    }

    public BooleanParam checkOnDriver() {
        return checkOnDriver;
    }

    public T4jTransformer setCheckOnDriver(boolean value) {
        return put(checkOnDriver, value);
    }
}
