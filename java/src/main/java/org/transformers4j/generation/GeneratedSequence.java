package org.transformers4j.generation;

/**
 * One generated sequence.
 *
 * @param prompt the prompt's token ids (without padding)
 * @param tokens the new tokens, an end-of-sequence token included when it ended with one
 * @param score the beam score (sum of log-probabilities over length^penalty) for beam search, NaN otherwise
 * @param finishReason why it ended
 */
public record GeneratedSequence(long[] prompt, long[] tokens, double score, FinishReason finishReason) {

    /** {@return the prompt and the new tokens} */
    public long[] allTokens() {
        long[] all = new long[prompt.length + tokens.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(tokens, 0, all, prompt.length, tokens.length);
        return all;
    }
}
