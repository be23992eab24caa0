package org.transformers4j.nn;

import java.util.Arrays;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.util.CloseGuard;

/**
 * Keys and values of every layer for a batch of sequences, filled step by step. Stored head-major,
 * [B, KV heads, capacity, D] per layer, so that attention reads one head's cached keys as one
 * sequential run (position-major, a decode step's reads were a row of all heads apart); seen
 * through {@link #append} as [B, T, KV heads, D] views like every other attention operand. A
 * forward pass writes each layer's new keys and values after what each row holds and then calls
 * {@link #advance(int)}; attention reads the filled part in place.
 *
 * <p>Each row has its own length. A batch generated together keeps them equal; a scheduler that
 * lets sequences join and leave a running batch (continuous batching) gives each request a row,
 * fills it through {@link #rows(int, int)} and sets its length with {@link #setLength}. Where the
 * lengths differ, a row's keys are positions [0, length of the row), and what lies beyond, up to
 * the longest row, is stale: the attention mask of such a batch must hide it
 * ({@link #attentionMask(int)}).
 */
public final class KvCache implements AutoCloseable {
    private final TensorArena arena; // null for a view of another cache's rows
    private final Backend backend;
    private final Tensor[] keys;
    private final Tensor[] values;
    private final int batch;
    private final int capacity;
    private final int[] lengths; // shared with views; rows [first, first + batch) are this cache's
    private final int first;
    private final CloseGuard guard; // shared with views: closing the cache waits for passes through any of them

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
        this.lengths = new int[batch];
        this.first = 0;
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

    private KvCache(KvCache of, int from, int count) {
        this.arena = null;
        this.backend = of.backend;
        this.batch = count;
        this.capacity = of.capacity;
        this.lengths = of.lengths;
        this.first = of.first + from;
        this.guard = of.guard;
        keys = new Tensor[of.keys.length];
        values = new Tensor[of.values.length];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = of.keys[i].narrow(0, from, count);
            values[i] = of.values[i].narrow(0, from, count);
        }
    }

    public int batch() {
        return batch;
    }

    public int capacity() {
        return capacity;
    }

    /** Positions filled so far: the longest row's. */
    public int length() {
        int max = 0;
        for (int r = 0; r < batch; r++) {
            max = Math.max(max, lengths[first + r]);
        }
        return max;
    }

    /** Positions filled so far in row r. */
    public int length(int row) {
        return lengths[first + checkRow(row)];
    }

    /** Whether every row holds the same number of positions. */
    public boolean uniform() {
        for (int r = 1; r < batch; r++) {
            if (lengths[first + r] != lengths[first]) {
                return false;
            }
        }
        return true;
    }

    public int layers() {
        return keys.length;
    }

    /**
     * A view of rows [from, from + count): the same memory and the same lengths (what a pass
     * through the view appends and advances, this cache sees). Closing the view frees nothing.
     */
    public KvCache rows(int from, int count) {
        if (from < 0 || count < 1 || (long) from + count > batch) {
            throw new IllegalArgumentException("rows [" + from + ", " + ((long) from + count) + ") are outside the "
                    + batch + " rows of the cache");
        }
        return new KvCache(this, from, count);
    }

    /**
     * Sets how many positions row r holds: 0 to reuse the row for a new sequence, or less than it
     * holds to roll it back.
     */
    public void setLength(int row, int n) {
        if (n < 0 || n > capacity) {
            throw new IllegalArgumentException("a row of the cache holds 0 to " + capacity + " positions, not " + n);
        }
        lengths[first + checkRow(row)] = n;
    }

    /** Requires room for n more positions in every row; the message names the capacity. */
    public void requireRoom(int n) {
        int length = length();
        if (n < 0 || length + (long) n > capacity) {
            throw new IllegalArgumentException("KV cache holds " + length + " of " + capacity + " positions, "
                    + n + " more do not fit");
        }
    }

    /**
     * The attention mask [B, length() + s] of s new positions per row: row r sees its own
     * positions and its s new ones, which {@link #append} writes right after them.
     */
    public long[] attentionMask(int s) {
        int t = length() + s;
        long[] mask = new long[batch * t];
        for (int r = 0; r < batch; r++) {
            Arrays.fill(mask, r * t, r * t + lengths[first + r] + s, 1L);
        }
        return mask;
    }

    /** Position ids [B, s] of s new positions per row: each row's continue from its length. */
    public long[] positions(int s) {
        long[] pos = new long[batch * s];
        for (int r = 0; r < batch; r++) {
            for (int i = 0; i < s; i++) {
                pos[r * s + i] = lengths[first + r] + i;
            }
        }
        return pos;
    }

    /**
     * Writes k, v: [B, S, KV heads, D] of a layer after what each row holds and returns the keys
     * and values of positions [0, length() + S) as views {keys, values}.
     */
    public Tensor[] append(int layer, Tensor k, Tensor v) {
        guard.ensureOpen();
        int s = (int) k.dim(1);
        requireRoom(s);
        if (uniform()) {
            int at = lengths[first];
            backend.copy(k, positionMajor(keys[layer], at, s));
            backend.copy(v, positionMajor(values[layer], at, s));
        } else {
            for (int r = 0; r < batch; r++) {
                int at = lengths[first + r];
                backend.copy(k.narrow(0, r, 1), positionMajor(keys[layer].narrow(0, r, 1), at, s));
                backend.copy(v.narrow(0, r, 1), positionMajor(values[layer].narrow(0, r, 1), at, s));
            }
        }
        int t = length() + s;
        return new Tensor[] {positionMajor(keys[layer], 0, t), positionMajor(values[layer], 0, t)};
    }

    /** Positions [from, from + n) of a [B, KV heads, capacity, D] tensor as a [B, n, KV heads, D] view. */
    private static Tensor positionMajor(Tensor t, int from, int n) {
        return t.narrow(2, from, n).transpose(1, 2);
    }

    /** Marks n more positions as filled in every row, after every layer has appended them. */
    public void advance(int n) {
        requireRoom(n);
        for (int r = 0; r < batch; r++) {
            lengths[first + r] += n;
        }
    }

    /** Forgets every position from n on in every row (n &lt;= each row's length), for example to reuse the cache. */
    public void truncate(int n) {
        for (int r = 0; r < batch; r++) {
            if (n < 0 || n > lengths[first + r]) {
                throw new IllegalArgumentException("cannot truncate a cache row of " + lengths[first + r]
                        + " positions to " + n);
            }
        }
        for (int r = 0; r < batch; r++) {
            lengths[first + r] = n;
        }
    }

    /**
     * Row r takes what row from[r] held (beam search keeps the cache of the beams it continues).
     * Every row keeps [0, length()) of the row it copies, and its length.
     */
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
        int length = length();
        if (length == 0) {
            return;
        }
        for (Tensor[] kinds : new Tensor[][] {keys, values}) {
            for (Tensor t : kinds) {
                reorderRows(backend, t.narrow(2, 0, length), from);
            }
        }
        int[] old = Arrays.copyOfRange(lengths, first, first + batch);
        for (int r = 0; r < batch; r++) {
            lengths[first + r] = old[from[r]];
        }
    }

    /**
     * Copies the first n positions of row src into row dst (for example a prompt's keys and
     * values into the rows of its other samples) and gives dst that length.
     */
    public void copyRow(int src, int dst, int n) {
        guard.ensureOpen();
        checkRow(src);
        checkRow(dst);
        if (n < 0 || n > lengths[first + src]) {
            throw new IllegalArgumentException("row " + src + " holds " + lengths[first + src] + " positions, not " + n);
        }
        if (src != dst && n > 0) {
            for (Tensor[] kinds : new Tensor[][] {keys, values}) {
                for (Tensor t : kinds) {
                    backend.copy(t.narrow(0, src, 1).narrow(2, 0, n), t.narrow(0, dst, 1).narrow(2, 0, n));
                }
            }
        }
        lengths[first + dst] = n;
    }

    private int checkRow(int row) {
        if (row < 0 || row >= batch) {
            throw new IllegalArgumentException("row " + row + " is outside the " + batch + " rows of the cache");
        }
        return row;
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

    /**
     * Frees the cache once no pass is in flight; a second close does nothing. A view of another
     * cache's rows frees nothing.
     */
    @Override
    public void close() {
        if (arena != null) {
            guard.close();
        }
    }
}
