package org.transformers4j.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.generation.FinishReason;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.Generation;
import org.transformers4j.pipeline.TextGenerator;

/**
 * Continuous batching on the decoder fixtures (vocabulary 1000, context 64; GPT-Neo's local layers
 * see 4 positions): each request must get the tokens it gets alone from the pipeline, however the
 * batch around it changes.
 */
class GenerationSchedulerTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    static TextGenerator pipeline(String fixture) {
        return pipeline(fixture, cpu);
    }

    static TextGenerator pipeline(String fixture, CpuBackend backend) {
        DecoderModel m = ModelRegistry.loadDecoder(Fixtures.model(fixture), backend);
        return new TextGenerator(m, NumberedTokenizer.of(m.vocabSize()),
                GenerationConfig.forModel(m.specialTokens(), Fixtures.model(fixture)));
    }

    /** Request i's prompt and settings: greedy or sampled (n = 1 or 2), lengths and limits varied. */
    record Case(String prompt, GenerationConfig config) {
    }

    static Case caseOf(int i, GenerationConfig defaults) {
        String prompt = NumberedTokenizer.prompt(i, 1 + i % 17, 1000);
        GenerationConfig cfg = defaults.withMaxNewTokens(4 + i % 23);
        if (i % 3 == 1) {
            cfg = cfg.withSampling(0.9, 40, 0.95).withSeed(1000 + i);
        } else if (i % 3 == 2) {
            cfg = cfg.withSampling(1.0, 0, 1.0).withSeed(7 * i).withNumReturnSequences(2);
        }
        if (i % 5 == 0) {
            cfg = cfg.withEos(List.of()); // runs to its limit, or to the context for the long ones
            cfg = cfg.withMaxNewTokens(64);
        }
        return new Case(prompt, cfg);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gpt-neo", "llama"})
    void requestsFrom64ThreadsGetWhatTheyGetAlone(String fixture) throws Exception {
        int requests = 192;
        Map<Integer, List<Generation>> expected = new HashMap<>();
        try (TextGenerator alone = pipeline(fixture)) {
            for (int i = 0; i < requests; i++) {
                Case c = caseOf(i, alone.defaults());
                expected.put(i, alone.generate(List.of(c.prompt()), c.config(), null).get(0));
            }
        }
        Map<Integer, List<Generation>> got = new ConcurrentHashMap<>();
        Map<Integer, String> streamed = new ConcurrentHashMap<>();
        try (GenerationScheduler s = Schedulers.generation(fixture, pipeline(fixture),
                SchedulerOptions.defaults().withMaxRows(8).withMaxContext(64));
             ExecutorService pool = Executors.newFixedThreadPool(64)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 64; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = thread; i < requests; i += 64) {
                        Case c = caseOf(i, s.defaults());
                        GenerationStream stream = s.submit(c.prompt(), c.config(), null);
                        StringBuilder text = new StringBuilder();
                        for (GenerationStream.Piece p; (p = stream.next()) != null; ) {
                            if (p.sequence() == 0) {
                                text.append(p.text());
                            }
                        }
                        got.put(i, stream.result().join());
                        streamed.put(i, text.toString());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            assertEquals(requests, s.metrics().completed());
            assertEquals(0, s.metrics().inFlight());
            assertTrue(s.metrics().batchRows().sum() > s.metrics().batchRows().count(),
                    "decode steps ran more than one row at a time");
        }
        int contextLimited = 0;
        for (int i = 0; i < requests; i++) {
            List<Generation> want = expected.get(i), have = got.get(i);
            assertEquals(want.size(), have.size(), "request " + i);
            for (int k = 0; k < want.size(); k++) {
                assertArrayEquals(want.get(k).tokens(), have.get(k).tokens(), fixture + " request " + i + " output " + k);
                assertEquals(want.get(k).finishReason(), have.get(k).finishReason(), "request " + i);
                assertEquals(want.get(k).text(), have.get(k).text(), "request " + i);
                contextLimited += have.get(k).finishReason() == FinishReason.CONTEXT_LIMIT ? 1 : 0;
            }
            assertEquals(have.get(0).text(), streamed.get(i), "streamed text of request " + i);
        }
        assertTrue(contextLimited > 0, "some requests reached the context");
    }

    @Test
    void aThousandVirtualThreads() throws Exception {
        int distinct = 40;
        List<List<Generation>> expected = new ArrayList<>();
        try (TextGenerator alone = pipeline("gpt2")) {
            for (int i = 0; i < distinct; i++) {
                Case c = caseOf(i, alone.defaults());
                expected.add(alone.generate(List.of(c.prompt()), c.config().withMaxNewTokens(3), null).get(0));
            }
        }
        try (GenerationScheduler s = Schedulers.generation("gpt2", pipeline("gpt2"), SchedulerOptions.defaults());
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<Generation>>> results = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                Case c = caseOf(i % distinct, s.defaults());
                results.add(threads.submit(() -> s.submit(c.prompt(), c.config().withMaxNewTokens(3), null).result().join()));
            }
            for (int i = 0; i < 1000; i++) {
                List<Generation> want = expected.get(i % distinct), have = results.get(i).get();
                for (int k = 0; k < want.size(); k++) {
                    assertArrayEquals(want.get(k).tokens(), have.get(k).tokens(), "request " + i);
                }
            }
        }
    }

    @Test
    void cancellingARequestFreesItsRows() throws Exception {
        try (GenerationScheduler s = Schedulers.generation("gpt2", pipeline("gpt2"),
                SchedulerOptions.defaults().withMaxRows(1))) {
            GenerationConfig endless = s.defaults().withEos(List.of()).withMaxNewTokens(60);
            int cancelledWhileRunning = 0;
            for (int attempt = 0; attempt < 100 && cancelledWhileRunning == 0; attempt++) {
                GenerationStream a = s.submit("t5 t6", endless, null);
                assertTrue(a.next() != null, "started");
                a.cancel(); // the tiny model may have finished its 60 tokens already: then try again
                try {
                    a.result().join();
                } catch (CancellationException e) {
                    cancelledWhileRunning++;
                }
            }
            assertEquals(1, cancelledWhileRunning, "a request was cancelled while it ran");
            GenerationStream queued = s.submit("t7", endless, null), behind = s.submit("t8", endless, null);
            behind.cancel(); // waiting behind the first for the only row
            assertThrows(CancellationException.class, () -> behind.result().join());
            assertEquals(60, queued.result().get().get(0).tokens().length);
            GenerationStream c = s.submit("t9", s.defaults().withMaxNewTokens(3), null);
            assertEquals(1, c.result().get().size(), "the row is free again");
            waitFor(() -> s.metrics().inFlight() == 0 && s.metrics().unanswered() == 0);
        }
    }

    @Test
    void aDeadlineEndsWaitingAndRunningRequests() throws Exception {
        try (GenerationScheduler s = Schedulers.generation("gpt2", pipeline("gpt2"),
                SchedulerOptions.defaults().withMaxRows(1))) {
            GenerationConfig endless = s.defaults().withEos(List.of()).withMaxNewTokens(60);
            GenerationStream running = s.submit("t5", endless, Duration.ofMillis(1));
            var e = assertThrows(CompletionException.class, () -> running.result().join());
            assertInstanceOf(TimeoutException.class, e.getCause());
            // one row: the second waits behind a long first, and its deadline passes while it waits
            GenerationStream first = s.submit("t5", endless, null);
            GenerationStream second = s.submit("t6", endless, Duration.ofMillis(1));
            e = assertThrows(CompletionException.class, () -> second.result().join());
            assertInstanceOf(TimeoutException.class, e.getCause());
            assertEquals(60, first.result().get().get(0).tokens().length, "the first runs to its end");
        }
    }

    @Test
    void aFullQueueRefusesAtOnce() throws Exception {
        try (GenerationScheduler s = Schedulers.generation("gpt2", pipeline("gpt2"),
                SchedulerOptions.defaults().withMaxRows(1).withMaxQueued(2))) {
            GenerationConfig endless = s.defaults().withEos(List.of()).withMaxNewTokens(60);
            List<GenerationStream> accepted = new ArrayList<>();
            SchedulerFullException refused = null;
            for (int i = 0; i < 10 && refused == null; i++) {
                try {
                    accepted.add(s.submit("t5", endless, null));
                } catch (SchedulerFullException e) {
                    refused = e;
                }
            }
            assertTrue(refused != null && refused.getMessage().contains("limit is 2"), String.valueOf(refused));
            assertTrue(s.metrics().rejected() >= 1);
            accepted.forEach(GenerationStream::cancel);
        }
    }

    @Test
    void badRequestsFailAloneAndTheWorkerGoesOn() throws Exception {
        try (GenerationScheduler s = Schedulers.generation("gpt2", pipeline("gpt2"),
                SchedulerOptions.defaults().withMaxRows(2))) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> s.submit("t5", s.defaults().withSampling(1, 0, 1).withNumReturnSequences(3), null));
            assertTrue(e.getMessage().contains("maxRows"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.submit("t5", s.defaults().withMaxNewTokens(-1), null));
            String tooLong = NumberedTokenizer.prompt(1, 65, 1000);
            var failed = assertThrows(CompletionException.class, () -> s.submit(tooLong).result().join());
            assertTrue(failed.getCause().getMessage().contains("longer than the context of 64"), failed.getMessage());
            assertEquals(1, s.submit("t5 t6", s.defaults().withMaxNewTokens(2), null).result().get().size());
        }
    }

    @Test
    void beamSearchRunsAsABatchOfItsOwn() throws Exception {
        try (TextGenerator alone = pipeline("gpt2");
             GenerationScheduler s = Schedulers.generation("gpt2", pipeline("gpt2"), SchedulerOptions.defaults())) {
            GenerationConfig beams = alone.defaults().withMaxNewTokens(6).withBeams(3, 2, 1.0,
                    alone.defaults().earlyStopping());
            List<Generation> want = alone.generate(List.of("t5 t6 t7"), beams, null).get(0);
            GenerationStream greedy = s.submit("t8 t9", s.defaults().withMaxNewTokens(20), null);
            List<Generation> have = s.submit("t5 t6 t7", beams, null).result().get();
            assertEquals(2, have.size());
            for (int k = 0; k < 2; k++) {
                assertArrayEquals(want.get(k).tokens(), have.get(k).tokens());
                assertEquals(want.get(k).score(), have.get(k).score(), 1e-5);
            }
            assertEquals(1, greedy.result().get().size());
        }
    }

    @Test
    void closeFailsWhatWaitsAndRunsAndIsIdempotent() throws Exception {
        GenerationScheduler s = Schedulers.generation("gpt2", pipeline("gpt2"), SchedulerOptions.defaults().withMaxRows(1));
        GenerationConfig endless = s.defaults().withEos(List.of()).withMaxNewTokens(60);
        GenerationStream running = s.submit("t5", endless, null), waiting = s.submit("t6", endless, null);
        running.next();
        s.close();
        s.close();
        for (GenerationStream g : List.of(running, waiting)) {
            var e = assertThrows(CompletionException.class, () -> g.result().join());
            assertTrue(e.getCause() instanceof IllegalStateException && e.getCause().getMessage().contains("closed"),
                    String.valueOf(e.getCause()));
        }
        var e = assertThrows(IllegalStateException.class, () -> s.submit("t5"));
        assertTrue(e.getMessage().contains("closed"));
    }

    @Test
    void shutdownFinishesEveryAcceptedRequestWithinTheGracePeriod() throws Exception {
        for (int round = 0; round < 20; round++) {
            GenerationScheduler s = Schedulers.generation("gpt2", pipeline("gpt2"), SchedulerOptions.defaults().withMaxRows(2));
            List<GenerationStream> all = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                all.add(s.submit(NumberedTokenizer.prompt(i, 40, 1000), s.defaults().withMaxNewTokens(10), null));
            }
            assertTrue(s.shutdown(Duration.ofSeconds(30)), "round " + round);
            for (GenerationStream g : all) {
                assertEquals(1, g.result().getNow(null).size(), "round " + round);
            }
            assertThrows(IllegalStateException.class, () -> s.submit("t5"));
        }
    }

    @Test
    void beamsAreBoundedByTheRows() {
        try (GenerationScheduler s = Schedulers.generation("gpt2", pipeline("gpt2"), SchedulerOptions.defaults()
                .withMaxRows(4))) {
            var e = assertThrows(IllegalArgumentException.class, () -> s.submit("t5",
                    s.defaults().withBeams(5, 1, 1.0, s.defaults().earlyStopping()), null));
            assertTrue(e.getMessage().contains("5 beams"), e.getMessage());
        }
    }

    @Test
    void rowsOfDifferentLengthsTakeOneTokenAtATime() {
        try (TextGenerator g = pipeline("gpt2"); var cache = g.model().newCache(2, 16);
             var out = org.transformers4j.tensor.TensorArena.confined()) {
            cache.setLength(0, 3);
            var e = assertThrows(IllegalArgumentException.class, () -> g.model().forward(
                    org.transformers4j.model.DecoderInput.of(2, 2, new long[] {5, 6, 7, 8}), cache, false, true, out));
            assertTrue(e.getMessage().contains("different lengths"), e.getMessage());
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not reached in 10 s");
            Thread.sleep(5);
        }
    }

    @Test
    void moreRequestsThanRowsWaitForRowsToFree() throws Exception {
        try (GenerationScheduler s = Schedulers.generation("gpt2", pipeline("gpt2"),
                SchedulerOptions.defaults().withMaxRows(2))) {
            List<GenerationStream> streams = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                streams.add(s.submit("t" + (10 + i), s.defaults().withMaxNewTokens(5).withEos(List.of()), null));
            }
            for (GenerationStream g : streams) {
                assertEquals(5, g.result().get().get(0).tokens().length);
            }
        }
    }
}
