package org.transformers4j.scheduler;

import java.time.Duration;

/**
 * The limits of a scheduler: how batches form, how much may wait, when idle memory goes back.
 *
 * @param maxBatchSize      most requests in one encoder batch
 * @param maxBatchTokens    most tokens in one encoder batch, padding counted (rows x longest row); a
 *                          request longer than this runs alone
 * @param maxWait           how long the first request of a batch waits for others before the batch
 *                          starts anyway (zero: at once)
 * @param maxQueued         most requests waiting; more are refused at once with
 *                          {@link SchedulerFullException}
 * @param maxQueuedChars    most characters of text waiting (tokens are not known before the worker
 *                          tokenizes them); more are refused likewise
 * @param maxRows           most sequences generated at once (continuous batching): the rows of the
 *                          shared KV cache
 * @param maxContext        most positions (prompt and generated tokens) of one generated sequence; at
 *                          most the model's context
 * @param idleTrim          after this long without work the pool of scratch memory frees its idle blocks
 */
public record SchedulerOptions(int maxBatchSize, int maxBatchTokens, Duration maxWait, int maxQueued,
                               long maxQueuedChars, int maxRows, int maxContext, Duration idleTrim) {

    /**
     * 32 requests or 8,192 padded tokens a batch, 2 ms of waiting, 4,096 requests or 4 M characters
     * queued, 16 sequences generated at once with up to 1,024 positions each, idle memory freed
     * after 30 s.
     *
     * @return the options
     */
    public static SchedulerOptions defaults() {
        return new SchedulerOptions(32, 8192, Duration.ofMillis(2), 4096, 4L << 20, 16, 1024, Duration.ofSeconds(30));
    }

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public SchedulerOptions {
        positive("maxBatchSize", maxBatchSize);
        positive("maxBatchTokens", maxBatchTokens);
        positive("maxQueued", maxQueued);
        positive("maxQueuedChars", maxQueuedChars);
        positive("maxRows", maxRows);
        positive("maxContext", maxContext);
        if (maxWait == null || maxWait.isNegative() || maxWait.compareTo(Duration.ofSeconds(10)) > 0) {
            throw new IllegalArgumentException("maxWait must be between 0 and 10 s, got " + maxWait);
        }
        if (idleTrim == null || idleTrim.isNegative() || idleTrim.isZero()) {
            throw new IllegalArgumentException("idleTrim must be positive, got " + idleTrim);
        }
    }

    private static void positive(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }

    /**
     * {@return these settings with another maxBatchSize}
     *
     * @param n most requests in one encoder batch
     */
    public SchedulerOptions withMaxBatchSize(int n) {
        return new SchedulerOptions(n, maxBatchTokens, maxWait, maxQueued, maxQueuedChars, maxRows, maxContext, idleTrim);
    }

    /**
     * {@return these settings with another maxBatchTokens}
     *
     * @param n most tokens in one encoder batch, padding counted (rows x longest row); a
     *     request longer than this runs alone
     */
    public SchedulerOptions withMaxBatchTokens(int n) {
        return new SchedulerOptions(maxBatchSize, n, maxWait, maxQueued, maxQueuedChars, maxRows, maxContext, idleTrim);
    }

    /**
     * {@return these settings with another maxWait}
     *
     * @param d how long the first request of a batch waits for others before the batch
     *     starts anyway (zero: at once)
     */
    public SchedulerOptions withMaxWait(Duration d) {
        return new SchedulerOptions(maxBatchSize, maxBatchTokens, d, maxQueued, maxQueuedChars, maxRows, maxContext, idleTrim);
    }

    /**
     * {@return these settings with another maxQueued}
     *
     * @param n most requests waiting; more are refused at once with
     *     {@link SchedulerFullException}
     */
    public SchedulerOptions withMaxQueued(int n) {
        return new SchedulerOptions(maxBatchSize, maxBatchTokens, maxWait, n, maxQueuedChars, maxRows, maxContext, idleTrim);
    }

    /**
     * {@return these settings with another maxQueuedChars}
     *
     * @param n most characters of text waiting (tokens are not known before the worker
     *     tokenizes them); more are refused likewise
     */
    public SchedulerOptions withMaxQueuedChars(long n) {
        return new SchedulerOptions(maxBatchSize, maxBatchTokens, maxWait, maxQueued, n, maxRows, maxContext, idleTrim);
    }

    /**
     * {@return these settings with another maxRows}
     *
     * @param n most sequences generated at once (continuous batching): the rows of the
     *     shared KV cache
     */
    public SchedulerOptions withMaxRows(int n) {
        return new SchedulerOptions(maxBatchSize, maxBatchTokens, maxWait, maxQueued, maxQueuedChars, n, maxContext, idleTrim);
    }

    /**
     * {@return these settings with another maxContext}
     *
     * @param n most positions (prompt and generated tokens) of one generated sequence; at
     *     most the model's context
     */
    public SchedulerOptions withMaxContext(int n) {
        return new SchedulerOptions(maxBatchSize, maxBatchTokens, maxWait, maxQueued, maxQueuedChars, maxRows, n, idleTrim);
    }

    /**
     * {@return these settings with another idleTrim}
     *
     * @param d after this long without work the pool of scratch memory frees its idle blocks
     *     /
     */
    public SchedulerOptions withIdleTrim(Duration d) {
        return new SchedulerOptions(maxBatchSize, maxBatchTokens, maxWait, maxQueued, maxQueuedChars, maxRows, maxContext, d);
    }
}
