package org.transformers4j.util;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Makes {@code close()} of an object with native memory safe while other threads use it. Each
 * call into the object runs between {@link #enter()} and {@link #exit()}; {@link #close()} marks
 * the object closed, so that calls starting later fail at once with
 * {@code IllegalStateException("<what> is closed")}, waits for the calls in flight to finish,
 * then runs the release action exactly once. A second close is a no-op.
 *
 * <p>A thread that closes the object from inside one of its own calls (a listener callback, say)
 * cannot wait for itself: the release then runs when the last call in flight exits. Waiting
 * uses an object monitor, which does not pin a virtual thread's carrier (JDK 24 and later).
 */
public final class CloseGuard {
    private static final long CLOSED = 1L << 62;
    private static final long COUNT = CLOSED - 1;

    private final String what;
    private final Runnable release;
    /** CLOSED bit, then the number of calls in flight. */
    private final AtomicLong state = new AtomicLong();
    /** Calls in flight on each thread, to recognise a close from inside a call. */
    private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);
    /** Set when the closing thread was itself in a call: the last call out releases. */
    private volatile boolean deferred;
    private boolean released; // guarded by this

    /**
     * @param what names the object in the exception ("tokenizer", "TextGenerator", ...)
     * @param release frees the object's resources; run once, when no call is in flight
     */
    public CloseGuard(String what, Runnable release) {
        this.what = what;
        this.release = release;
    }

    /** Starts a call; throws {@code IllegalStateException("<what> is closed")} once close has begun. */
    public void enter() {
        while (true) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                throw closedException();
            }
            if (state.compareAndSet(s, s + 1)) {
                depth.get()[0]++;
                return;
            }
        }
    }

    /** Ends a call started by {@link #enter()}; the last one out after a close may run the release. */
    public void exit() {
        depth.get()[0]--;
        long s = state.decrementAndGet();
        if (s == CLOSED) {
            synchronized (this) {
                notifyAll();
            }
            if (deferred) {
                releaseOnce();
            }
        }
    }

    /** Whether {@link #close()} has begun. */
    public boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /** Throws {@code IllegalStateException("<what> is closed")} if close has begun. */
    public void ensureOpen() {
        if (isClosed()) {
            throw closedException();
        }
    }

    /** The exception new calls get after close: names the object. */
    public IllegalStateException closedException() {
        return new IllegalStateException(what + " is closed");
    }

    /**
     * Marks the object closed, waits for the calls in flight to finish and releases it. Returns
     * at once when already closed. A thread interrupted while waiting goes on waiting (freeing
     * memory under a running call is never an option) and keeps its interrupt status.
     */
    public void close() {
        long s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                return;
            }
        } while (!state.compareAndSet(s, s | CLOSED));
        if (depth.get()[0] > 0) {
            deferred = true; // this thread's own exit comes later and sees it
            return;
        }
        awaitNoCalls();
        releaseOnce();
    }

    private void awaitNoCalls() {
        boolean interrupted = false;
        synchronized (this) {
            while ((state.get() & COUNT) != 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void releaseOnce() {
        synchronized (this) {
            if (released) {
                return;
            }
            released = true;
        }
        release.run();
    }
}
