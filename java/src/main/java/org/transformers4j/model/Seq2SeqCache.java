package org.transformers4j.model;

import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.util.CloseGuard;

/**
 * What a decoder of an encoder-decoder model keeps between steps: its self-attention KV cache,
 * each layer's cross-attention keys and values (computed once from the encoder output) and the
 * source's padding options.
 */
public final class Seq2SeqCache implements AutoCloseable {
    private final Backend backend;
    private final KvCache self;
    private final TensorArena arena;
    private final Tensor[][] crossKv;
    private AttentionOptions sourceMask;
    private final int sourceLength;
    private final CloseGuard guard = new CloseGuard("encoder-decoder cache", this::release);

    Seq2SeqCache(Backend backend, KvCache self, TensorArena arena, Tensor[][] crossKv, AttentionOptions sourceMask,
                 int sourceLength) {
        this.backend = backend;
        this.self = self;
        this.arena = arena;
        this.crossKv = crossKv;
        this.sourceMask = sourceMask;
        this.sourceLength = sourceLength;
    }

    /** {@return the decoder's self-attention cache} */
    public KvCache self() {
        return self;
    }

    /** Cross-attention keys and values [B, T, H, D] of a decoder layer. */
    Tensor[] crossKeysValues(int layer) {
        return crossKv[layer];
    }

    AttentionOptions sourceMask() {
        return sourceMask;
    }

    /**
     * {@return T, the source positions the decoder attends to}
     */
    public int sourceLength() {
        return sourceLength;
    }

    /**
     * Row i continues what row from[i] held: self-attention cache, cross keys and values, source mask.
     *
     * @param from for each row, the row it continues
     */
    public void reorder(int[] from) {
        enter();
        try {
            reorderOpen(from);
        } finally {
            exit();
        }
    }

    /** Starts a decoding pass over the caches: close waits for it; fails once either cache is closed. */
    void enter() {
        guard.enter();
        try {
            self.enter();
        } catch (RuntimeException e) {
            guard.exit();
            throw e;
        }
    }

    void exit() {
        try {
            self.exit();
        } finally {
            guard.exit();
        }
    }

    private void reorderOpen(int[] from) {
        self.reorder(from);
        for (Tensor[] kv : crossKv) {
            for (Tensor t : kv) {
                KvCache.reorderRows(backend, t, from);
            }
        }
        AttentionOptions m = sourceMask;
        if (m.keyStart() != null) {
            m = m.withKeyStart(permuted(m.keyStart(), from));
        }
        if (m.keyLength() != null) {
            m = m.withKeyLength(permuted(m.keyLength(), from));
        }
        if (m.bias() != null) {
            KvCache.reorderRows(backend, m.bias(), from);
        }
        sourceMask = m;
    }

    private static int[] permuted(int[] values, int[] from) {
        int[] out = new int[from.length];
        for (int i = 0; i < from.length; i++) {
            out[i] = values[from[i]];
        }
        return out;
    }

    /** Frees the caches once no decoding pass is in flight; a second close does nothing. */
    @Override
    public void close() {
        guard.close();
    }

    private void release() {
        try {
            self.close();
        } finally {
            arena.close();
        }
    }
}
