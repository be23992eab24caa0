package org.transformers4j.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.FillMask;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.pipeline.TokenClassifier;
import org.transformers4j.tensor.TensorArena;

/**
 * Dynamic batching of the encoder pipelines on the fixtures: results equal what each text gives
 * alone (within the padded-batch tolerance), admission control, deadlines, cancellation, memory.
 */
class BatchSchedulerTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    static EncoderModel fixture(String name) {
        return ModelRegistry.loadEncoder(Fixtures.model(name), cpu);
    }

    static SentenceEmbedder embedder() {
        EncoderModel m = fixture("bert-mlm");
        return new SentenceEmbedder(m, NumberedTokenizer.of(m.vocabSize()), true);
    }

    static String text(int i) {
        return NumberedTokenizer.prompt(i, 1 + i % 40, 1000);
    }

    static float[][] alone(int n) {
        try (SentenceEmbedder e = embedder()) {
            float[][] out = new float[n][];
            for (int i = 0; i < n; i++) {
                out[i] = e.embed(text(i));
            }
            return out;
        }
    }

    static void assertClose(float[] want, float[] have, String what) {
        assertEquals(want.length, have.length, what);
        for (int k = 0; k < want.length; k++) {
            assertEquals(want[k], have[k], 1e-5, what + " [" + k + "]");
        }
    }

    @Test
    void embeddingsFrom64PlatformThreads() throws Exception {
        float[][] want = alone(64 * 8);
        long started = System.nanoTime();
        try (BatchScheduler<String, Embedding> s = Schedulers.embeddings("bert", embedder(), SchedulerOptions.defaults());
             ExecutorService pool = Executors.newFixedThreadPool(64)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 64; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = thread; i < want.length; i += 64) {
                        assertClose(want[i], s.submit(text(i)).join().vector(), "text " + i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            assertEquals(want.length, s.metrics().completed());
            assertTrue(s.metrics().batches() < want.length, "requests were batched: " + s.metrics().batches()
                    + " passes for " + want.length + " requests");
            double wall = (System.nanoTime() - started) / 1e9, busy = s.metrics().busySeconds();
            assertTrue(busy > 0 && busy <= wall, "time in passes " + busy + " s within the " + wall + " s of the test");
        }
    }

    @Test
    void embeddingsFromAThousandVirtualThreads() throws Exception {
        float[][] want = alone(1000);
        try (BatchScheduler<String, Embedding> s = Schedulers.embeddings("bert", embedder(), SchedulerOptions.defaults());
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<float[]>> got = new ArrayList<>();
            for (int i = 0; i < want.length; i++) {
                String t = text(i);
                got.add(threads.submit(() -> s.submit(t).join().vector()));
            }
            for (int i = 0; i < want.length; i++) {
                assertClose(want[i], got.get(i).get(), "text " + i);
            }
            assertTrue(s.metrics().batchRows().sum() / s.metrics().batchRows().count() > 4,
                    "batches of several rows formed");
        }
    }

    @Test
    void classificationTokenClassificationAndFillMaskMatchThePipelines() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            texts.add(text(i));
        }
        List<String> masked = texts.stream().map(t -> t + " [MASK] t7").toList();
        try (TextClassifier tc = new TextClassifier(fixture("bert-seqcls"), NumberedTokenizer.of(1000));
             TokenClassifier ner = new TokenClassifier(fixture("bert-tokcls"), NumberedTokenizer.of(1000));
             FillMask fm = new FillMask(fixture("bert-mlm"), NumberedTokenizer.withMask(1000), "[MASK]");
             var classify = Schedulers.classifier("seqcls", new TextClassifier(fixture("bert-seqcls"),
                     NumberedTokenizer.of(1000)), SchedulerOptions.defaults());
             var entities = Schedulers.entities("tokcls", new TokenClassifier(fixture("bert-tokcls"),
                     NumberedTokenizer.of(1000)), SchedulerOptions.defaults());
             var fill = Schedulers.fillMask("mlm", new FillMask(fixture("bert-mlm"), NumberedTokenizer.withMask(1000), "[MASK]"),
                     3, SchedulerOptions.defaults())) {
            var c = texts.stream().map(classify::submit).toList();
            var e = texts.stream().map(entities::submit).toList();
            var f = masked.stream().map(fill::submit).toList();
            for (int i = 0; i < texts.size(); i++) {
                var want = tc.classify(texts.get(i));
                var have = c.get(i).get();
                assertEquals(want.stream().map(TextClassifier.Label::label).toList(),
                        have.stream().map(TextClassifier.Label::label).toList(), "text " + i);
                for (int k = 0; k < want.size(); k++) {
                    assertEquals(want.get(k).score(), have.get(k).score(), 1e-5);
                }
                assertEquals(ner.entities(texts.get(i)).stream().map(TokenClassifier.Entity::word).toList(),
                        e.get(i).get().stream().map(TokenClassifier.Entity::word).toList(), "text " + i);
                assertEquals(fm.fill(masked.get(i), 3).get(0).stream().map(FillMask.Prediction::tokenId).toList(),
                        f.get(i).get().get(0).stream().map(FillMask.Prediction::tokenId).toList(), "text " + i);
            }
            var noMask = assertThrows(CompletionException.class, () -> fill.submit("t5 t6").join());
            assertTrue(noMask.getCause().getMessage().contains("no mask token"), noMask.getMessage());
        }
    }

    /** A task that blocks until released, to hold the worker while the queue fills. */
    static class Gate implements BatchScheduler.Task<String, String, Integer> {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger passes = new AtomicInteger();
        final List<Integer> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public String kind() {
            return "gate";
        }

        @Override
        public long chars(String input) {
            return input.length();
        }

        @Override
        public String prepare(String input) {
            if (input.equals("bad")) {
                throw new IllegalArgumentException("bad input");
            }
            return input;
        }

        @Override
        public int tokens(String prepared) {
            return prepared.length();
        }

        @Override
        public List<Integer> run(List<String> batch) {
            passes.incrementAndGet();
            sizes.add(batch.size());
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            if (batch.contains("boom")) {
                throw new IllegalArgumentException("boom");
            }
            return batch.stream().map(String::length).toList();
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aFullQueueRefusesAtOnceAndDeadlinesAndCancellationsLeaveIt() throws Exception {
        Gate gate = new Gate();
        SchedulerOptions options = SchedulerOptions.defaults().withMaxQueued(4).withMaxQueuedChars(100)
                .withMaxWait(Duration.ZERO);
        try (BatchScheduler<String, Integer> s = new BatchScheduler<>("gate", gate, options)) {
            CompletableFuture<Integer> holding = s.submit("first");
            GenerationSchedulerTest.waitFor(() -> gate.passes.get() == 1); // the worker is held in a pass
            List<CompletableFuture<Integer>> waiting = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                waiting.add(s.submit("w" + i));
            }
            var full = assertThrows(SchedulerFullException.class, () -> s.submit("one more"));
            assertTrue(full.getMessage().contains("4 requests are waiting, the limit is 4"), full.getMessage());
            waiting.get(0).cancel(false);
            CompletableFuture<Integer> expiring = s.submit("x", Duration.ofMillis(20));
            var e = assertThrows(CompletionException.class, expiring::join);
            assertInstanceOf(TimeoutException.class, e.getCause());
            var chars = assertThrows(SchedulerFullException.class, () -> s.submit("y".repeat(98)));
            assertTrue(chars.getMessage().contains("characters"), chars.getMessage());
            waiting.add(s.submit("zz"));
            gate.release.countDown();
            assertEquals(5, holding.get());
            assertThrows(CancellationException.class, () -> waiting.get(0).join());
            for (int i = 1; i < waiting.size(); i++) {
                assertEquals(2, waiting.get(i).get());
            }
            assertEquals(2, s.metrics().rejected());
            assertEquals(1, s.metrics().cancelled());
            assertEquals(0, s.metrics().queueDepth());
            assertTrue(gate.sizes.get(1) == 4, "the waiting requests ran as one batch: " + gate.sizes);
        }
    }

    @Test
    void aBadInputFailsOnlyItself() throws Exception {
        Gate gate = new Gate();
        gate.release.countDown();
        SchedulerOptions options = SchedulerOptions.defaults().withMaxWait(Duration.ofMillis(200)).withMaxBatchSize(3);
        try (BatchScheduler<String, Integer> s = new BatchScheduler<>("gate", gate, options)) {
            var futures = s.submitAll(List.of("bad", "ok", "boom", "fine"), null);
            assertThrows(CompletionException.class, () -> futures.get(0).join());
            assertEquals(2, futures.get(1).get());
            var boom = assertThrows(CompletionException.class, () -> futures.get(2).join());
            assertEquals("boom", boom.getCause().getMessage());
            assertEquals(4, futures.get(3).get());
            assertEquals(2, s.metrics().failed());
        }
    }

    @Test
    void batchesKeepToTheTokenBudget() throws Exception {
        Gate gate = new Gate();
        gate.release.countDown();
        SchedulerOptions options = SchedulerOptions.defaults().withMaxWait(Duration.ofMillis(300))
                .withMaxBatchTokens(20).withMaxBatchSize(100);
        try (BatchScheduler<String, Integer> s = new BatchScheduler<>("gate", gate, options)) {
            List<String> inputs = List.of("aaaa", "bbbbbbbbbb", "cc", "dddddddddddddddddddddddd", "e", "ffff", "gg");
            var futures = s.submitAll(inputs, null);
            for (int i = 0; i < inputs.size(); i++) {
                assertEquals(inputs.get(i).length(), futures.get(i).get());
            }
            // sorted by length: [e cc gg aaaa ffff] (5 x 4 = 20), [bbbbbbbbbb] (10; two would be 20 + ...), then the long one alone
            assertEquals(List.of(5, 1, 1), gate.sizes);
        }
    }

    /** A task that holds each pass until the test lets it go. */
    static final class Steps extends Gate {
        final java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(0);
        final List<List<String>> batches = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public List<Integer> run(List<String> batch) {
            batches.add(List.copyOf(batch));
            passes.incrementAndGet();
            sizes.add(batch.size());
            try {
                assertTrue(permits.tryAcquire(30, TimeUnit.SECONDS), "the test let the pass go");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return batch.stream().map(String::length).toList();
        }
    }

    @Test
    void aSmallLeftoverWaitsOnceForTheNextBatch() throws Exception {
        Steps steps = new Steps();
        SchedulerOptions options = SchedulerOptions.defaults().withMaxBatchSize(4).withMaxWait(Duration.ZERO);
        try (BatchScheduler<String, Integer> s = new BatchScheduler<>("steps", steps, options)) {
            List<CompletableFuture<Integer>> all = new ArrayList<>(List.of(s.submit("a")));
            GenerationSchedulerTest.waitFor(() -> steps.passes.get() == 1);
            all.addAll(s.submitAll(List.of("b", "c", "d", "e", "f"), null)); // a full batch and one over
            steps.permits.release();
            GenerationSchedulerTest.waitFor(() -> steps.passes.get() == 2);
            all.addAll(s.submitAll(List.of("g", "h", "i"), null)); // while the full batch runs
            steps.permits.release(10);
            for (CompletableFuture<Integer> f : all) {
                assertEquals(1, f.get(30, TimeUnit.SECONDS));
            }
            assertEquals(List.of(1, 4, 4), steps.sizes, "the leftover joined the next requests");
            all = new ArrayList<>(s.submitAll(List.of("j", "k", "l", "m", "n"), null));
            for (CompletableFuture<Integer> f : all) {
                assertEquals(1, f.get(30, TimeUnit.SECONDS));
            }
            assertEquals(List.of(1, 4, 4, 4, 1), steps.sizes, "with nothing else waiting it runs at once after");
            assertEquals(0, s.metrics().queueDepth());
        }
    }

    @Test
    void aLeftoverOfHalfTheTokenBudgetRunsAtOnce() throws Exception {
        Steps steps = new Steps();
        SchedulerOptions options = SchedulerOptions.defaults().withMaxBatchSize(4).withMaxBatchTokens(20)
                .withMaxWait(Duration.ZERO);
        try (BatchScheduler<String, Integer> s = new BatchScheduler<>("steps", steps, options)) {
            List<CompletableFuture<Integer>> all = new ArrayList<>(List.of(s.submit("a")));
            GenerationSchedulerTest.waitFor(() -> steps.passes.get() == 1);
            String x = "x".repeat(12); // 12 tokens: over half the budget of 20, nothing could join it
            all.addAll(s.submitAll(List.of("b", "c", "d", "e", x), null));
            steps.permits.release();
            GenerationSchedulerTest.waitFor(() -> steps.passes.get() == 2);
            all.add(s.submit("y")); // waits while the full batch runs
            steps.permits.release(10);
            for (CompletableFuture<Integer> f : all) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertEquals(List.of(List.of("a"), List.of("b", "c", "d", "e"), List.of(x), List.of("y")), steps.batches,
                    "the long leftover ran right after the full batch, not after y");
        }
    }

    @Test
    void scratchMemoryIsBoundedByTheBatchLimitsAndFreedWhenIdle() throws Exception {
        SchedulerOptions options = SchedulerOptions.defaults().withIdleTrim(Duration.ofMillis(300));
        try (BatchScheduler<String, Embedding> s = Schedulers.embeddings("bert", embedder(), options.withMaxQueued(4096));
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            GenerationSchedulerTest.waitFor(() -> TensorArena.idlePoolBytes() == 0);
            String longest = text(39);
            s.submitAll(java.util.Collections.nCopies(options.maxBatchSize(), longest), null)
                    .forEach(CompletableFuture::join);
            long oneFullBatch = TensorArena.poolBytes();
            assertTrue(oneFullBatch > 0);
            List<Future<float[]>> burst = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                String t = text(i);
                burst.add(threads.submit(() -> s.submit(t).join().vector()));
            }
            for (Future<float[]> f : burst) {
                f.get();
            }
            assertEquals(oneFullBatch, TensorArena.poolBytes(), "2,000 callers hold no more than one full batch");
            GenerationSchedulerTest.waitFor(() -> TensorArena.poolBytes() == 0);
        }
    }

    @Test
    void flightRecorderSeesEachPassAndEachGeneration() throws Exception {
        Path file = java.nio.file.Files.createTempFile("t4j", ".jfr");
        try (jdk.jfr.Recording recording = new jdk.jfr.Recording()) {
            recording.enable("org.transformers4j.Batch");
            recording.enable("org.transformers4j.Generation");
            recording.start();
            try (var s = Schedulers.embeddings("bert", embedder(), SchedulerOptions.defaults())) {
                s.submitAll(List.of("t5 t6", "t7"), null).forEach(CompletableFuture::join);
            }
            try (var g = Schedulers.generation("gpt2", GenerationSchedulerTest.pipeline("gpt2", cpu), SchedulerOptions.defaults())) {
                g.submit("t5", g.defaults().withMaxNewTokens(3), null).result().join();
            }
            recording.stop();
            recording.dump(file);
        }
        List<jdk.jfr.consumer.RecordedEvent> events = jdk.jfr.consumer.RecordingFile.readAllEvents(file);
        java.nio.file.Files.delete(file);
        var batches = events.stream().filter(e -> e.getEventType().getName().equals("org.transformers4j.Batch")).toList();
        assertTrue(batches.stream().anyMatch(e -> e.getString("kind").equals("embed") && e.getInt("rows") == 2
                && e.getLong("tokens") == 3 && e.getString("model").equals("bert")), batches.toString());
        assertTrue(batches.stream().anyMatch(e -> e.getString("kind").equals("prefill")), batches.toString());
        assertTrue(batches.stream().anyMatch(e -> e.getString("kind").equals("decode")), batches.toString());
        var generations = events.stream().filter(e -> e.getEventType().getName().equals("org.transformers4j.Generation"))
                .toList();
        assertEquals(1, generations.size());
        assertEquals(3, generations.get(0).getLong("generatedTokens"));
        assertEquals("completed", generations.get(0).getString("outcome"));
    }

    @Test
    void shutdownLetsEveryAcceptedRequestFinish() throws Exception {
        float[][] want = alone(10);
        for (int round = 0; round < 20; round++) {
            BatchScheduler<String, Embedding> s = Schedulers.embeddings("bert", embedder(), SchedulerOptions.defaults());
            List<CompletableFuture<Embedding>> all = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                all.add(s.submit(text(i)));
            }
            assertTrue(s.shutdown(Duration.ofSeconds(30)), "round " + round);
            for (int i = 0; i < all.size(); i++) {
                assertClose(want[i], all.get(i).getNow(null).vector(), "round " + round + ", text " + i);
            }
            assertThrows(IllegalStateException.class, () -> s.submit("t5"));
        }
    }

    /** A task that fails with an Error on "error", as a native allocation failure would. */
    static final class Erring implements BatchScheduler.Task<String, String, Integer> {
        final AtomicInteger closed = new AtomicInteger();

        @Override
        public String kind() {
            return "erring";
        }

        @Override
        public long chars(String input) {
            return input.length();
        }

        @Override
        public String prepare(String input) {
            return input;
        }

        @Override
        public int tokens(String prepared) {
            return 1;
        }

        @Override
        public List<Integer> run(List<String> batch) {
            if (batch.contains("error")) {
                throw new OutOfMemoryError("native allocation failed (simulated)");
            }
            return batch.stream().map(String::length).toList();
        }

        @Override
        public void close() {
            closed.incrementAndGet();
        }
    }

    @Test
    void anErrorFailsItsRequestAndTheWorkerGoesOn() throws Exception {
        Erring task = new Erring();
        try (BatchScheduler<String, Integer> s = Schedulers.batch("erring", task, SchedulerOptions.defaults())) {
            var e = assertThrows(CompletionException.class, () -> s.submit("error").join());
            assertInstanceOf(OutOfMemoryError.class, e.getCause());
            assertEquals(2, s.submit("ok").get(10, TimeUnit.SECONDS));
        }
        assertEquals(1, task.closed.get());
    }

    @Test
    void closeFromAnActionOnTheSchedulersThreadDoesNotWaitForItself() throws Exception {
        Erring task = new Erring();
        BatchScheduler<String, Integer> s = Schedulers.batch("erring", task, SchedulerOptions.defaults()
                .withMaxWait(Duration.ofMillis(100)));
        var futures = s.submitAll(List.of("a", "bb", "ccc"), null);
        futures.get(0).whenComplete((v, e) -> s.close());
        for (var f : futures.subList(1, 3)) {
            try {
                f.get(10, TimeUnit.SECONDS); // answered in the same batch, or failed as closed: never stuck
            } catch (java.util.concurrent.ExecutionException e) {
                assertTrue(e.getCause().getMessage().contains("closed"), e.getMessage());
            }
        }
        GenerationSchedulerTest.waitFor(() -> task.closed.get() == 1);
        assertThrows(IllegalStateException.class, () -> s.submit("d"));
    }

    @Test
    void aSubmissionLargerThanTheQueueIsABadRequestNotAFullQueue() {
        try (BatchScheduler<String, Integer> s = Schedulers.batch("erring", new Erring(),
                SchedulerOptions.defaults().withMaxQueued(3))) {
            var e = assertThrows(IllegalArgumentException.class, () -> s.submitAll(List.of("a", "b", "c", "d"), null));
            assertTrue(e.getMessage().contains("more than the queue ever holds"), e.getMessage());
        }
    }

    @Test
    void closeFailsWaitingRequestsOnceAndRefusesNewOnes() throws Exception {
        Gate gate = new Gate();
        BatchScheduler<String, Integer> s = new BatchScheduler<>("gate", gate, SchedulerOptions.defaults()
                .withMaxWait(Duration.ZERO));
        CompletableFuture<Integer> running = s.submit("first");
        GenerationSchedulerTest.waitFor(() -> gate.passes.get() == 1);
        CompletableFuture<Integer> waiting = s.submit("second");
        Thread closer = Thread.ofVirtual().start(s::close);
        GenerationSchedulerTest.waitFor(waiting::isDone);
        var e = assertThrows(CompletionException.class, waiting::join);
        assertTrue(e.getCause().getMessage().contains("closed"), e.getMessage());
        gate.release.countDown();
        closer.join();
        assertEquals(5, running.get(), "the pass running finished before close returned");
        s.close();
        assertThrows(IllegalStateException.class, () -> s.submit("third"));
    }
}
