package org.transformers4j.pipeline;

/**
 * What a {@link SentenceEmbedder} does around its model, as a sentence-transformers model does it:
 * the text is the prompt followed by the text, stripped of surrounding whitespace (Python's
 * {@code str.strip}), lowercased when the model says so, tokenized and truncated to maxLength
 * tokens; the last hidden state is pooled, then L2-normalised when normalize is set.
 *
 * @param pooling   how token vectors become one vector
 * @param normalize whether vectors are divided by their L2 norm (a Normalize module)
 * @param maxLength most tokens of a text, special tokens included (sentence-transformers'
 *                  {@code max_seq_length}); 0 leaves the tokenizer's truncation as it is
 * @param prompt    text put before every text ("query: "); empty for none
 * @param lowercase whether texts are lowercased before tokenizing ({@code do_lower_case})
 */
public record EmbeddingSettings(Pooling pooling, boolean normalize, int maxLength, String prompt, boolean lowercase) {
    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public EmbeddingSettings {
        if (pooling == null) {
            throw new IllegalArgumentException("pooling must not be null");
        }
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must be >= 0 (0: the tokenizer's own), got " + maxLength);
        }
        if (prompt == null) {
            throw new IllegalArgumentException("prompt must not be null (empty for none)");
        }
    }

    /**
     * Mean pooling, no prompt, no lowercasing, the tokenizer's truncation; normalised or not.
     *
     * @param normalize whether vectors are L2-normalised
     * @return the settings
     */
    public static EmbeddingSettings mean(boolean normalize) {
        return new EmbeddingSettings(Pooling.MEAN, normalize, 0, "", false);
    }

    /**
     * {@return these settings with another pooling}
     *
     * @param p how token vectors become one vector
     */
    public EmbeddingSettings withPooling(Pooling p) {
        return new EmbeddingSettings(p, normalize, maxLength, prompt, lowercase);
    }

    /**
     * {@return these settings with another normalize}
     *
     * @param n whether vectors are divided by their L2 norm (a Normalize module)
     */
    public EmbeddingSettings withNormalize(boolean n) {
        return new EmbeddingSettings(pooling, n, maxLength, prompt, lowercase);
    }

    /**
     * {@return these settings with another maxLength}
     *
     * @param n most tokens of a text, special tokens included (sentence-transformers'
     *     {@code max_seq_length}); 0 leaves the tokenizer's truncation as it is
     */
    public EmbeddingSettings withMaxLength(int n) {
        return new EmbeddingSettings(pooling, normalize, n, prompt, lowercase);
    }

    /**
     * {@return these settings with another prompt}
     *
     * @param p text put before every text ("query: "); empty for none
     */
    public EmbeddingSettings withPrompt(String p) {
        return new EmbeddingSettings(pooling, normalize, maxLength, p, lowercase);
    }

    /**
     * {@return these settings with another lowercase}
     *
     * @param l whether texts are lowercased before tokenizing ({@code do_lower_case})
     *     /
     */
    public EmbeddingSettings withLowercase(boolean l) {
        return new EmbeddingSettings(pooling, normalize, maxLength, prompt, l);
    }

    /** The settings in words, for messages and logs. */
    @Override
    public String toString() {
        return pooling + " pooling, " + (normalize ? "normalised" : "not normalised")
                + (maxLength > 0 ? ", at most " + maxLength + " tokens" : "")
                + (prompt.isEmpty() ? "" : ", prompt \"" + prompt + "\"") + (lowercase ? ", lowercased" : "");
    }
}
