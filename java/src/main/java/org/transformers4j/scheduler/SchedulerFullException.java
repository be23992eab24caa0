package org.transformers4j.scheduler;

import java.util.concurrent.RejectedExecutionException;

/**
 * A request refused because the scheduler's queue is full (its request or character limit); the
 * caller may retry later (an HTTP server answers 429).
 */
public final class SchedulerFullException extends RejectedExecutionException {
    /**
     * A refusal: the queue is full.
     *
     * @param message what was full, with its limit
     */
    public SchedulerFullException(String message) {
        super(message);
    }
}
