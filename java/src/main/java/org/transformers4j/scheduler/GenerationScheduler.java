package org.transformers4j.scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.transformers4j.generation.FinishReason;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.generation.SequenceState;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.nn.KvCache;
import org.transformers4j.pipeline.Generation;
import org.transformers4j.pipeline.TextGenerator;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * Continuous batching in front of one decoder-only model: any number of threads submit prompts,
 * each with its own {@link GenerationConfig} (greedy or sampled with its own seed, stop strings,
 * token limits, n outputs), and read their text as it is generated. One worker thread owns the
 * model and a KV cache of {@link SchedulerOptions#maxRows()} rows: each sequence being generated
 * holds a row; at every step the worker runs one forward pass over the rows of every active
 * request (a decode step reads the weights once for all of them), a new request's prompt is
 * prefilled between steps and joins the batch, and a finished, cancelled or expired one leaves it.
 *
 * <p>A greedy or seeded request generates the tokens it would generate alone through
 * {@link TextGenerator}, except where rounding in a larger batch changes a near-tie between two
 * logits. Beam search runs whole, as a batch of its own, between steps. A sequence stops at the
 * context limit at {@link SchedulerOptions#maxContext()} positions (or the model's context, if
 * shorter), which sizes the cache.
 */
public final class GenerationScheduler implements AutoCloseable {
    /** A request as submitted, and its flight-recorder event (begun at submission). */
    private record Request(String prompt, GenerationConfig config, GenerationStream stream, long submitted,
                           long deadline, GenerationEvent event) {

        /**
         * Fails the request with a TimeoutException once its deadline (System.nanoTime) has passed;
         * true then. The worker checks at every step, so a deadline holds however late the timer
         * thread behind orTimeout runs.
         */
        boolean expire(long now) {
            if (now - deadline < 0) {
                return false;
            }
            stream.result().completeExceptionally(new TimeoutException("no answer within the request's timeout"));
            return true;
        }
    }

    /** A request being generated: its prompt, settings, random source and one row per output. */
    private final class Active {
        final Request request;
        final long[] prompt;
        final GenerationConfig config;
        final SplittableRandom random;
        final Row[] rows;
        final long started = System.nanoTime();
        long firstToken;

        Active(Request request, long[] prompt, GenerationConfig config) {
            this.request = request;
            this.prompt = prompt;
            this.config = config;
            this.random = new SplittableRandom(config.seed());
            this.rows = new Row[config.numReturnSequences()];
        }

        boolean finished() {
            return Arrays.stream(rows).allMatch(r -> r.state.finishReason() != null);
        }
    }

    /**
     * One output sequence and the cache row it holds; its text streams by decoding a window of
     * its tokens, [prefix, end) against [prefix, read), as text-generation-inference does, so
     * that a step costs the same however long the sequence is.
     */
    private static final class Row {
        final Active owner;
        final int sequence;
        final int slot;
        final SequenceState state;
        final StringBuilder sent = new StringBuilder();
        long last;
        int prefix;
        int read;

        Row(Active owner, int sequence, int slot, SequenceState state) {
            this.owner = owner;
            this.sequence = sequence;
            this.slot = slot;
            this.state = state;
        }
    }

    private static final System.Logger LOG = System.getLogger(GenerationScheduler.class.getName());

    private final String name;
    private final TextGenerator generator;
    private final DecoderModel model;
    private final Tokenizer tokenizer;
    private final SchedulerOptions options;
    private final int context;
    private final KvCache cache;
    private final Row[] slots;
    private final List<Active> active = new ArrayList<>();
    private final RequestQueue<Request> queue;
    private final SchedulerMetrics metrics = new SchedulerMetrics();
    private final Thread worker;
    private volatile boolean closing;
    private boolean closed;

    GenerationScheduler(String name, TextGenerator generator, SchedulerOptions options) {
        this.name = name;
        this.generator = generator;
        this.model = generator.model();
        this.tokenizer = generator.tokenizer();
        this.options = options;
        this.context = Math.min(options.maxContext(), model.maxPositions());
        this.cache = model.newCache(options.maxRows(), context);
        this.slots = new Row[options.maxRows()];
        this.queue = new RequestQueue<>("scheduler " + name, options.maxQueued(), options.maxQueuedChars(),
                r -> r.prompt().length());
        this.worker = Thread.ofPlatform().name("t4j-generate-" + name).daemon().unstarted(this::work);
        worker.start();
    }

    /**
     * {@return the scheduler's name, in metrics, events and thread names}
     */
    public String name() {
        return name;
    }

    /**
     * {@return the limits this scheduler runs with}
     */
    public SchedulerOptions options() {
        return options;
    }

    /**
     * {@return what this scheduler has done so far}
     */
    public SchedulerMetrics metrics() {
        return metrics;
    }

    /** {@return the settings a request gets when it gives none (the model's generation_config.json)} */
    public GenerationConfig defaults() {
        return generator.defaults();
    }

    /**
     * Positions one sequence may hold, prompt and generated tokens together.
     *
     * @return the positions
     */
    public int context() {
        return context;
    }

    /**
     * Submits a prompt with the model's default settings.
     *
     * @param prompt the prompt
     * @return the stream of its generated text
     */
    public GenerationStream submit(String prompt) {
        return submit(prompt, null, null);
    }

    /**
     * Submits a prompt; config null takes {@link #defaults()}, timeout null waits as long as it
     * takes. Refused at once with {@link SchedulerFullException} when the queue is full, and with
     * IllegalArgumentException for settings the scheduler cannot run.
     *
     * @param prompt the prompt
     * @param config how to generate, or null for the defaults
     * @param timeout how long the caller waits at most, or null
     * @return the stream of its generated text
     */
    public GenerationStream submit(String prompt, GenerationConfig config, Duration timeout) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt is null");
        }
        GenerationConfig cfg = (config == null ? defaults() : config).validate();
        int rows = Math.max(cfg.numBeams(), cfg.numReturnSequences());
        if (rows > options.maxRows()) {
            throw new IllegalArgumentException(rows + (cfg.numBeams() > 1 ? " beams" : " sequences") + " asked for, the "
                    + "scheduler generates at most " + options.maxRows() + " at once (maxRows)");
        }
        GenerationEvent event = new GenerationEvent();
        event.begin();
        long now = System.nanoTime();
        long deadline = timeout == null ? now + Long.MAX_VALUE / 2 : now + Math.max(1, timeout.toNanos());
        Request r = new Request(prompt, cfg, new GenerationStream(), now, deadline, event);
        // counted before the queue publishes it: the worker may take and answer it at once
        metrics.queued.incrementAndGet();
        metrics.unanswered.incrementAndGet();
        try {
            queue.addAll(List.of(r));
        } catch (RuntimeException e) { // full or closed: nothing was queued
            metrics.queued.decrementAndGet();
            metrics.unanswered.decrementAndGet();
            if (e instanceof SchedulerFullException) {
                metrics.rejected.increment();
            }
            throw e;
        }
        metrics.submitted.increment();
        if (timeout != null) {
            r.stream().result().orTimeout(Math.max(1, timeout.toNanos()), TimeUnit.NANOSECONDS);
        }
        r.stream().result().whenComplete((v, e) -> finished(r, e));
        return r.stream();
    }

    private void finished(Request r, Throwable e) {
        if (queue.remove(r)) { // still in the queue: the worker will not see it
            metrics.queued.decrementAndGet();
        }
        metrics.unanswered.decrementAndGet();
        if (e == null) {
            metrics.completed.increment();
        } else if (e instanceof CancellationException) {
            metrics.cancelled.increment();
        } else {
            metrics.failed.increment();
        }
        metrics.latency.observe((System.nanoTime() - r.submitted()) / 1e9);
    }

    /**
     * The worker: generates until closed; then it frees the cache and the pipeline itself, so that
     * close() from an action depending on a result (which runs on this thread) cannot wait for it.
     */
    private void work() {
        try {
            while (!closing) {
                admit();
                dropEnded();
                if (!active.isEmpty()) {
                    stepOrFail();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            // not one request's fault (each is caught where it runs): nothing more can be trusted to run
            LOG.log(System.Logger.Level.ERROR, "scheduler " + name + " stopped: " + e, e);
            IllegalStateException stopped = new IllegalStateException("scheduler " + name + " stopped after " + e, e);
            for (Request r : queue.close()) {
                metrics.queued.decrementAndGet();
                r.stream().result().completeExceptionally(stopped);
            }
        } finally {
            fail(active, new IllegalStateException("scheduler " + name + " is closed"));
            cache.close();
            generator.close();
        }
    }

    /** A step; if it fails (not any one request's fault), the requests in it fail and the rows are freed. */
    private void stepOrFail() {
        try {
            step();
        } catch (RuntimeException | Error e) {
            fail(active, e);
            dropEnded();
        }
    }

    /**
     * Takes waiting requests, oldest first, while the cache has free rows for them, prefilling
     * each; a request that does not fit stays in the queue (where it counts against the limits).
     * With nothing running, waits for one (freeing idle scratch memory after
     * {@link SchedulerOptions#idleTrim()}).
     */
    private void admit() throws InterruptedException {
        if (active.isEmpty() && !queue.awaitRequest(options.idleTrim().toNanos())) {
            if (!queue.isClosed()) {
                TensorArena.trimPool();
            }
            return;
        }
        boolean beamRan = false;
        for (Request r; !closing && (r = queue.peek()) != null; ) {
            boolean live = !r.expire(System.nanoTime()) && !r.stream().result().isDone();
            boolean beams = r.config().numBeams() > 1;
            if (live && (beams ? beamRan && !active.isEmpty() : freeSlots() < r.config().numReturnSequences())) {
                return; // it waits, first in line, for rows to free up (or for the next step: one beam search a step)
            }
            beamRan |= live && beams;
            if (!queue.remove(r)) {
                continue; // its caller cancelled it just now
            }
            metrics.queued.decrementAndGet();
            if (live) {
                try {
                    start(r);
                } catch (RuntimeException | Error e) {
                    r.stream().result().completeExceptionally(e);
                    recordRequest(r, null, "failed");
                }
            }
        }
    }

    /** Tokenizes and checks a request, then runs beam search whole or prefills its rows. */
    private void start(Request r) {
        long[] prompt = tokenizer.encode(r.prompt()).ids();
        if (prompt.length == 0) {
            long bos = model.specialTokens().bos();
            if (bos < 0) {
                throw new IllegalArgumentException("the prompt is empty and " + model.config().source()
                        + " has no bos_token_id to start from");
            }
            prompt = new long[] {bos};
        }
        r.stream().promptTokens(prompt.length);
        if (prompt.length > context) {
            throw new IllegalArgumentException("a prompt of " + prompt.length + " tokens is longer than the context of "
                    + context + " positions");
        }
        metrics.queueWait.observe((System.nanoTime() - r.submitted()) / 1e9);
        if (r.config().numBeams() > 1) {
            beamSearch(r);
            return;
        }
        Active a = new Active(r, prompt, r.config().forPromptLength(prompt.length));
        prefill(a);
    }

    /** Beam search, as the pipeline runs it, in a batch of its own. */
    private void beamSearch(Request r) {
        metrics.running.incrementAndGet();
        try {
            long started = System.nanoTime();
            List<Generation> out = generator.generate(List.of(r.prompt()), r.config(), null).get(0);
            metrics.busyNanos.add(System.nanoTime() - started);
            for (int i = 0; i < out.size(); i++) {
                r.stream().emit(i, out.get(i).text());
            }
            metrics.batches.increment();
            r.stream().result().complete(out);
            recordRequest(r, null, "completed");
        } finally {
            metrics.running.decrementAndGet();
        }
    }

    /**
     * Runs the prompt through the model into a free row, copies it to the request's other rows,
     * chooses each row's first token, and makes the request active; rows are taken only once
     * all of this has worked, so a failure leaves none behind.
     */
    private void prefill(Active a) {
        int[] free = new int[a.rows.length];
        for (int i = 0, s = 0; i < free.length; s++) {
            if (slots[s] == null) {
                free[i++] = s;
            }
        }
        float[] logits;
        BatchEvent event = new BatchEvent();
        event.begin();
        long started = System.nanoTime();
        try (TensorArena out = TensorArena.confined()) {
            cache.setLength(free[0], 0);
            KvCache row = cache.rows(free[0], 1);
            logits = model.decodeStep(new DecoderInput(1, a.prompt.length, a.prompt, null, null), row, out)
                    .toFloatArray();
        }
        event.end();
        commit(event, started, "prefill", 1, a.prompt.length, a.prompt.length, System.nanoTime() - a.request.submitted());
        metrics.addTokens(a.prompt.length);
        for (int i = 0; i < a.rows.length; i++) {
            cache.copyRow(free[0], free[i], a.prompt.length);
            a.rows[i] = new Row(a, i, free[i], new SequenceState(a.prompt, a.config, t -> tokenizer.decode(t, true)));
        }
        for (Row row : a.rows) {
            choose(row, logits.clone());
        }
        for (Row row : a.rows) {
            slots[row.slot] = row;
        }
        active.add(a);
        metrics.running.incrementAndGet();
    }

    private int freeSlots() {
        int n = 0;
        for (Row r : slots) {
            n += r == null ? 1 : 0;
        }
        return n;
    }

    /** Chooses a row's next token, streams its text, and ends it at the context limit. */
    private void choose(Row row, float[] logits) {
        Active a = row.owner;
        row.last = row.state.next(logits, a.random);
        if (a.firstToken == 0) {
            a.firstToken = System.nanoTime();
        }
        metrics.addTokens(1);
        if (row.state.finishReason() == null && room(row) < 1) {
            row.state.stop(FinishReason.CONTEXT_LIMIT);
        }
        stream(row);
    }

    /**
     * Sends what the row's newest token adds to its text: the window [prefix, end) decoded against
     * [prefix, read), held back while it ends in an incomplete character. At the end, whatever the
     * whole sequence's text adds to what was sent.
     */
    private void stream(Row row) {
        int end = row.state.length();
        String before = tokenizer.decode(row.state.tokens(row.prefix, row.read), true);
        String now = tokenizer.decode(row.state.tokens(row.prefix, end), true);
        if (now.length() > before.length() && !now.endsWith("\uFFFD") && now.startsWith(before)) {
            send(row, now.substring(before.length()));
            row.prefix = row.read;
            row.read = end;
        }
        if (row.state.finishReason() != null) {
            String all = tokenizer.decode(row.state.tokens(), true);
            if (all.length() > row.sent.length() && all.startsWith(row.sent.toString())) {
                send(row, all.substring(row.sent.length()));
            }
        }
    }

    private void send(Row row, String text) {
        row.sent.append(text);
        row.owner.request.stream().emit(row.sequence, text);
    }

    /** How many more tokens the row's cache can take. */
    private int room(Row row) {
        return context - cache.length(row.slot);
    }

    /** Completes the requests whose rows have all finished, and drops cancelled or expired ones; frees their rows. */
    private void dropEnded() {
        for (var it = active.iterator(); it.hasNext(); ) {
            Active a = it.next();
            a.request.expire(System.nanoTime());
            boolean gone = a.request.stream().result().isDone();
            if (!gone && !a.finished()) {
                continue;
            }
            it.remove();
            metrics.running.decrementAndGet();
            for (Row row : a.rows) {
                slots[row.slot] = null;
                cache.setLength(row.slot, 0);
            }
            if (!gone) {
                complete(a);
            }
            recordRequest(a.request, a, gone ? outcome(a) : "completed");
        }
    }

    private void complete(Active a) {
        List<Generation> out = new ArrayList<>();
        for (Row row : a.rows) {
            long[] tokens = row.state.tokens();
            out.add(new Generation(a.request.prompt(), tokenizer.decode(tokens, true), tokens,
                    row.state.finishReason(), Double.NaN));
        }
        a.request.stream().result().complete(List.copyOf(out));
    }

    private static String outcome(Active a) {
        try {
            a.request.stream().result().join();
            return "completed";
        } catch (CancellationException e) {
            return "cancelled";
        } catch (RuntimeException e) {
            return e.getCause() instanceof TimeoutException ? "deadline" : "failed";
        }
    }

    /** One decoding step over the rows of every active request, then each live row chooses its next token. */
    private void step() {
        int rows = 0, live = 0;
        for (int s = 0; s < slots.length; s++) {
            if (slots[s] != null && slots[s].state.finishReason() == null) {
                rows = s + 1;
                live++;
            }
        }
        if (live == 0) {
            return;
        }
        long[] ids = new long[rows];
        for (int s = 0; s < rows; s++) {
            Row row = slots[s];
            if (row == null || row.state.finishReason() != null) {
                cache.setLength(s, 0); // a hole: a row nobody reads, kept empty so that it never fills up
                ids[s] = row == null ? 0 : row.last;
            } else {
                ids[s] = row.last;
            }
        }
        float[] logits;
        int v = model.vocabSize();
        BatchEvent event = new BatchEvent();
        event.begin();
        long started = System.nanoTime();
        try (TensorArena out = TensorArena.confined()) {
            Tensor t = model.decodeStep(new DecoderInput(rows, 1, ids, null, null), cache.rows(0, rows), out);
            logits = t.toFloatArray();
        }
        event.end();
        commit(event, started, "decode", rows, live, rows, 0);
        metrics.batchRows.observe(rows);
        metrics.batchTokens.observe(rows);
        for (Active a : active) {
            for (Row row : a.rows) {
                if (row.state.finishReason() == null && !a.request.stream().result().isDone()) {
                    choose(row, Arrays.copyOfRange(logits, row.slot * v, (row.slot + 1) * v));
                }
            }
        }
    }

    private void commit(BatchEvent event, long started, String kind, int rows, long tokens, long padded, long wait) {
        metrics.batches.increment();
        metrics.busyNanos.add(System.nanoTime() - started);
        if (event.shouldCommit()) {
            event.model = name;
            event.kind = kind;
            event.rows = rows;
            event.tokens = tokens;
            event.paddedTokens = padded;
            event.queueWait = wait;
            event.poolBytes = TensorArena.poolBytes();
            event.commit();
        }
    }

    /** Commits the request's flight-recorder event; a is null for requests that never held rows. */
    private void recordRequest(Request r, Active a, String outcome) {
        GenerationEvent event = r.event();
        event.end();
        if (event.shouldCommit()) {
            event.model = name;
            event.sequences = a == null ? r.config().numReturnSequences() : a.rows.length;
            event.promptTokens = Math.max(0, r.stream().promptTokens());
            event.generatedTokens = a == null ? 0 : Arrays.stream(a.rows).mapToLong(row -> row.state.length()).sum();
            event.queueWait = a == null ? 0 : a.started - r.submitted();
            event.firstToken = a == null || a.firstToken == 0 ? 0 : a.firstToken - r.submitted();
            event.outcome = outcome;
            event.commit();
        }
    }

    private static void fail(List<Active> requests, Throwable e) {
        for (Active a : requests) {
            a.request.stream().result().completeExceptionally(e);
        }
    }

    /**
     * Stops taking requests, lets every request already accepted (waiting, being prefilled or
     * generating) finish within grace, then closes (failing what is left). True when everything
     * finished in time.
     *
     * @param grace how long accepted requests may take
     * @return whether everything finished in time
     */
    public boolean shutdown(Duration grace) {
        queue.stopAccepting();
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            while (metrics.unanswered() > 0 && System.nanoTime() < deadline && worker.isAlive()) {
                Thread.sleep(2);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean drained = metrics.unanswered() == 0;
        close();
        return drained;
    }

    /**
     * Fails the requests waiting and generating, waits for the step running to finish, then frees
     * the cache and the pipeline. Idempotent. Results complete on the scheduler's thread: an action
     * depending on one runs there (use the *Async variants for slow ones); if it closes the
     * scheduler, the cache and pipeline are freed once that thread has finished its step.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        closing = true;
        IllegalStateException e = new IllegalStateException("scheduler " + name + " is closed");
        for (Request r : queue.close()) {
            metrics.queued.decrementAndGet();
            r.stream().result().completeExceptionally(e);
        }
        if (Thread.currentThread() == worker) {
            return;
        }
        boolean interrupted = false;
        while (worker.isAlive()) {
            try {
                worker.join();
            } catch (InterruptedException ie) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
