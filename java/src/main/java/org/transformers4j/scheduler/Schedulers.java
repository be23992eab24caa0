package org.transformers4j.scheduler;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.pipeline.FillMask;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.pipeline.TextGenerator;
import org.transformers4j.pipeline.TokenClassifier;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * Schedulers in front of the pipelines, one per loaded model: the scheduler takes the pipeline
 * over (closing the scheduler closes it) and becomes the only thread that runs its model.
 *
 * <pre>{@code
 * try (var embeddings = Schedulers.embeddings("minilm", DefaultModels.miniLmEmbedder(backend),
 *         SchedulerOptions.defaults())) {
 *     float[] v = embeddings.submit("a text").join().vector();   // from any number of threads
 * }
 * }</pre>
 */
public final class Schedulers {
    /** Most logits (rows x vocabulary) one fill-mask batch computes. */
    private static final long FILL_MASK_LOGITS = 64L << 20;

    private Schedulers() {
    }

    /**
     * Sentence embeddings, batched, with the tokens each text took.
     *
     * @param name the scheduler's name, in metrics, events and thread names
     * @param embedder the pipeline the scheduler runs (and closes when it closes)
     * @param options queue, batch and deadline limits
     * @return the running scheduler
     */
    public static BatchScheduler<String, Embedding> embeddings(String name, SentenceEmbedder embedder,
                                                              SchedulerOptions options) {
        return new BatchScheduler<>(name, new EncoderTask<>("embed", embedder, embedder.model(),
                embedder.tokenizer(), encodings -> {
                    float[][] vectors = embedder.embedEncoded(encodings);
                    List<Embedding> out = new ArrayList<>();
                    for (int i = 0; i < vectors.length; i++) {
                        out.add(new Embedding(vectors[i], encodings.get(i).length()));
                    }
                    return out;
                }) {
            @Override
            Encoding encode(String text) {
                return embedder.encode(text); // with the embedder's prompt, stripping and truncation
            }
        }, options);
    }

    /**
     * Text classification (every label with its probability, most likely first), batched.
     *
     * @param name the scheduler's name, in metrics, events and thread names
     * @param classifier the pipeline the scheduler runs (and closes when it closes)
     * @param options queue, batch and deadline limits
     * @return the running scheduler
     */
    public static BatchScheduler<String, List<TextClassifier.Label>> classifier(String name, TextClassifier classifier,
                                                                               SchedulerOptions options) {
        return new BatchScheduler<>(name, new EncoderTask<>("classify", classifier, classifier.model(),
                classifier.tokenizer(), classifier::classifyEncoded), options);
    }

    /**
     * Token classification merged into entities, batched.
     *
     * @param name the scheduler's name, in metrics, events and thread names
     * @param classifier the pipeline the scheduler runs (and closes when it closes)
     * @param options queue, batch and deadline limits
     * @return the running scheduler
     */
    public static BatchScheduler<String, List<TokenClassifier.Entity>> entities(String name, TokenClassifier classifier,
                                                                               SchedulerOptions options) {
        return new BatchScheduler<>(name, new EncoderTask<>("token-classify", classifier, classifier.model(),
                classifier.tokenizer(), null) {
            @Override
            public List<List<TokenClassifier.Entity>> run(List<Prepared> batch) {
                List<List<TokenClassifier.TokenLabel>> labels = classifier.labelEncoded(encodings(batch));
                List<List<TokenClassifier.Entity>> out = new ArrayList<>();
                for (int i = 0; i < batch.size(); i++) {
                    out.add(TokenClassifier.merge(labels.get(i), batch.get(i).text()));
                }
                return out;
            }
        }, options);
    }

    /**
     * Fill-mask: for each mask token of a text, its topK candidates; batched.
     *
     * @param name the scheduler's name, in metrics, events and thread names
     * @param fillMask the pipeline the scheduler runs (and closes when it closes)
     * @param topK candidates per mask, at least 1
     * @param options queue, batch and deadline limits (batches are also bounded by the logits they make)
     * @return the running scheduler
     */
    public static BatchScheduler<String, List<List<FillMask.Prediction>>> fillMask(String name, FillMask fillMask,
                                                                                  int topK, SchedulerOptions options) {
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be >= 1, got " + topK);
        }
        // the head gives logits [tokens, V] for every position: bound them to 64 M floats a batch
        int budget = (int) Math.max(1, Math.min(options.maxBatchTokens(), FILL_MASK_LOGITS / fillMask.model().vocabSize()));
        return new BatchScheduler<>(name, new EncoderTask<>("fill-mask", fillMask, fillMask.model(),
                fillMask.tokenizer(), encodings -> fillMask.fillEncoded(encodings, topK)) {
            @Override
            public Prepared prepare(String text) {
                Prepared p = super.prepare(text);
                fillMask.masks(p.encoding(), text);
                return p;
            }
        }, options.withMaxBatchTokens(budget));
    }

    /**
     * Batching in front of any work of one's own (a task prepares inputs and runs lists of them as one pass).
     *
     * @param <I> a request's input
     * @param <P> an input as the task prepared it
     * @param <O> a request's answer
     * @param name the scheduler's name, in metrics, events and thread names
     * @param task the work
     * @param options queue, batch and deadline limits
     * @return the running scheduler
     */
    public static <I, P, O> BatchScheduler<I, O> batch(String name, BatchScheduler.Task<I, P, O> task,
                                                      SchedulerOptions options) {
        return new BatchScheduler<>(name, task, options);
    }

    /**
     * Text generation with continuous batching.
     *
     * @param name the scheduler's name, in metrics, events and thread names
     * @param generator the pipeline the scheduler runs (and closes when it closes)
     * @param options queue, batch and deadline limits
     * @return the running scheduler
     */
    public static GenerationScheduler generation(String name, TextGenerator generator, SchedulerOptions options) {
        return new GenerationScheduler(name, generator, options);
    }

    /** An encoder pipeline's work: tokenize each text, run encodings in one pass. */
    private static class EncoderTask<O> implements BatchScheduler.Task<String, EncoderTask.Prepared, O> {
        /** A text and its encoding. */
        record Prepared(String text, Encoding encoding) {
        }

        private final String kind;
        private final AutoCloseable pipeline;
        private final EncoderModel model;
        private final Tokenizer tokenizer;
        private final Function<List<Encoding>, List<O>> pass;

        EncoderTask(String kind, AutoCloseable pipeline, EncoderModel model, Tokenizer tokenizer,
                    Function<List<Encoding>, List<O>> pass) {
            this.kind = kind;
            this.pipeline = pipeline;
            this.model = model;
            this.tokenizer = tokenizer;
            this.pass = pass;
        }

        @Override
        public String kind() {
            return kind;
        }

        @Override
        public long chars(String input) {
            return input.length();
        }

        /** The text's tokens, as the pipeline makes them. */
        Encoding encode(String text) {
            return tokenizer.encode(text);
        }

        @Override
        public Prepared prepare(String text) {
            Encoding e = encode(text);
            if (e.length() > model.maxPositions()) {
                throw new IllegalArgumentException("the text has " + e.length() + " tokens, more than the "
                        + model.maxPositions() + " positions of " + model.config().source());
            }
            return new Prepared(text, e);
        }

        @Override
        public int tokens(Prepared prepared) {
            return prepared.encoding().length();
        }

        @Override
        public List<O> run(List<Prepared> batch) {
            return pass.apply(encodings(batch));
        }

        static List<Encoding> encodings(List<Prepared> batch) {
            return batch.stream().map(Prepared::encoding).toList();
        }

        @Override
        public void close() {
            try {
                pipeline.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the " + kind + " pipeline failed: " + e.getMessage(), e);
            }
        }
    }
}
