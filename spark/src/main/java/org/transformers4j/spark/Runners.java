package org.transformers4j.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.pipeline.Generation;
import org.transformers4j.pipeline.QuestionAnswerer;
import org.transformers4j.pipeline.Text2TextGenerator;
import org.transformers4j.scheduler.BatchScheduler;
import org.transformers4j.scheduler.GenerationScheduler;
import org.transformers4j.scheduler.GenerationStream;
import org.transformers4j.scheduler.SchedulerFullException;

/** The runners: in front of a batch scheduler, a generation scheduler, or a locked text2text pipeline. */
final class Runners {
    private Runners() {
    }

    /**
     * An encoder pipeline behind the library's batch scheduler: a task's texts are submitted
     * together and merged with other tasks' into forward passes.
     *
     * @param <O> what the scheduler gives per text
     */
    static final class Batched<O> implements Runner {
        private final BatchScheduler<String, O> scheduler;
        private final Predicate<String> hasNoTokens;
        private final Function<O, String> invalid;

        /**
         * @param hasNoTokens true for a text that gives no tokens (checked before submitting; may be null)
         * @param invalid     why a result is not one (null when it is; may be null)
         */
        Batched(BatchScheduler<String, O> scheduler, Predicate<String> hasNoTokens, Function<O, String> invalid) {
            this.scheduler = scheduler;
            this.hasNoTokens = hasNoTokens;
            this.invalid = invalid;
        }

        @Override
        public List<Outcome> run(List<String> texts, T4jOptions options) {
            Outcome[] out = new Outcome[texts.size()];
            List<Integer> index = new ArrayList<>();
            List<String> submitted = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                if (hasNoTokens != null && hasNoTokens.test(texts.get(i))) {
                    out[i] = Outcome.failed(NO_TOKENS);
                } else {
                    index.add(i);
                    submitted.add(texts.get(i));
                }
            }
            if (!submitted.isEmpty()) {
                List<CompletableFuture<O>> futures = admitted(() -> scheduler.submitAll(submitted, null));
                for (int j = 0; j < futures.size(); j++) {
                    out[index.get(j)] = await(futures, j);
                }
            }
            return List.of(out);
        }

        private Outcome await(List<CompletableFuture<O>> futures, int j) {
            try {
                O result = futures.get(j).get();
                String why = invalid == null ? null : invalid.apply(result);
                return why == null ? Outcome.ok(result) : Outcome.failed(why);
            } catch (ExecutionException e) {
                return Outcome.failed(Runner.describe(e));
            } catch (InterruptedException e) {
                futures.forEach(f -> f.cancel(false));
                Thread.currentThread().interrupt();
                throw new Interrupted(e);
            }
        }

        @Override
        public void close() {
            scheduler.close();
        }
    }

    /** The message of a text that tokenizes to nothing (an empty text with a tokenizer adding no special tokens). */
    static final String NO_TOKENS = "the text has no tokens";

    /** A decoder-only model behind the library's generation scheduler (continuous batching). */
    static final class Generating implements Runner {
        private final GenerationScheduler scheduler;

        Generating(GenerationScheduler scheduler) {
            this.scheduler = scheduler;
        }

        @Override
        public List<Outcome> run(List<String> texts, T4jOptions options) {
            GenerationConfig config = ExecutorModels.generationConfig(scheduler.defaults(), options);
            List<GenerationStream> streams = new ArrayList<>();
            try {
                for (String t : texts) {
                    streams.add(admitted(() -> scheduler.submit(t, config, null)));
                }
            } catch (RuntimeException e) {
                streams.forEach(GenerationStream::cancel);
                throw e;
            }
            List<Outcome> out = new ArrayList<>();
            for (GenerationStream s : streams) {
                try {
                    out.add(Outcome.ok(s.result().get().get(0).text()));
                } catch (ExecutionException e) {
                    out.add(Outcome.failed(Runner.describe(e)));
                } catch (InterruptedException e) {
                    streams.forEach(GenerationStream::cancel);
                    Thread.currentThread().interrupt();
                    throw new Interrupted(e);
                }
            }
            return out;
        }

        @Override
        public void close() {
            scheduler.close();
        }
    }

    /**
     * An encoder-decoder model, which has no scheduler in the library: one batch at a time under a
     * lock (the pipeline is thread-safe, but one model's passes at a time keep the executor's
     * memory at one batch). Greedy and beam search run a task's texts in batches of batchSize; sampling runs
     * each text alone, so that a row's text depends on its seed only. A batch that fails is run
     * again text by text, so that one bad text fails only its row.
     */
    static final class Text2Text implements Runner {
        private final Text2TextGenerator generator;
        private final ReentrantLock lock = new ReentrantLock();

        Text2Text(Text2TextGenerator generator) {
            this.generator = generator;
        }

        @Override
        public List<Outcome> run(List<String> texts, T4jOptions options) {
            GenerationConfig config = ExecutorModels.generationConfig(generator.defaults(), options);
            List<Outcome> out = new ArrayList<>();
            for (int from = 0; from < texts.size(); from += options.batchSize()) {
                List<String> batch = texts.subList(from, Math.min(texts.size(), from + options.batchSize()));
                try {
                    lock.lockInterruptibly();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new Interrupted(e);
                }
                try {
                    out.addAll(batch(batch, config));
                } finally {
                    lock.unlock();
                }
            }
            return out;
        }

        /** One batch of at most batchSize texts (each alone when sampling, or when the batch fails). */
        private List<Outcome> batch(List<String> texts, GenerationConfig config) {
            if (!config.doSample() && texts.size() > 1) {
                try {
                    return generator.generate(texts, config, null).stream().map(g -> Outcome.ok(g.get(0).text())).toList();
                } catch (RuntimeException e) {
                    // one text spoilt the batch: each alone below
                }
            }
            List<Outcome> out = new ArrayList<>();
            for (String t : texts) {
                out.add(alone(t, config));
            }
            return out;
        }

        private Outcome alone(String text, GenerationConfig config) {
            try {
                List<Generation> g = generator.generate(List.of(text), config, null).get(0);
                return Outcome.ok(g.get(0).text());
            } catch (RuntimeException e) {
                return Outcome.failed(Runner.describe(e));
            }
        }

        @Override
        public void close() {
            generator.close();
        }
    }

    /**
     * A question-answering model, which has no scheduler in the library: a task's pairs are
     * tokenized into windows, then answered batchSize questions at a time under a lock (the
     * pipeline batches their windows into passes; one model's passes at a time keep the executor's
     * memory at one batch). A pair that cannot be tokenized (an empty question or context, a
     * question that leaves the context no room) fails its row alone, and so does each pair of a
     * batch that fails.
     */
    static final class Answering implements Runner {
        private final QuestionAnswerer answerer;
        private final ReentrantLock lock = new ReentrantLock();

        Answering(QuestionAnswerer answerer) {
            this.answerer = answerer;
        }

        @Override
        public List<Outcome> run(List<String> texts, T4jOptions options) {
            throw new IllegalStateException("question answering reads a question and a context per row");
        }

        @Override
        public List<Outcome> runPairs(List<String> questions, List<String> contexts, T4jOptions options) {
            Outcome[] out = new Outcome[questions.size()];
            List<Integer> index = new ArrayList<>();
            List<QuestionAnswerer.Question> encoded = new ArrayList<>();
            for (int i = 0; i < questions.size(); i++) {
                try {
                    encoded.add(answerer.encode(questions.get(i), contexts.get(i)));
                    index.add(i);
                } catch (RuntimeException e) {
                    out[i] = Outcome.failed(Runner.describe(e));
                }
            }
            for (int from = 0; from < encoded.size(); from += options.batchSize()) {
                int to = Math.min(encoded.size(), from + options.batchSize());
                List<QuestionAnswerer.Question> part = encoded.subList(from, to);
                List<Outcome> done = locked(() -> batch(part));
                for (int j = from; j < to; j++) {
                    out[index.get(j)] = done.get(j - from);
                }
            }
            return List.of(out);
        }

        private List<Outcome> batch(List<QuestionAnswerer.Question> questions) {
            try {
                return answerer.answerEncoded(questions, QuestionAnswerer.Options.DEFAULTS).stream()
                        .map(a -> Outcome.ok(a.get(0))).toList();
            } catch (RuntimeException e) {
                if (questions.size() == 1) {
                    return List.of(Outcome.failed(Runner.describe(e)));
                }
            }
            List<Outcome> out = new ArrayList<>();
            for (QuestionAnswerer.Question q : questions) {
                out.addAll(batch(List.of(q)));
            }
            return out;
        }

        private <T> T locked(Supplier<T> work) {
            try {
                lock.lockInterruptibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Interrupted(e);
            }
            try {
                return work.get();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            answerer.close();
        }
    }

    /**
     * Submits, waiting while the scheduler's queue is full (other tasks of the executor have
     * filled it) rather than failing the rows.
     */
    static <T> T admitted(Supplier<T> submit) {
        long pause = 1;
        while (true) {
            try {
                return submit.get();
            } catch (SchedulerFullException e) {
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new Runner.Interrupted(ie);
                }
                pause = Math.min(100, pause * 2);
            }
        }
    }
}
