package org.transformers4j.tokenizer;

/**
 * One tokenized text (or text pair).
 *
 * @param ids token ids
 * @param typeIds segment ids (0 for the first text, 1 for the pair)
 * @param tokens token strings
 * @param starts for each token, the index in the input string (UTF-16, as String.substring
 *     takes) where its text starts; special tokens have start == end == 0
 * @param ends for each token, one past the index where its text ends
 * @param specialTokens for each token, whether the template added it ([CLS], &lt;/s&gt;, ...)
 * @param sequence for each token, 0 if it comes from the text, 1 from the pair, -1 if special
 * @param wordIds for each token, the index of the word (as the pre-tokenizer splits words) it
 *     belongs to within its sequence, -1 for special tokens
 */
public record Encoding(long[] ids, long[] typeIds, String[] tokens, int[] starts, int[] ends, boolean[] specialTokens,
                       int[] sequence, int[] wordIds) {

    /**
     * {@return the number of tokens}
     */
    public int length() {
        return ids.length;
    }
}
