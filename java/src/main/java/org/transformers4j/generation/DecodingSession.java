package org.transformers4j.generation;

/**
 * A model holding the state of a batch of sequences being generated (its KV caches): the search
 * strategies feed it one token per row and read the next logits.
 */
public interface DecodingSession extends AutoCloseable {
    /** {@return rows in the batch} */
    int rows();

    /** {@return logits [rows][V] for the token after each prompt; called once, first} */
    float[][] start();

    /**
     * Appends one token per row and returns the logits [rows][V] for the token after it.
     *
     * @param tokens one token per row
     * @return the logits [rows][V]
     */
    float[][] next(long[] tokens);

    /** {@return how many more tokens {@link #next} can take before the model's context is full} */
    int room();

    /**
     * Row i continues what row from[i] held (beam search).
     *
     * @param from for each row, the row it continues
     */
    void reorder(int[] from);

    @Override
    void close();
}
