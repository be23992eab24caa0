package org.transformers4j.scheduler;

/**
 * A text's embedding and the tokens it took (for usage reporting).
 *
 * @param vector the embedding, as the embedder computes it (normalised where it normalises)
 * @param tokens tokens of the text, special tokens included, after any truncation
 */
public record Embedding(float[] vector, int tokens) {
}
