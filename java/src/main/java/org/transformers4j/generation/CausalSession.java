package org.transformers4j.generation;

import java.util.List;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * A decoder-only model generating for a batch of prompts, left-padded to one length as Hugging
 * Face does: the attention mask hides the padding, and position ids count real tokens only.
 */
public final class CausalSession implements DecodingSession {
    private final DecoderModel model;
    private final KvCache cache;
    private final int rows;
    private final int promptLength;
    private long[] ids;
    private long[] mask;

    /**
     * @param prompts one token array per row, none empty and none longer than the context
     * @param pad fills the left of shorter prompts
     * @param newTokens how many tokens the session must be able to take after the prompts (the
     *                  cache is sized for that, capped by the model's context)
     */
    public CausalSession(DecoderModel model, List<long[]> prompts, long pad, int newTokens) {
        this.model = model;
        this.rows = prompts.size();
        int longest = 0;
        for (long[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("a prompt is empty");
            }
            longest = Math.max(longest, p.length);
        }
        if (longest > model.maxPositions()) {
            throw new IllegalArgumentException("a prompt of " + longest + " tokens is longer than the context of "
                    + model.maxPositions() + " positions of " + model.config().source());
        }
        promptLength = longest;
        ids = new long[rows * longest];
        mask = new long[rows * longest];
        for (int r = 0; r < rows; r++) {
            long[] p = prompts.get(r);
            int offset = longest - p.length;
            for (int j = 0; j < longest; j++) {
                ids[r * longest + j] = j < offset ? pad : p[j - offset];
                mask[r * longest + j] = j < offset ? 0 : 1;
            }
        }
        int capacity = (int) Math.min((long) longest + newTokens, model.maxPositions());
        this.cache = model.newCache(rows, capacity);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public float[][] start() {
        return run(new DecoderInput(rows, promptLength, ids, mask,
                DecoderInput.positionsFromMask(mask, rows, promptLength)));
    }

    @Override
    public float[][] next(long[] tokens) {
        if (tokens.length != rows) {
            throw new IllegalArgumentException("next needs one token per row (" + rows + "), got " + tokens.length);
        }
        int t = cache.length() + 1;
        long[] grown = new long[rows * t];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(mask, r * (t - 1), grown, r * t, t - 1);
            grown[r * t + t - 1] = 1;
        }
        mask = grown;
        return run(new DecoderInput(rows, 1, tokens, mask, DecoderInput.positionsFromMask(mask, rows, 1)));
    }

    @Override
    public int room() {
        return cache.capacity() - cache.length();
    }

    @Override
    public void reorder(int[] from) {
        cache.reorder(from);
        int t = mask.length / rows;
        long[] moved = new long[mask.length];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(mask, from[r] * t, moved, r * t, t);
        }
        mask = moved;
    }

    private float[][] run(DecoderInput in) {
        try (TensorArena out = TensorArena.confined()) {
            return byRow(model.decodeStep(in, cache, out), rows);
        }
    }

    /** Logits [rows, 1, V] as one array per row. */
    static float[][] byRow(Tensor logits, int rows) {
        int v = (int) logits.dim(2);
        float[] all = logits.toFloatArray();
        float[][] out = new float[rows][v];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(all, r * v, out[r], 0, v);
        }
        return out;
    }

    @Override
    public void close() {
        cache.close();
    }
}
