package org.transformers4j.generation;

import java.util.Arrays;
import java.util.List;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.Seq2SeqCache;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.tensor.TensorArena;

/**
 * An encoder-decoder model generating for a batch: the sources are encoded once (right-padded to
 * one length, the padding masked), each row's decoder starts from the decoder start token and
 * attends to its source's encoder output through keys and values computed once.
 */
public final class Seq2SeqSession implements DecodingSession {
    /**
     * The target positions given to a decoder without a position limit (T5's relative
     * positions): the cache is allocated whole before the first step, so it needs a bound;
     * generation stops there with {@link FinishReason#CONTEXT_LIMIT}. Eight times the 512
     * positions T5 was trained on.
     */
    public static final int UNBOUNDED_TARGET_LIMIT = 4096;
    /**
     * More target positions than this means the decoder has no table of positions (T5's limit is
     * what its position bias can hold, about a million), not a context it was trained for.
     */
    private static final int POSITION_TABLE_LIMIT = 1 << 16;

    private final Seq2SeqModel model;
    private final Seq2SeqCache cache;
    private final int rows;
    private final long start;

    /**
     * Starts a session: the sources are encoded once, and each row starts decoding from the start token.
     *
     * @param model the encoder-decoder that runs each step
     * @param sources the source token ids, one per prompt
     * @param sourceOfRow which source each row decodes
     * @param pad the token that fills the right of shorter sources
     * @param start the decoder's start token
     * @param newTokens tokens the session must be able to take after the start token
     */
    public Seq2SeqSession(Seq2SeqModel model, List<long[]> sources, int[] sourceOfRow, long pad, long start,
                          int newTokens) {
        this.model = model;
        this.rows = sourceOfRow.length;
        this.start = start;
        int longest = sources.stream().mapToInt(s -> s.length).max().orElse(0);
        if (longest == 0) {
            throw new IllegalArgumentException("every source is empty");
        }
        long[] ids = new long[rows * longest], mask = new long[rows * longest];
        for (int r = 0; r < rows; r++) {
            long[] s = sources.get(sourceOfRow[r]);
            for (int j = 0; j < longest; j++) {
                ids[r * longest + j] = j < s.length ? s[j] : pad;
                mask[r * longest + j] = j < s.length ? 1 : 0;
            }
        }
        int limit = model.maxTargetPositions() > POSITION_TABLE_LIMIT ? UNBOUNDED_TARGET_LIMIT : model.maxTargetPositions();
        int capacity = (int) Math.min(1L + newTokens, limit);
        this.cache = model.encodeToCache(new EncoderInput(rows, longest, ids, mask, null), capacity);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public float[][] start() {
        long[] first = new long[rows];
        Arrays.fill(first, start);
        return next(first);
    }

    @Override
    public float[][] next(long[] tokens) {
        if (tokens.length != rows) {
            throw new IllegalArgumentException("next needs one token per row (" + rows + "), got " + tokens.length);
        }
        try (TensorArena out = TensorArena.confined()) {
            return CausalSession.byRow(model.decodeStep(DecoderInput.of(rows, 1, tokens), cache, out), rows);
        }
    }

    @Override
    public int room() {
        return cache.self().capacity() - cache.self().length();
    }

    @Override
    public void reorder(int[] from) {
        cache.reorder(from);
    }

    @Override
    public void close() {
        cache.close();
    }
}
