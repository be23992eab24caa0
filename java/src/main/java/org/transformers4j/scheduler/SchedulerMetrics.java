package org.transformers4j.scheduler;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one scheduler has done: the counters a metrics endpoint reads (and the same figures the
 * JFR events carry). Safe to read from any thread while the scheduler runs.
 */
public final class SchedulerMetrics {
    final LongAdder submitted = new LongAdder();
    final LongAdder completed = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder cancelled = new LongAdder();
    final LongAdder batches = new LongAdder();
    final LongAdder tokens = new LongAdder();
    final LongAdder busyNanos = new LongAdder();
    final AtomicInteger queued = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger unanswered = new AtomicInteger(); // accepted and not yet completed, wherever they are
    final TokenRate tokenRate = new TokenRate();
    final Histogram batchRows = Histogram.sizes();
    final Histogram batchTokens = Histogram.sizes();
    final Histogram queueWait = Histogram.seconds();
    final Histogram latency = Histogram.seconds();

    SchedulerMetrics() { // each scheduler makes its own
    }

    /** {@return requests accepted into the queue} */
    public long submitted() {
        return submitted.sum();
    }

    /** {@return requests answered} */
    public long completed() {
        return completed.sum();
    }

    /** {@return requests that failed (bad input, a deadline passed, the scheduler closed)} */
    public long failed() {
        return failed.sum();
    }

    /** {@return requests refused because the queue was full} */
    public long rejected() {
        return rejected.sum();
    }

    /** {@return requests cancelled by their caller} */
    public long cancelled() {
        return cancelled.sum();
    }

    /**
     * Forward passes run (encoder batches, or prefills and decode steps).
     *
     * @return the number of passes
     */
    public long batches() {
        return batches.sum();
    }

    /**
     * Seconds the worker spent in forward passes (encoder batches, prefills, decode steps):
     * against the wall clock, how busy the model was; the rest it waited for requests or
     * prepared them.
     *
     * @return the seconds
     */
    public double busySeconds() {
        return busyNanos.sum() / 1e9;
    }

    /** {@return tokens computed: real tokens of encoder batches, prompt and generated tokens of generation} */
    public long tokens() {
        return tokens.sum();
    }

    /** Counts n tokens computed now. */
    void addTokens(long n) {
        tokens.add(n);
        tokenRate.add(n);
    }

    /** {@return requests waiting now} */
    public int queueDepth() {
        return queued.get();
    }

    /** {@return requests being worked on now (in a batch, or sequences being generated)} */
    public int inFlight() {
        return running.get();
    }

    /** {@return requests accepted and not yet answered: waiting, being prepared, or running} */
    public int unanswered() {
        return unanswered.get();
    }

    /** {@return tokens computed per second over the last 10 seconds} */
    public double tokensPerSecond() {
        return tokenRate.perSecond();
    }

    /** {@return rows per forward pass} */
    public Histogram batchRows() {
        return batchRows;
    }

    /** {@return tokens per forward pass, padding counted} */
    public Histogram batchTokens() {
        return batchTokens;
    }

    /** {@return seconds from submission to the start of a request's first pass} */
    public Histogram queueWait() {
        return queueWait;
    }

    /** {@return seconds from submission to the answer} */
    public Histogram latency() {
        return latency;
    }
}
