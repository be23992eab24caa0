package org.transformers4j.generation;

/**
 * Receives tokens as they are generated (greedy search and sampling): sequence is the index of
 * the prompt (times numReturnSequences, plus the copy) in the batch. Beam search calls it once per
 * token of each prompt's best sequence when the search ends, since beams change until then.
 */
@FunctionalInterface
public interface TokenListener {
    /**
     * Receives the next token of an output.
     *
     * @param sequence the output's number
     * @param token the token id
     */
    void onToken(int sequence, long token);

    /** A listener that ignores every token. */
    TokenListener NONE = (sequence, token) -> {
    };
}
