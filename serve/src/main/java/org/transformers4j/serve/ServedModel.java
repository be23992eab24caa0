package org.transformers4j.serve;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.transformers4j.backend.Backend;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.EmbeddingFolder;
import org.transformers4j.pipeline.EmbeddingModels;
import org.transformers4j.pipeline.EmbeddingOptions;
import org.transformers4j.pipeline.EmbeddingSettings;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.pipeline.TextGenerator;
import org.transformers4j.scheduler.BatchScheduler;
import org.transformers4j.scheduler.Embedding;
import org.transformers4j.scheduler.GenerationScheduler;
import org.transformers4j.scheduler.SchedulerMetrics;
import org.transformers4j.scheduler.SchedulerOptions;
import org.transformers4j.scheduler.Schedulers;
import org.transformers4j.tokenizer.Tokenizer;
import java.time.Duration;

/**
 * A model the server serves under a name, with the scheduler its kind needs: an encoder without a
 * classification head embeds (/v1/embeddings, /embed), a sequence classifier predicts (/predict),
 * a decoder-only model completes (/v1/completions).
 */
public final class ServedModel implements AutoCloseable {
    /** What a model serves. */
    public enum Kind {
        EMBEDDING("/v1/embeddings and /embed"), CLASSIFICATION("/predict"), GENERATION("/v1/completions");

        final String endpoints;

        Kind(String endpoints) {
            this.endpoints = endpoints;
        }
    }

    final String name;
    final Kind kind;
    final BatchScheduler<String, Embedding> embeddings;
    final BatchScheduler<String, List<TextClassifier.Label>> classifier;
    final GenerationScheduler generation;
    final long created = System.currentTimeMillis() / 1000;

    private ServedModel(String name, Kind kind, BatchScheduler<String, Embedding> embeddings,
                        BatchScheduler<String, List<TextClassifier.Label>> classifier, GenerationScheduler generation) {
        this.name = name;
        this.kind = kind;
        this.embeddings = embeddings;
        this.classifier = classifier;
        this.generation = generation;
    }

    /** How the server builds embedders: normalising is the API's to do. */
    private static final EmbeddingOptions UNNORMALISED = EmbeddingOptions.defaults().withNormalize(false);

    /** An embedding model; the embedder's vectors are normalised by the server where the API asks. */
    static ServedModel embedding(String name, SentenceEmbedder embedder, SchedulerOptions options) {
        return new ServedModel(name, Kind.EMBEDDING, Schedulers.embeddings(name, embedder, options), null, null);
    }

    /** An embedding model behind a scheduler made elsewhere (the server then owns it). */
    static ServedModel embedding(String name, BatchScheduler<String, Embedding> scheduler) {
        return new ServedModel(name, Kind.EMBEDDING, scheduler, null, null);
    }

    static ServedModel classification(String name, TextClassifier classifier, SchedulerOptions options) {
        return new ServedModel(name, Kind.CLASSIFICATION, null, Schedulers.classifier(name, classifier, options), null);
    }

    static ServedModel generation(String name, TextGenerator generator, SchedulerOptions options) {
        return new ServedModel(name, Kind.GENERATION, null, null, Schedulers.generation(name, generator, options));
    }

    /** all-MiniLM-L6-v2, the library's default model. */
    public static ServedModel defaultModel(Backend backend, SchedulerOptions options) {
        SentenceEmbedder e = new SentenceEmbedder(DefaultModels.miniLm(backend), DefaultModels.miniLmTokenizer(), false);
        return embedding("all-MiniLM-L6-v2", e, options);
    }

    /**
     * The model in a folder (config.json, weights, tokenizer.json), served by what its config
     * describes; a sentence-transformers folder (modules.json) serves embeddings with its pooling,
     * prompts and length. Embedders are built without normalisation: the APIs normalise where
     * they ask for it (OpenAI's always, TEI's unless normalize is false).
     */
    public static ServedModel load(String name, Path dir, Backend backend, SchedulerOptions options) {
        if (Files.exists(dir.resolve("modules.json"))) {
            return embedding(name, EmbeddingModels.load(dir, backend, UNNORMALISED), options);
        }
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        return switch (ModelRegistry.kind(config)) {
            case DECODER -> generation(name, TextGenerator.load(dir, backend), options);
            case SEQ2SEQ -> throw new IllegalArgumentException(dir + ": encoder-decoder models (" + config.modelType()
                    + ") have no endpoint in the server yet; serve an encoder or a decoder-only model");
            case ENCODER -> encoder(name, dir, backend, options);
        };
    }

    private static ServedModel encoder(String name, Path dir, Backend backend, SchedulerOptions options) {
        Tokenizer tokenizer = Tokenizer.inDirectory(dir);
        EncoderModel model;
        try {
            model = ModelRegistry.loadEncoder(dir, backend);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        return switch (model.head()) {
            case SEQUENCE_CLASSIFICATION -> classification(name, new TextClassifier(model, tokenizer), options);
            case TOKEN_CLASSIFICATION -> {
                model.close();
                tokenizer.close();
                throw new IllegalArgumentException(dir + ": token-classification models have no endpoint in the server");
            }
            default -> embedding(name, plainEmbedder(dir, model, tokenizer), options);
        };
    }

    /**
     * A plain checkpoint folder as an embedding model: mean pooling, as sentence-transformers makes
     * it, with its tokenizer as it is: a text longer than the model is refused (400) rather than cut.
     */
    private static SentenceEmbedder plainEmbedder(Path dir, EncoderModel model, Tokenizer tokenizer) {
        try {
            EmbeddingSettings settings = EmbeddingModels.settings(EmbeddingFolder.read(dir), UNNORMALISED,
                    model.hiddenSize(), model.maxPositions()).withMaxLength(0);
            return new SentenceEmbedder(model, tokenizer, settings);
        } catch (RuntimeException e) {
            model.close();
            tokenizer.close();
            throw e;
        }
    }

    /** The name requests select it by. */
    public String name() {
        return name;
    }

    /** What it serves. */
    public Kind kind() {
        return kind;
    }

    /** The scheduler's counters. */
    SchedulerMetrics metrics() {
        return switch (kind) {
            case EMBEDDING -> embeddings.metrics();
            case CLASSIFICATION -> classifier.metrics();
            case GENERATION -> generation.metrics();
        };
    }

    /** Lets queued and running requests finish for up to grace, then frees the model. */
    boolean shutdown(Duration grace) {
        return switch (kind) {
            case EMBEDDING -> embeddings.shutdown(grace);
            case CLASSIFICATION -> classifier.shutdown(grace);
            case GENERATION -> generation.shutdown(grace);
        };
    }

    /** Frees the model (the server does this when it stops). */
    @Override
    public void close() {
        switch (kind) {
            case EMBEDDING -> embeddings.close();
            case CLASSIFICATION -> classifier.close();
            case GENERATION -> generation.close();
        }
    }
}
