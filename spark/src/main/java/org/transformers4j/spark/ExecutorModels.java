package org.transformers4j.spark;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.files.SafeFiles;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.EmbeddingModels;
import org.transformers4j.pipeline.EmbeddingOptions;
import org.transformers4j.pipeline.FillMask;
import org.transformers4j.pipeline.QuestionAnswerer;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.pipeline.Text2TextGenerator;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.pipeline.TextGenerator;
import org.transformers4j.pipeline.TokenClassifier;
import org.transformers4j.scheduler.Embedding;
import org.transformers4j.scheduler.SchedulerOptions;
import org.transformers4j.scheduler.Schedulers;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.tokenizer.TokenizerJson;

/**
 * The models of this JVM (an executor, or the driver in local mode): each loaded once, lazily, by
 * the first task that needs it, then shared by every task thread through its runner. A model is
 * known by its folder as this JVM resolves it, the task, and the settings fixed at load (truncation,
 * normalisation, fill-mask candidates, the scheduler's batch limits); {@link #loads} counts the
 * loads of each folder and task.
 */
public final class ExecutorModels {
    /** What identifies one loaded model and its runner. */
    private record Key(Task task, String folder, int maxTokens, boolean normalize, int candidates, String maskToken,
                       int batchSize, int maxBatchTokens, int maxRows) {
        static Key of(Task task, String folder, T4jOptions o) {
            boolean encoder = task.kind() == ModelRegistry.Kind.ENCODER;
            return new Key(task, folder, o.maxTokens(), task == Task.EMBED && o.normalize(),
                    task == Task.FILL_MASK ? o.candidates() : 0, task == Task.FILL_MASK ? o.maskToken() : "",
                    encoder ? o.batchSize() : 0, encoder ? o.maxBatchTokens() : 0,
                    task == Task.GENERATE ? o.maxRows() : 0);
        }
    }

    /** A runner loaded at most once; a failed load leaves it empty, for the next task to try again. */
    private static final class Slot {
        private Runner runner;

        synchronized Runner get(Task task, String folder, T4jOptions options) {
            if (runner == null) {
                runner = load(task, folder, options);
                LOADS.computeIfAbsent(counterKey(task, folder), k -> new AtomicInteger()).incrementAndGet();
            }
            return runner;
        }

        synchronized void close() {
            if (runner != null) {
                runner.close();
                runner = null;
            }
        }
    }

    private static final Map<Key, Slot> MODELS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> LOADS = new ConcurrentHashMap<>();
    private static CpuBackend backend;

    private ExecutorModels() {
    }

    /** The runner of a task's model on this JVM, loading the model on first use. */
    static Runner runner(Task task, T4jOptions options) {
        String folder = ModelLocation.resolve(options);
        Slot slot = MODELS.computeIfAbsent(Key.of(task, folder, options), k -> new Slot());
        return slot.get(task, folder, options);
    }

    /**
     * How many times this JVM has loaded a model for a task: model is a folder or a name as the
     * options give it (resolved as a task would), or "default".
     */
    public static int loads(Task task, String model) {
        String folder = ModelLocation.resolve(T4jOptions.defaults().withModel(model));
        AtomicInteger n = LOADS.get(counterKey(task, folder));
        return n == null ? 0 : n.get();
    }

    private static String counterKey(Task task, String folder) {
        return task + " " + folder;
    }

    /**
     * Frees every model of this JVM (a later task loads its model again). Only when no job is
     * running: a task still using a model would fail.
     */
    public static void closeAll() {
        List<Slot> slots = new ArrayList<>(MODELS.values());
        MODELS.clear();
        slots.forEach(Slot::close);
    }

    private static synchronized CpuBackend backend(int threads) {
        if (backend == null) {
            backend = CpuBackend.create();
        }
        if (threads > 0) {
            backend.setThreads(threads);
        }
        return backend;
    }

    private static Runner load(Task task, String folder, T4jOptions o) {
        CpuBackend cpu = backend(o.threads());
        SchedulerOptions scheduling = SchedulerOptions.defaults().withMaxBatchSize(o.batchSize())
                .withMaxBatchTokens(o.maxBatchTokens()).withMaxQueued(Math.max(1 << 16, 64 * o.batchSize()))
                .withMaxQueuedChars(1L << 40).withMaxRows(o.maxRows());
        String name = "spark-" + task + "-" + (folder.equals(ModelLocation.DEFAULT) ? "all-MiniLM-L6-v2"
                : Path.of(folder).getFileName());
        if (folder.equals(ModelLocation.DEFAULT)) {
            return embeddings(name, defaultEmbedder(cpu, o), scheduling);
        }
        Path dir = Path.of(folder);
        return switch (task) {
            case EMBED -> embeddings(name, embedder(dir, cpu, o), scheduling);
            case CLASSIFY -> {
                TextClassifier c = withEncoder(dir, cpu, o, TextClassifier::new);
                yield new Runners.Batched<>(Schedulers.classifier(name, c, scheduling),
                        text -> text.isBlank() && c.tokenizer().encode(text).length() == 0, null);
            }
            case ENTITIES -> new Runners.Batched<>(Schedulers.entities(name, withEncoder(dir, cpu, o,
                    TokenClassifier::new), scheduling), null, null);
            case FILL_MASK -> {
                String mask = maskToken(dir, o);
                yield new Runners.Batched<>(Schedulers.fillMask(name, withEncoder(dir, cpu, o,
                        (m, t) -> new FillMask(m, t, mask)), o.candidates(), scheduling), null, null);
            }
            case TEXT2TEXT -> {
                Text2TextGenerator g = withModel(dir, o, d -> ModelRegistry.loadSeq2Seq(d, cpu),
                        (m, t) -> new Text2TextGenerator(m, t,
                                GenerationConfig.forModel(m.specialTokens(), dir)));
                yield new Runners.Text2Text(g);
            }
            case ANSWER -> new Runners.Answering(withEncoder(dir, cpu, o.withMaxTokens(0), QuestionAnswerer::new));
            case GENERATE -> {
                TextGenerator g = withModel(dir, o, d -> ModelRegistry.loadDecoder(d, cpu),
                        (m, t) -> new TextGenerator(m, t, GenerationConfig.forModel(m.specialTokens(), dir)));
                yield new Runners.Generating(Schedulers.generation(name, g, scheduling));
            }
        };
    }

    /**
     * A sentence-transformers folder (modules.json) as the library reads it: its pooling, its
     * Normalize module (normalize=false turns it off), its max_seq_length unless maxTokens says;
     * a plain checkpoint folder with mean pooling, normalised unless normalize=false.
     */
    private static SentenceEmbedder embedder(Path dir, CpuBackend cpu, T4jOptions o) {
        if (Files.isRegularFile(dir.resolve("modules.json"))) {
            return EmbeddingModels.load(dir, cpu, new EmbeddingOptions(null, o.normalize() ? null : Boolean.FALSE,
                    o.maxTokens(), null, null));
        }
        return withEncoder(dir, cpu, o, (m, t) -> new SentenceEmbedder(m, t, o.normalize()));
    }

    private static SentenceEmbedder defaultEmbedder(CpuBackend cpu, T4jOptions o) {
        Tokenizer tokenizer = DefaultModels.miniLmTokenizer();
        if (o.maxTokens() > 0) {
            Tokenizer truncated = tokenizer.withTruncation(o.maxTokens());
            tokenizer.close();
            tokenizer = truncated;
        }
        try {
            return new SentenceEmbedder(DefaultModels.miniLm(cpu), tokenizer, o.normalize());
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    private static Runner embeddings(String name, SentenceEmbedder embedder, SchedulerOptions scheduling) {
        return new Runners.Batched<>(Schedulers.embeddings(name, embedder, scheduling), null,
                (Embedding e) -> e.tokens() == 0 ? Runners.NO_TOKENS : null);
    }

    /** A pipeline from a model and a tokenizer. */
    @FunctionalInterface
    private interface Assembly<M, P> {
        P build(M model, Tokenizer tokenizer);
    }

    private static <P> P withEncoder(Path dir, CpuBackend cpu, T4jOptions o, Assembly<EncoderModel, P> build) {
        return withModel(dir, o, d -> ModelRegistry.loadEncoder(d, cpu), build);
    }

    /** tokenizer.json (truncated where asked), then the model, then the pipeline; what was opened is closed on failure. */
    private static <M extends AutoCloseable, P> P withModel(Path dir, T4jOptions o, Function<Path, M> loadModel,
                                                            Assembly<M, P> build) {
        Tokenizer tokenizer = Tokenizer.inDirectory(dir);
        M model = null;
        try {
            if (o.maxTokens() > 0) {
                Tokenizer truncated = tokenizer.withTruncation(o.maxTokens());
                tokenizer.close();
                tokenizer = truncated;
            }
            model = loadModel.apply(dir);
            return build.build(model, tokenizer);
        } catch (RuntimeException e) {
            tokenizer.close();
            if (model != null) {
                try {
                    model.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** The model's generation settings overridden by the options that are set; validated. */
    static GenerationConfig generationConfig(GenerationConfig model, T4jOptions o) {
        GenerationConfig.Builder b = model.toBuilder();
        if (o.maxNewTokens() != null) {
            b.maxNewTokens(o.maxNewTokens());
        }
        if (o.doSample() != null) {
            b.doSample(o.doSample());
        }
        if (o.temperature() != null) {
            b.temperature(o.temperature());
        }
        if (o.topK() != null) {
            b.topK(o.topK());
        }
        if (o.topP() != null) {
            b.topP(o.topP());
        }
        if (o.seed() != null) {
            b.seed(o.seed());
        }
        if (o.numBeams() != null) {
            b.beams(o.numBeams());
        }
        if (o.repetitionPenalty() != null) {
            b.repetitionPenalty(o.repetitionPenalty());
        }
        return b.build().validate();
    }

    /**
     * The fill-mask token: the option's, else [MASK] or &lt;mask&gt; among tokenizer.json's added
     * tokens (the file read and checked as the library reads it).
     */
    static String maskToken(Path dir, T4jOptions o) {
        if (!o.maskToken().isEmpty()) {
            return o.maskToken();
        }
        Path file = dir.resolve("tokenizer.json");
        JsonObject root = TokenizerJson.check(SafeFiles.readText(file, "tokenizer.json", SafeFiles.MAX_TOKENIZER_BYTES),
                file.toString());
        if (root.has("added_tokens")) {
            for (JsonElement t : root.getAsJsonArray("added_tokens")) {
                String content = t.getAsJsonObject().get("content").getAsString();
                if (content.equals("[MASK]") || content.equals("<mask>")) {
                    return content;
                }
            }
        }
        throw new IllegalArgumentException(file + " has no [MASK] or <mask> among its added tokens; give the "
                + "mask token with the maskToken option");
    }
}
