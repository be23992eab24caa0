package org.transformers4j.scheduler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToLongFunction;

/**
 * The waiting requests of one scheduler, bounded by count and by characters: callers add, the
 * worker takes. Adding to a full or closed queue fails at once.
 */
final class RequestQueue<R> {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<R> queue = new ArrayDeque<>();
    private final int maxRequests;
    private final long maxChars;
    private final ToLongFunction<R> charsOf;
    private final String name;
    private long chars;
    private boolean accepting = true;
    private boolean closed;

    RequestQueue(String name, int maxRequests, long maxChars, ToLongFunction<R> charsOf) {
        this.name = name;
        this.maxRequests = maxRequests;
        this.maxChars = maxChars;
        this.charsOf = charsOf;
    }

    /** Adds the requests, all or none; refused with a message when full, closed or shutting down. */
    void addAll(List<R> requests) {
        long more = 0;
        for (R r : requests) {
            more += charsOf.applyAsLong(r);
        }
        if (requests.size() > maxRequests || more > maxChars) {
            throw new IllegalArgumentException(name + ": " + requests.size() + " inputs of " + more
                    + " characters in one submission are more than the queue ever holds (" + maxRequests
                    + " requests, " + maxChars + " characters); send fewer at once");
        }
        lock.lock();
        try {
            if (!accepting) {
                throw new IllegalStateException(name + " is closed");
            }
            if (queue.size() + (long) requests.size() > maxRequests) {
                throw new SchedulerFullException(name + ": " + queue.size() + " requests are waiting, the limit is "
                        + maxRequests + "; try again later");
            }
            if (chars + more > maxChars) {
                throw new SchedulerFullException(name + ": " + chars + " characters of text are waiting, " + more
                        + " more would pass the limit of " + maxChars + "; try again later");
            }
            queue.addAll(requests);
            chars += more;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Puts requests taken earlier back at the head of the queue, in their order, whatever the
     * limits (they were admitted already); false, and nothing put back, once the queue is closed.
     */
    boolean putBack(List<R> requests) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            for (int i = requests.size() - 1; i >= 0; i--) {
                queue.addFirst(requests.get(i));
                chars += charsOf.applyAsLong(requests.get(i));
            }
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Removes a request still waiting (a cancelled one); false when it was taken already. */
    boolean remove(R r) {
        lock.lock();
        try {
            boolean removed = queue.removeFirstOccurrence(r);
            if (removed) {
                chars -= charsOf.applyAsLong(r);
                changed.signalAll();
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to timeoutNanos for a request and takes it; null when none came in that time or
     * the queue is closed and empty.
     */
    R take(long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            while (queue.isEmpty() && !closed && left > 0) {
                left = changed.awaitNanos(left);
            }
            return poll();
        } finally {
            lock.unlock();
        }
    }

    /** The oldest waiting request, left in the queue, or null. */
    R peek() {
        lock.lock();
        try {
            return queue.peekFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to timeoutNanos until a request waits; false when none came in that time or the queue closed. */
    boolean awaitRequest(long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            while (queue.isEmpty() && !closed && left > 0) {
                left = changed.awaitNanos(left);
            }
            return !queue.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Takes a waiting request, or null. */
    R poll() {
        lock.lock();
        try {
            R r = queue.pollFirst();
            if (r != null) {
                chars -= charsOf.applyAsLong(r);
                changed.signalAll();
            }
            return r;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until at least n requests wait, the deadline (System.nanoTime) passes or the queue closes. */
    void awaitSize(int n, long deadline) throws InterruptedException {
        lock.lock();
        try {
            long left;
            while (queue.size() < n && !closed && (left = deadline - System.nanoTime()) > 0) {
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Takes up to n waiting requests, oldest first. */
    List<R> drain(int n) {
        lock.lock();
        try {
            List<R> out = new ArrayList<>();
            while (out.size() < n && !queue.isEmpty()) {
                out.add(poll());
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** {@return whether new requests are taken (not closed, not shutting down)} */
    boolean accepting() {
        lock.lock();
        try {
            return accepting;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new requests from now on; those waiting stay. */
    void stopAccepting() {
        lock.lock();
        try {
            accepting = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until no request waits, or the deadline passes; true when empty. */
    boolean awaitEmpty(long deadline) throws InterruptedException {
        lock.lock();
        try {
            long left;
            while (!queue.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
                changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
            return queue.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Closes the queue and returns the requests still waiting, which the caller fails. */
    List<R> close() {
        lock.lock();
        try {
            accepting = false;
            closed = true;
            List<R> left = new ArrayList<>(queue);
            queue.clear();
            chars = 0;
            changed.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }

    boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }
}
