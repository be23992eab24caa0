package org.transformers4j.scheduler;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.transformers4j.pipeline.Generation;

/**
 * One generation request submitted to a {@link GenerationScheduler}: its text as it is generated
 * (pieces, in order, per output sequence), and its result. Read the pieces from one thread
 * (a virtual thread is fine: waiting here does not enter native code). Cancelling it, or letting
 * its deadline pass, ends the generation and frees its rows of the cache at the next step.
 */
public final class GenerationStream {
    /**
     * A piece of text of output number sequence (0 to n - 1).
     *
     * @param sequence which output it belongs to
     * @param text the text this piece adds
     */
    public record Piece(int sequence, String text) {
    }

    private static final Piece END = new Piece(-1, "");

    private final LinkedBlockingQueue<Piece> pieces = new LinkedBlockingQueue<>();
    private final CompletableFuture<List<Generation>> result = new CompletableFuture<>();
    private volatile int promptTokens = -1;

    GenerationStream() {
        result.whenComplete((v, e) -> {
            synchronized (pieces) {
                pieces.add(END);
            }
        });
    }

    /**
     * The next piece of text, waiting for it; null once the request has ended and every piece has
     * been read (then {@link #result()} says how it ended).
     *
     * @return the next piece, or null at the end
     * @throws InterruptedException when the caller is interrupted while waiting
     */
    public Piece next() throws InterruptedException {
        Piece p = pieces.take();
        if (p == END) {
            pieces.add(END);
            return null;
        }
        return p;
    }

    /**
     * As {@link #next()}, waiting at most timeout: null when none came in that time, or at the
     * end (tell them apart with {@link #isDone()}).
     *
     * @param timeout how long to wait
     * @return the next piece, or null
     * @throws InterruptedException when the caller is interrupted while waiting
     */
    public Piece next(Duration timeout) throws InterruptedException {
        Piece p = pieces.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (p == END) {
            pieces.add(END);
            return null;
        }
        return p;
    }

    /** {@return whether the request has ended and every piece has been read} */
    public boolean isDone() {
        return result.isDone() && pieces.peek() == END;
    }

    /**
     * The outputs (n of them, or the beams asked for, best first), when generation ends; fails
     * with the reason it could not finish (bad input, deadline, cancellation, the scheduler closed).
     *
     * @return the future outputs
     */
    public CompletableFuture<List<Generation>> result() {
        return result;
    }

    /** {@return tokens of the prompt, once the worker has tokenized it; -1 before} */
    public int promptTokens() {
        return promptTokens;
    }

    /** Ends the request: no more tokens are generated for it, and its result fails with a CancellationException. */
    public void cancel() {
        result.cancel(false);
    }

    /** Adds a piece, unless the request has ended (its end is the last thing a reader sees). */
    void emit(int sequence, String text) {
        synchronized (pieces) {
            if (!text.isEmpty() && !result.isDone()) {
                pieces.add(new Piece(sequence, text));
            }
        }
    }

    void promptTokens(int n) {
        promptTokens = n;
    }
}
