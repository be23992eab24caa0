package org.transformers4j.spark;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How a DataFrame operation runs: which model, how rows are batched, what a failing row gives,
 * and the generation settings. Immutable; each {@code withX} returns a copy. The same settings by
 * name ({@link #fromMap}, {@link #toMap}) serve the SQL functions, the ML Transformer's params
 * and the example job's flags.
 *
 * <pre>{@code
 * T4jOptions o = T4jOptions.defaults().withModel("/models/bge-small").withBatchSize(64);
 * }</pre>
 */
public final class T4jOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What a row that fails gives. */
    public enum OnError {
        /** Null in the output column and the message in the error column. */
        NULL,
        /** The task fails with the row's message, and with it the job. */
        FAIL
    }

    /** The option names, as {@link #fromMap} and {@link #toMap} spell them. */
    public static final List<String> KEYS = List.of("model", "batchSize", "maxBatchTokens", "maxTokens", "normalize",
            "allScores", "candidates", "maskToken", "onError", "errorCol", "maxNewTokens", "doSample", "temperature",
            "topK", "topP", "seed", "numBeams", "repetitionPenalty", "maxRows", "threads", "checkOnDriver");

    private String model = "";
    private int batchSize = 32;
    private int maxBatchTokens = 8192;
    private int maxTokens;
    private boolean normalize = true;
    private boolean allScores;
    private int candidates = 5;
    private String maskToken = "";
    private OnError onError = OnError.NULL;
    private String errorCol = "";
    private Integer maxNewTokens;
    private Boolean doSample;
    private Double temperature;
    private Integer topK;
    private Double topP;
    private Long seed;
    private Integer numBeams;
    private Double repetitionPenalty;
    private int maxRows = 16;
    private int threads;
    private boolean checkOnDriver = true;

    private T4jOptions() {
    }

    /**
     * The default model (all-MiniLM-L6-v2 from the class path, embeddings only), 32 rows a batch
     * and at most 8,192 padded tokens a forward pass, no truncation beyond the model's own, vectors
     * L2-normalised, the best label only, 5 fill-mask candidates, failing rows as null plus an
     * error column, the model's own generation settings, 16 sequences generated at once, the
     * kernels' default thread count, the model folder checked on the driver.
     */
    public static T4jOptions defaults() {
        return new T4jOptions();
    }

    private T4jOptions copy() {
        T4jOptions o = new T4jOptions();
        o.model = model;
        o.batchSize = batchSize;
        o.maxBatchTokens = maxBatchTokens;
        o.maxTokens = maxTokens;
        o.normalize = normalize;
        o.allScores = allScores;
        o.candidates = candidates;
        o.maskToken = maskToken;
        o.onError = onError;
        o.errorCol = errorCol;
        o.maxNewTokens = maxNewTokens;
        o.doSample = doSample;
        o.temperature = temperature;
        o.topK = topK;
        o.topP = topP;
        o.seed = seed;
        o.numBeams = numBeams;
        o.repetitionPenalty = repetitionPenalty;
        o.maxRows = maxRows;
        o.threads = threads;
        o.checkOnDriver = checkOnDriver;
        return o;
    }

    /**
     * The model: a folder (config.json, weights, tokenizer.json) at the same absolute path on
     * every executor, or a name shipped with {@code --files}/{@code --archives} or
     * {@code SparkContext.addFile(folder, true)} (found through SparkFiles, else relative to the
     * executor's working folder); empty or "default" for all-MiniLM-L6-v2 from the class path.
     */
    public T4jOptions withModel(String location) {
        T4jOptions o = copy();
        o.model = location == null ? "" : location.strip();
        return o;
    }

    /**
     * The most rows in one forward pass (default 32). A task hands the model {@link #rowsPerSubmit()}
     * rows at once, which the scheduler sorts by length into passes of at most this many rows, so
     * that little padding is computed.
     */
    public T4jOptions withBatchSize(int n) {
        T4jOptions o = copy();
        o.batchSize = atLeast("batchSize", n, 1);
        return o;
    }

    /** The most tokens in one forward pass, padding counted (default 8,192); a longer row runs alone. */
    public T4jOptions withMaxBatchTokens(int n) {
        T4jOptions o = copy();
        o.maxBatchTokens = atLeast("maxBatchTokens", n, 1);
        return o;
    }

    /**
     * Truncates every text to this many tokens, special tokens included (0: no truncation, so a
     * text longer than the model's positions fails; the default model truncates at 256 anyway).
     */
    public T4jOptions withMaxTokens(int n) {
        T4jOptions o = copy();
        o.maxTokens = atLeast("maxTokens", n, 0);
        return o;
    }

    /** Whether embeddings are L2-normalised (default true). */
    public T4jOptions withNormalize(boolean on) {
        T4jOptions o = copy();
        o.normalize = on;
        return o;
    }

    /** Classification gives every label with its score, most likely first, instead of the best one. */
    public T4jOptions withAllScores(boolean on) {
        T4jOptions o = copy();
        o.allScores = on;
        return o;
    }

    /** Candidates per mask token in fill-mask (default 5). */
    public T4jOptions withCandidates(int n) {
        T4jOptions o = copy();
        o.candidates = atLeast("candidates", n, 1);
        return o;
    }

    /** The mask token of fill-mask; empty (default) finds [MASK] or &lt;mask&gt; in tokenizer.json. */
    public T4jOptions withMaskToken(String token) {
        T4jOptions o = copy();
        o.maskToken = token == null ? "" : token;
        return o;
    }

    /** What a failing row gives (default {@link OnError#NULL}). */
    public T4jOptions withOnError(OnError mode) {
        T4jOptions o = copy();
        o.onError = Objects.requireNonNull(mode, "onError");
        return o;
    }

    /** The error column's name (default: the output column's name and "_error"). */
    public T4jOptions withErrorCol(String name) {
        T4jOptions o = copy();
        o.errorCol = name == null ? "" : name;
        return o;
    }

    /** Tokens generated at most (default: the model's generation_config.json, else 20). */
    public T4jOptions withMaxNewTokens(int n) {
        T4jOptions o = copy();
        o.maxNewTokens = atLeast("maxNewTokens", n, 1);
        return o;
    }

    /** Sampling instead of greedy search (default: the model's). */
    public T4jOptions withDoSample(boolean on) {
        T4jOptions o = copy();
        o.doSample = on;
        return o;
    }

    /** The sampling temperature (default: the model's). */
    public T4jOptions withTemperature(double t) {
        T4jOptions o = copy();
        if (!(t >= 0) || Double.isInfinite(t)) {
            throw new IllegalArgumentException("temperature must be finite and >= 0, got " + t);
        }
        o.temperature = t;
        return o;
    }

    /** Sampling keeps the k most likely tokens (0: all; default: the model's). */
    public T4jOptions withTopK(int k) {
        T4jOptions o = copy();
        o.topK = atLeast("topK", k, 0);
        return o;
    }

    /** Sampling keeps the most likely tokens whose probability reaches p (default: the model's). */
    public T4jOptions withTopP(double p) {
        T4jOptions o = copy();
        if (!(p > 0 && p <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + p);
        }
        o.topP = p;
        return o;
    }

    /** Seeds sampling: every row is sampled with this seed, so a row gives the same text on any executor. */
    public T4jOptions withSeed(long s) {
        T4jOptions o = copy();
        o.seed = s;
        return o;
    }

    /** Beam search with this many beams (default: the model's). */
    public T4jOptions withNumBeams(int n) {
        T4jOptions o = copy();
        o.numBeams = atLeast("numBeams", n, 1);
        return o;
    }

    /** The repetition penalty (default: the model's). */
    public T4jOptions withRepetitionPenalty(double p) {
        T4jOptions o = copy();
        if (!(p > 0) || Double.isInfinite(p)) {
            throw new IllegalArgumentException("repetitionPenalty must be finite and > 0, got " + p);
        }
        o.repetitionPenalty = p;
        return o;
    }

    /** Sequences a decoder-only model generates at once on an executor (continuous batching; default 16). */
    public T4jOptions withMaxRows(int n) {
        T4jOptions o = copy();
        o.maxRows = atLeast("maxRows", n, 1);
        return o;
    }

    /**
     * Threads of the native kernels on each executor (0, the default: the library's, one per
     * core the JVM sees). One forward pass at a time uses them all, whatever the task slots.
     */
    public T4jOptions withThreads(int n) {
        T4jOptions o = copy();
        o.threads = atLeast("threads", n, 0);
        return o;
    }

    /**
     * Whether the driver checks the model folder before the job starts (default true); turn it
     * off when only the executors can see the folder.
     */
    public T4jOptions withCheckOnDriver(boolean on) {
        T4jOptions o = copy();
        o.checkOnDriver = on;
        return o;
    }

    private static int atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
        }
        return value;
    }

    public String model() {
        return model;
    }

    /** Whether the model is the default one (all-MiniLM-L6-v2 from the class path). */
    public boolean defaultModel() {
        return model.isEmpty() || model.equalsIgnoreCase("default");
    }

    public int batchSize() {
        return batchSize;
    }

    /**
     * Rows a task reads and hands to the model at once: 4 x batchSize, the most the library's
     * batch scheduler sorts by length together.
     */
    public int rowsPerSubmit() {
        return Math.multiplyExact(4, batchSize);
    }

    public int maxBatchTokens() {
        return maxBatchTokens;
    }

    public int maxTokens() {
        return maxTokens;
    }

    public boolean normalize() {
        return normalize;
    }

    public boolean allScores() {
        return allScores;
    }

    public int candidates() {
        return candidates;
    }

    public String maskToken() {
        return maskToken;
    }

    public OnError onError() {
        return onError;
    }

    /** The error column for an output column. */
    public String errorCol(String outputCol) {
        return errorCol.isEmpty() ? outputCol + "_error" : errorCol;
    }

    /** Null where the model's setting applies. */
    public Integer maxNewTokens() {
        return maxNewTokens;
    }

    public Boolean doSample() {
        return doSample;
    }

    public Double temperature() {
        return temperature;
    }

    public Integer topK() {
        return topK;
    }

    public Double topP() {
        return topP;
    }

    public Long seed() {
        return seed;
    }

    public Integer numBeams() {
        return numBeams;
    }

    public Double repetitionPenalty() {
        return repetitionPenalty;
    }

    public int maxRows() {
        return maxRows;
    }

    public int threads() {
        return threads;
    }

    public boolean checkOnDriver() {
        return checkOnDriver;
    }

    /**
     * Options from names and values (the names of {@link #KEYS}; values as text, onError as
     * "null" or "fail"); an unknown name or a bad value is refused with both named.
     */
    public static T4jOptions fromMap(Map<String, String> settings) {
        T4jOptions o = defaults();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            o = o.with(e.getKey(), e.getValue());
        }
        return o;
    }

    /** These options with one setting given by name and value as text. */
    public T4jOptions with(String key, String value) {
        if (value == null) {
            throw new IllegalArgumentException("option " + key + " has no value");
        }
        String v = value.strip();
        try {
            return switch (key) {
                case "model" -> withModel(v);
                case "batchSize" -> withBatchSize(Integer.parseInt(v));
                case "maxBatchTokens" -> withMaxBatchTokens(Integer.parseInt(v));
                case "maxTokens" -> withMaxTokens(Integer.parseInt(v));
                case "normalize" -> withNormalize(bool(v));
                case "allScores" -> withAllScores(bool(v));
                case "candidates" -> withCandidates(Integer.parseInt(v));
                case "maskToken" -> withMaskToken(value);
                case "onError" -> withOnError(OnError.valueOf(v.toUpperCase(Locale.ROOT)));
                case "errorCol" -> withErrorCol(v);
                case "maxNewTokens" -> withMaxNewTokens(Integer.parseInt(v));
                case "doSample" -> withDoSample(bool(v));
                case "temperature" -> withTemperature(Double.parseDouble(v));
                case "topK" -> withTopK(Integer.parseInt(v));
                case "topP" -> withTopP(Double.parseDouble(v));
                case "seed" -> withSeed(Long.parseLong(v));
                case "numBeams" -> withNumBeams(Integer.parseInt(v));
                case "repetitionPenalty" -> withRepetitionPenalty(Double.parseDouble(v));
                case "maxRows" -> withMaxRows(Integer.parseInt(v));
                case "threads" -> withThreads(Integer.parseInt(v));
                case "checkOnDriver" -> withCheckOnDriver(bool(v));
                default -> throw new IllegalArgumentException("unknown option " + key + "; options: " + KEYS);
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + ": not a number: " + value, e);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("unknown option")) {
                throw e;
            }
            throw new IllegalArgumentException("option " + key + " = " + value + ": " + e.getMessage(), e);
        }
    }

    private static boolean bool(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("not true or false: " + v);
        };
    }

    /** The settings that differ from {@link #defaults()}, by name, as {@link #fromMap} reads them. */
    public Map<String, String> toMap() {
        T4jOptions d = defaults();
        Map<String, String> m = new LinkedHashMap<>();
        put(m, "model", model, d.model);
        put(m, "batchSize", batchSize, d.batchSize);
        put(m, "maxBatchTokens", maxBatchTokens, d.maxBatchTokens);
        put(m, "maxTokens", maxTokens, d.maxTokens);
        put(m, "normalize", normalize, d.normalize);
        put(m, "allScores", allScores, d.allScores);
        put(m, "candidates", candidates, d.candidates);
        put(m, "maskToken", maskToken, d.maskToken);
        put(m, "onError", onError.name().toLowerCase(Locale.ROOT), d.onError.name().toLowerCase(Locale.ROOT));
        put(m, "errorCol", errorCol, d.errorCol);
        put(m, "maxNewTokens", maxNewTokens, null);
        put(m, "doSample", doSample, null);
        put(m, "temperature", temperature, null);
        put(m, "topK", topK, null);
        put(m, "topP", topP, null);
        put(m, "seed", seed, null);
        put(m, "numBeams", numBeams, null);
        put(m, "repetitionPenalty", repetitionPenalty, null);
        put(m, "maxRows", maxRows, d.maxRows);
        put(m, "threads", threads, d.threads);
        put(m, "checkOnDriver", checkOnDriver, d.checkOnDriver);
        return m;
    }

    private static void put(Map<String, String> m, String key, Object value, Object byDefault) {
        if (value != null && !value.equals(byDefault)) {
            m.put(key, String.valueOf(value));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof T4jOptions other && toMap().equals(other.toMap());
    }

    @Override
    public int hashCode() {
        return toMap().hashCode();
    }

    @Override
    public String toString() {
        return "T4jOptions" + toMap();
    }
}
