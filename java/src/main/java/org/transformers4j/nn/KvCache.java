package org.transformers4j.nn;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.util.CloseGuard;

/**
 * Keys and values of every layer for a batch of sequences, filled step by step. Stored head-major,
 * [B, KV heads, capacity, D] per layer, so that attention reads one head's cached keys as one
 * sequential run (position-major, a decode step's reads were a row of all heads apart); seen
 * through {@link #append} as [B, T, KV heads, D] views like every other attention operand. A
 * forward pass writes each layer's new keys and values at {@link #length()} and then calls
 * {@link #advance(int)}; attention reads the filled part in place.
 */
public final class KvCache implements AutoCloseable {
    private final TensorArena arena;
    private final Backend backend;
    private final Tensor[] keys;
    private final Tensor[] values;
    private final int batch;
    private final int capacity;
    private final CloseGuard guard;
    private int length;

    /** A cache whose copies run on the backend of the model that fills it. */
    public KvCache(Backend backend, int layers, int batch, int capacity, int kvHeads, int headDim) {
        if (layers < 1 || batch < 1 || capacity < 1 || kvHeads < 1 || headDim < 1) {
            throw new IllegalArgumentException("KV cache sizes must be >= 1: layers " + layers + ", batch " + batch
                    + ", capacity " + capacity + ", kv heads " + kvHeads + ", head dim " + headDim);
        }
        this.backend = backend;
        this.arena = backend.longLived();
        this.batch = batch;
        this.capacity = capacity;
        this.guard = new CloseGuard("KV cache", arena::close);
        keys = new Tensor[layers];
        values = new Tensor[layers];
        try {
            for (int i = 0; i < layers; i++) {
                keys[i] = arena.empty(batch, kvHeads, capacity, headDim);
                values[i] = arena.empty(batch, kvHeads, capacity, headDim);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    public int batch() {
        return batch;
    }

    public int capacity() {
        return capacity;
    }

    /** Positions filled so far. */
    public int length() {
        return length;
    }

    public int layers() {
        return keys.length;
    }

    /** Requires room for n more positions; the message names the capacity. */
    public void requireRoom(int n) {
        if (n < 0 || length + (long) n > capacity) {
            throw new IllegalArgumentException("KV cache holds " + length + " of " + capacity + " positions, "
                    + n + " more do not fit");
        }
    }

    /**
     * Writes k, v: [B, S, KV heads, D] of a layer at the current length and returns the keys and
     * values of positions [0, length + S) as views {keys, values}.
     */
    public Tensor[] append(int layer, Tensor k, Tensor v) {
        guard.ensureOpen();
        int s = (int) k.dim(1);
        requireRoom(s);
        backend.copy(k, positionMajor(keys[layer], length, s));
        backend.copy(v, positionMajor(values[layer], length, s));
        return new Tensor[] {positionMajor(keys[layer], 0, length + s), positionMajor(values[layer], 0, length + s)};
    }

    /** Positions [from, from + n) of a [B, KV heads, capacity, D] tensor as a [B, n, KV heads, D] view. */
    private static Tensor positionMajor(Tensor t, int from, int n) {
        return t.narrow(2, from, n).transpose(1, 2);
    }

    /** Marks n more positions as filled, after every layer has appended them. */
    public void advance(int n) {
        requireRoom(n);
        length += n;
    }

    /** Forgets every position from n on (n &lt;= length), for example to reuse the cache for a new prompt. */
    public void truncate(int n) {
        if (n < 0 || n > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + n);
        }
        length = n;
    }

    /** Row i takes what row from[i] held (beam search keeps the cache of the beams it continues). */
    public void reorder(int[] from) {
        enter();
        try {
            reorderOpen(from);
        } finally {
            exit();
        }
    }

    private void reorderOpen(int[] from) {
        if (from.length != batch) {
            throw new IllegalArgumentException("reorder needs " + batch + " rows, got " + from.length);
        }
        if (length == 0) {
            return;
        }
        for (Tensor[] kinds : new Tensor[][] {keys, values}) {
            for (Tensor t : kinds) {
                reorderRows(backend, t.narrow(2, 0, length), from);
            }
        }
    }

    /** Rows of t (its first dimension) permuted in place: row i takes what row from[i] held. */
    public static void reorderRows(Backend backend, Tensor t, int[] from) {
        long rows = t.dim(0);
        for (int f : from) {
            if (f < 0 || f >= rows) {
                throw new IllegalArgumentException("reorder row " + f + " is outside [0, " + rows + ")");
            }
        }
        try (TensorArena work = backend.scratch()) {
            Tensor old = work.empty(t.shape().toArray());
            backend.copy(t, old);
            for (int i = 0; i < from.length; i++) {
                backend.copy(old.narrow(0, from[i], 1), t.narrow(0, i, 1));
            }
        }
    }

    /**
     * Starts a pass that reads or writes the cache (a model's forward brackets its layers with
     * enter and {@link #exit()}): close waits for it, and it fails with IllegalStateException once
     * the cache is closed.
     */
    public void enter() {
        guard.enter();
    }

    /** Ends a pass started by {@link #enter()}. */
    public void exit() {
        guard.exit();
    }

    /** Frees the cache once no pass is in flight; a second close does nothing. */
    @Override
    public void close() {
        guard.close();
    }
}
