package org.transformers4j.scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.transformers4j.tensor.TensorArena;

/**
 * Dynamic batching in front of one encoder pipeline: any number of threads (platform or virtual)
 * submit inputs and get futures; one worker thread per scheduler tokenizes them, merges them into
 * batches bounded by {@link SchedulerOptions#maxBatchSize()} and {@link
 * SchedulerOptions#maxBatchTokens()} (padding counted, inputs sorted by length within what is
 * waiting), and runs each batch as one forward pass. Callers never enter native code, and scratch
 * memory is what one batch at the limits needs, however many callers there are.
 *
 * <p>A batch starts when {@link SchedulerOptions#maxBatchSize()} requests wait or the first of
 * them has waited {@link SchedulerOptions#maxWait()}. When what waits fills some batches and
 * leaves a small one over (under half the rows and half the tokens of a batch), the small one
 * goes back to the head of the queue, once, to join what arrives during the pass; unless a
 * request of it would reach its deadline within two passes, or the scheduler is shutting down.
 * Those requests count against {@link SchedulerOptions#maxQueued()} again while they wait, so
 * the queue can briefly hold up to half a batch more than its limit. A full queue refuses new requests at once
 * ({@link SchedulerFullException}); a request whose deadline passes while it waits fails with a
 * {@link TimeoutException}; a cancelled future is dropped. Results are what the pipeline gives for
 * the same inputs in one batch. Make one with {@link Schedulers}.
 *
 * @param <I> what a caller submits (a text)
 * @param <O> what it gets back
 */
public final class BatchScheduler<I, O> implements AutoCloseable {

    /**
     * One pipeline's work, as the worker runs it: prepare (tokenize and check) each input, then
     * run lists of prepared inputs as one pass each.
     *
     * @param <I> input
     * @param <P> prepared input
     * @param <O> output
     */
    public interface Task<I, P, O> extends AutoCloseable {
        /** {@return a short name of the work: embed, classify, token-classify, fill-mask} */
        String kind();

        /**
         * {@return the input's size in characters, for the queue's limit}
         *
         * @param input a request's input
         */
        long chars(I input);

        /**
         * Tokenizes and checks one input; throws IllegalArgumentException for bad input.
         *
         * @param input a request's input
         * @return the input, prepared
         */
        P prepare(I input);

        /**
         * {@return the tokens of a prepared input (its row's length in a batch)}
         *
         * @param prepared a prepared input
         */
        int tokens(P prepared);

        /**
         * {@return one forward pass over the prepared inputs, their results in order}
         *
         * @param batch the prepared inputs
         */
        List<O> run(List<P> batch);

        /** Frees the pipeline. */
        @Override
        void close();
    }

    /** One submitted input and its future. */
    private static final class Request<I, O> {
        final I input;
        final long chars;
        final long submitted = System.nanoTime();
        final CompletableFuture<O> future = new CompletableFuture<>();
        long deadline = submitted + Long.MAX_VALUE / 2;
        Object prepared;
        int tokens;
        boolean carried;

        Request(I input, long chars) {
            this.input = input;
            this.chars = chars;
        }

        /** Fails the request once its deadline has passed (however late the timer thread runs); true then. */
        boolean expire(long now) {
            if (now - deadline < 0) {
                return false;
            }
            future.completeExceptionally(new TimeoutException("no answer within the request's timeout"));
            return true;
        }
    }

    private static final System.Logger LOG = System.getLogger(BatchScheduler.class.getName());

    private final String name;
    private final Task<I, ?, O> task;
    private final SchedulerOptions options;
    private final RequestQueue<Request<I, O>> queue;
    private final SchedulerMetrics metrics = new SchedulerMetrics();
    private final Thread worker;
    private volatile boolean closing;
    private boolean closed;
    private long lastPassNanos; // the worker's own: how long the last forward pass took

    BatchScheduler(String name, Task<I, ?, O> task, SchedulerOptions options) {
        this.name = name;
        this.task = task;
        this.options = options;
        this.queue = new RequestQueue<>("scheduler " + name, options.maxQueued(), options.maxQueuedChars(), r -> r.chars);
        this.worker = Thread.ofPlatform().name("t4j-" + task.kind() + "-" + name).daemon().unstarted(this::work);
        worker.start();
    }

    /** {@return the model's name, as metrics and events report it} */
    public String name() {
        return name;
    }

    /** {@return what the scheduler does: embed, classify, token-classify or fill-mask} */
    public String kind() {
        return task.kind();
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

    /**
     * Submits one input; the future completes with its result or fails (see the class comment).
     *
     * @param input the input
     * @return its future result
     */
    public CompletableFuture<O> submit(I input) {
        return submitAll(List.of(input), null).get(0);
    }

    /**
     * As {@link #submit(Object)}, failing with a {@link TimeoutException} if not answered within timeout.
     *
     * @param input the input
     * @param timeout how long the caller waits at most
     * @return its future result
     */
    public CompletableFuture<O> submit(I input, Duration timeout) {
        return submitAll(List.of(input), timeout).get(0);
    }

    /**
     * Submits several inputs, all admitted or none (a full queue refuses them together), with an
     * optional timeout (null for none) for each.
     *
     * @param inputs the inputs
     * @param timeout how long the caller waits at most for each, or null
     * @return their future results, in order
     */
    public List<CompletableFuture<O>> submitAll(List<I> inputs, Duration timeout) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("no inputs");
        }
        List<Request<I, O>> requests = new ArrayList<>();
        for (I input : inputs) {
            if (input == null) {
                throw new IllegalArgumentException("an input is null");
            }
            Request<I, O> r = new Request<>(input, task.chars(input));
            if (timeout != null) { // set before the queue publishes the request to the worker
                r.deadline = r.submitted + Math.max(1, timeout.toNanos());
            }
            requests.add(r);
        }
        // counted before the queue publishes them: the worker may take and answer them at once
        metrics.queued.addAndGet(requests.size());
        metrics.unanswered.addAndGet(requests.size());
        try {
            queue.addAll(requests);
        } catch (RuntimeException e) { // full, closed, or more than the queue ever holds: nothing was queued
            metrics.queued.addAndGet(-requests.size());
            metrics.unanswered.addAndGet(-requests.size());
            if (e instanceof SchedulerFullException) {
                metrics.rejected.add(requests.size());
            }
            throw e;
        }
        metrics.submitted.add(requests.size());
        List<CompletableFuture<O>> futures = new ArrayList<>();
        for (Request<I, O> r : requests) {
            if (timeout != null) {
                r.future.orTimeout(Math.max(1, timeout.toNanos()), TimeUnit.NANOSECONDS);
            }
            r.future.whenComplete((v, e) -> finished(r, e));
            futures.add(r.future);
        }
        return futures;
    }

    /** Counts the outcome; a request cancelled or timed out while waiting leaves the queue at once. */
    private void finished(Request<I, O> r, Throwable e) {
        if (queue.remove(r)) {
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
        metrics.latency.observe((System.nanoTime() - r.submitted) / 1e9);
    }

    /**
     * The worker: batches until closed; then it frees the pipeline itself, so that close() from a
     * future's dependent action (which runs on this thread) cannot wait for this thread.
     */
    private void work() {
        try {
            while (!closing) {
                Request<I, O> first = queue.take(options.idleTrim().toNanos());
                if (first == null) {
                    if (queue.isClosed()) {
                        return;
                    }
                    TensorArena.trimPool(); // idle: the scratch memory goes back
                    continue;
                }
                queue.awaitSize(options.maxBatchSize() - 1, first.submitted + options.maxWait().toNanos());
                List<Request<I, O>> window = new ArrayList<>(List.of(first));
                window.addAll(queue.drain(4 * options.maxBatchSize() - 1));
                metrics.queued.addAndGet(-window.size());
                process(window);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            // not one request's fault (each batch catches its own): nothing more can be trusted to run
            LOG.log(System.Logger.Level.ERROR, "scheduler " + name + " stopped: " + e, e);
            for (Request<I, O> r : queue.close()) {
                metrics.queued.decrementAndGet();
                r.future.completeExceptionally(new IllegalStateException("scheduler " + name + " stopped after " + e, e));
            }
        } finally {
            task.close();
        }
    }

    /**
     * Tokenizes the requests, sorts them by length and runs them in batches within the limits. A
     * window that fills some batches and leaves a small one over puts the small one back at the
     * head of the queue, once: under load, requests arrive while a pass runs (the callers just
     * answered come back), and those leftovers then join them in a full batch instead of running
     * as a pass of a few rows.
     */
    private void process(List<Request<I, O>> window) {
        List<Request<I, O>> ready = new ArrayList<>();
        for (Request<I, O> r : window) {
            if (r.expire(System.nanoTime()) || r.future.isDone()) {
                continue;
            }
            try {
                if (r.prepared == null) {
                    prepare(r);
                }
                ready.add(r);
            } catch (RuntimeException | Error e) {
                r.future.completeExceptionally(e);
            }
        }
        ready.sort(Comparator.comparingInt(r -> r.tokens));
        int from = 0;
        while (from < ready.size()) {
            int to = from + 1;
            while (to < ready.size() && to - from < options.maxBatchSize()
                    && (long) (to - from + 1) * ready.get(to).tokens <= options.maxBatchTokens()) {
                to++;
            }
            List<Request<I, O>> batch = ready.subList(from, to);
            if (from > 0 && to == ready.size() && small(batch) && carry(batch)) {
                return;
            }
            run(batch);
            from = to;
        }
    }

    /** Under half a batch by rows and by padded tokens (the batch is sorted by length: its last is the longest). */
    private boolean small(List<Request<I, O>> batch) {
        long padded = (long) batch.size() * batch.get(batch.size() - 1).tokens;
        return batch.size() < options.maxBatchSize() / 2 && padded < options.maxBatchTokens() / 2;
    }

    /**
     * Puts a window's leftover requests back at the head of the queue; false when one was put back
     * before, one would reach its deadline within two passes, or the queue takes no new requests
     * (shutting down: nothing will join them).
     */
    private boolean carry(List<Request<I, O>> leftover) {
        long soon = System.nanoTime() + 2 * lastPassNanos;
        if (closing || !queue.accepting() || leftover.stream().anyMatch(r -> r.carried || r.deadline - soon < 0)) {
            return false;
        }
        leftover.forEach(r -> r.carried = true);
        metrics.queued.addAndGet(leftover.size());
        if (!queue.putBack(leftover)) {
            metrics.queued.addAndGet(-leftover.size());
            return false;
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    private <P> void prepare(Request<I, O> r) {
        Task<I, P, O> t = (Task<I, P, O>) task;
        P p = t.prepare(r.input);
        r.prepared = p;
        r.tokens = t.tokens(p);
    }

    /** One pass; if it fails, each request alone, so that one bad input fails only itself. */
    private void run(List<Request<I, O>> batch) {
        long now = System.nanoTime();
        List<Request<I, O>> live = batch.stream().filter(r -> !r.expire(now) && !r.future.isDone()).toList();
        if (live.isEmpty()) {
            return;
        }
        if (closing) {
            live.forEach(r -> r.future.completeExceptionally(new IllegalStateException("scheduler " + name + " is closed")));
            return;
        }
        metrics.running.addAndGet(live.size());
        try {
            List<O> out = pass(live);
            for (int i = 0; i < live.size(); i++) {
                live.get(i).future.complete(out.get(i));
            }
        } catch (RuntimeException | Error e) {
            if (live.size() == 1) {
                live.get(0).future.completeExceptionally(e);
            } else {
                for (Request<I, O> r : live) {
                    run(List.of(r));
                }
            }
        } finally {
            metrics.running.addAndGet(-live.size());
        }
    }

    @SuppressWarnings("unchecked")
    private <P> List<O> pass(List<Request<I, O>> live) {
        Task<I, P, O> t = (Task<I, P, O>) task;
        List<P> prepared = new ArrayList<>();
        long now = System.nanoTime(), wait = 0, tokens = 0;
        int longest = 0;
        for (Request<I, O> r : live) {
            prepared.add((P) r.prepared);
            wait = Math.max(wait, now - r.submitted);
            tokens += r.tokens;
            longest = Math.max(longest, r.tokens);
            metrics.queueWait.observe((now - r.submitted) / 1e9);
        }
        BatchEvent event = new BatchEvent();
        event.begin();
        long started = System.nanoTime();
        List<O> out = t.run(prepared);
        lastPassNanos = System.nanoTime() - started;
        event.end();
        metrics.batches.increment();
        metrics.busyNanos.add(lastPassNanos);
        metrics.addTokens(tokens);
        metrics.batchRows.observe(live.size());
        metrics.batchTokens.observe((double) live.size() * longest);
        if (event.shouldCommit()) {
            event.model = name;
            event.kind = task.kind();
            event.rows = live.size();
            event.tokens = tokens;
            event.paddedTokens = (long) live.size() * longest;
            event.queueWait = wait;
            event.poolBytes = TensorArena.poolBytes();
            event.commit();
        }
        if (out.size() != live.size()) {
            throw new IllegalStateException(task.kind() + " gave " + out.size() + " results for " + live.size() + " inputs");
        }
        return out;
    }

    /**
     * Stops taking requests, lets every request already accepted (waiting, being tokenized or
     * running) finish within grace, then closes (failing what is left). True when everything
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
     * Fails the requests still waiting, waits for the batch running to finish, then frees the
     * pipeline. Idempotent. Futures complete on the scheduler's thread: an action that depends on
     * one runs there (use the *Async variants for slow ones); if it closes the scheduler, the
     * pipeline is freed once that thread has finished the batch.
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
        for (Request<I, O> r : queue.close()) {
            metrics.queued.decrementAndGet();
            r.future.completeExceptionally(new IllegalStateException("scheduler " + name + " is closed"));
        }
        if (Thread.currentThread() == worker) {
            return;
        }
        boolean interrupted = false;
        while (worker.isAlive()) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
