package org.transformers4j.generation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * A decoder-only model generating for a batch of prompts, left-padded to one length as Hugging
 * Face does: the attention mask hides the padding, and position ids count real tokens only. For a
 * model whose cache must be rebuilt at some length ({@link DecoderModel#recomputeAt()}), the
 * session keeps every token and re-runs the whole sequence there.
 */
public final class CausalSession implements DecodingSession {
    private final DecoderModel model;
    private final KvCache cache;
    private final int rows;
    private final int promptLength;
    private long[] ids;
    private int[] keyStarts; // per row, the first real key: the prompt's left padding ends there
    private final List<long[]> steps; // the tokens of each step, kept only for a model that rebuilds its cache

    /**
     * Starts a session: the prompts, left-padded to one length, fill a new cache.
     *
     * @param model the decoder that runs each step
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
        keyStarts = new int[rows];
        for (int r = 0; r < rows; r++) {
            long[] p = prompts.get(r);
            int offset = longest - p.length;
            keyStarts[r] = offset;
            for (int j = 0; j < longest; j++) {
                ids[r * longest + j] = j < offset ? pad : p[j - offset];
            }
        }
        int capacity = (int) Math.min((long) longest + newTokens, model.maxPositions());
        this.steps = model.recomputeAt() >= 0 ? new ArrayList<>() : null;
        this.cache = model.newCache(rows, capacity);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public float[][] start() {
        long[] mask = mask(promptLength);
        return run(new DecoderInput(rows, promptLength, ids, mask,
                DecoderInput.positionsFromMask(mask, rows, promptLength)));
    }

    @Override
    public float[][] next(long[] tokens) {
        if (tokens.length != rows) {
            throw new IllegalArgumentException("next needs one token per row (" + rows + "), got " + tokens.length);
        }
        int past = cache.length(), t = past + 1;
        if (steps != null) {
            steps.add(tokens.clone());
            if (past == model.recomputeAt()) {
                cache.truncate(0);
                long[] mask = mask(t);
                return run(new DecoderInput(rows, t, everyToken(t), mask,
                        DecoderInput.positionsFromMask(mask, rows, t)));
            }
        }
        // the new token's position counts the real tokens before it, as positionsFromMask would
        long[] positions = new long[rows];
        for (int r = 0; r < rows; r++) {
            positions[r] = t - 1 - keyStarts[r];
        }
        return run(new DecoderInput(rows, 1, tokens, null, positions, keyStarts));
    }

    /** [rows, t]: 0 over each row's left padding, 1 after it. */
    private long[] mask(int t) {
        long[] mask = new long[rows * t];
        for (int r = 0; r < rows; r++) {
            Arrays.fill(mask, r * t + keyStarts[r], (r + 1) * t, 1L);
        }
        return mask;
    }

    /** [rows, t]: the padded prompts and every step's tokens. */
    private long[] everyToken(int t) {
        long[] all = new long[rows * t];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(ids, r * promptLength, all, r * t, promptLength);
            for (int j = 0; j < steps.size(); j++) {
                all[r * t + promptLength + j] = steps.get(j)[r];
            }
        }
        return all;
    }

    @Override
    public int room() {
        return cache.capacity() - cache.length();
    }

    @Override
    public void reorder(int[] from) {
        cache.reorder(from);
        int[] moved = new int[rows];
        for (int r = 0; r < rows; r++) {
            moved[r] = keyStarts[from[r]];
        }
        keyStarts = moved;
        if (steps != null) {
            long[] prompts = new long[ids.length];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(ids, from[r] * promptLength, prompts, r * promptLength, promptLength);
            }
            ids = prompts;
            for (int j = 0; j < steps.size(); j++) {
                long[] step = steps.get(j), reordered = new long[rows];
                for (int r = 0; r < rows; r++) {
                    reordered[r] = step[from[r]];
                }
                steps.set(j, reordered);
            }
        }
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
