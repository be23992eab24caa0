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

    /** Requests accepted into the queue. */
    public long submitted() {
        return submitted.sum();
    }

    /** Requests answered. */
    public long completed() {
        return completed.sum();
    }

    /** Requests that failed (bad input, a deadline passed, the scheduler closed). */
    public long failed() {
        return failed.sum();
    }

    /** Requests refused because the queue was full. */
    public long rejected() {
        return rejected.sum();
    }

    /** Requests cancelled by their caller. */
    public long cancelled() {
        return cancelled.sum();
    }

    /** Forward passes run (encoder batches, or prefills and decode steps). */
    public long batches() {
        return batches.sum();
    }

    /** Tokens computed: real tokens of encoder batches, prompt and generated tokens of generation. */
    public long tokens() {
        return tokens.sum();
    }

    /** Counts n tokens computed now. */
    void addTokens(long n) {
        tokens.add(n);
        tokenRate.add(n);
    }

    /** Requests waiting now. */
    public int queueDepth() {
        return queued.get();
    }

    /** Requests being worked on now (in a batch, or sequences being generated). */
    public int inFlight() {
        return running.get();
    }

    /** Requests accepted and not yet answered: waiting, being prepared, or running. */
    public int unanswered() {
        return unanswered.get();
    }

    /** Tokens computed per second over the last 10 seconds. */
    public double tokensPerSecond() {
        return tokenRate.perSecond();
    }

    /** Rows per forward pass. */
    public Histogram batchRows() {
        return batchRows;
    }

    /** Tokens per forward pass, padding counted. */
    public Histogram batchTokens() {
        return batchTokens;
    }

    /** Seconds from submission to the start of a request's first pass. */
    public Histogram queueWait() {
        return queueWait;
    }

    /** Seconds from submission to the answer. */
    public Histogram latency() {
        return latency;
    }
}
