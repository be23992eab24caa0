package org.transformers4j.nn;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * BERT-style embeddings: LN(word[ids] + position[positions] + tokenType[types]).
 *
 * @param tokenType [types, C], or null for models without segments (DistilBERT)
 */
public record Embeddings(Tensor word, Tensor position, Tensor tokenType, LayerNorm norm) {

    /** Embeds N tokens into a new [N, C] tensor; types may be null (all zeros). */
    public Tensor forward(Backend backend, long[] ids, long[] positions, long[] types, TensorArena arena) {
        int n = ids.length;
        long c = word.dim(1);
        Tensor e = arena.empty(n, c), p = arena.empty(n, c);
        backend.embedding(word, backend.longs(ids, arena, n), e);
        backend.embedding(position, backend.longs(positions, arena, n), p);
        backend.add(e, p, e);
        if (tokenType != null) {
            backend.embedding(tokenType, backend.longs(types == null ? new long[n] : types, arena, n), p);
            backend.add(e, p, e);
        }
        return norm.forward(backend, e, null, arena);
    }
}
