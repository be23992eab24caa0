package org.transformers4j.pipeline;

/**
 * What a caller sets over a model folder's embedding settings ({@link EmbeddingFolder}); each
 * field left unset (null, or 0 for maxLength) keeps the folder's.
 *
 * @param pooling    the pooling modes instead of the folder's (its include_prompt is kept)
 * @param normalize  whether vectors are L2-normalised, instead of whether the folder has a Normalize module
 * @param maxLength  most tokens of a text instead of the folder's max_seq_length (0: the folder's)
 * @param promptName the prompt of the folder to put before each text instead of its default prompt
 * @param prompt     a prompt text of one's own instead (not with promptName)
 */
public record EmbeddingOptions(Pooling pooling, Boolean normalize, int maxLength, String promptName, String prompt) {
    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public EmbeddingOptions {
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must be >= 0 (0: the folder's), got " + maxLength);
        }
        if (promptName != null && prompt != null) {
            throw new IllegalArgumentException("give a prompt name or a prompt text, not both (got '" + promptName
                    + "' and \"" + prompt + "\")");
        }
    }

    /**
     * Everything as the folder says.
     *
     * @return the options
     */
    public static EmbeddingOptions defaults() {
        return new EmbeddingOptions(null, null, 0, null, null);
    }

    /**
     * {@return these settings with another pooling}
     *
     * @param mode the pooling modes instead of the folder's (its include_prompt is kept)
     */
    public EmbeddingOptions withPooling(Pooling.Mode mode) {
        return new EmbeddingOptions(Pooling.of(mode), normalize, maxLength, promptName, prompt);
    }

    /**
     * {@return these settings with another pooling}
     *
     * @param p the pooling modes instead of the folder's (its include_prompt is kept)
     */
    public EmbeddingOptions withPooling(Pooling p) {
        return new EmbeddingOptions(p, normalize, maxLength, promptName, prompt);
    }

    /**
     * {@return these settings with another normalize}
     *
     * @param n whether vectors are L2-normalised, instead of whether the folder has a Normalize module
     */
    public EmbeddingOptions withNormalize(Boolean n) {
        return new EmbeddingOptions(pooling, n, maxLength, promptName, prompt);
    }

    /**
     * {@return these settings with another maxLength}
     *
     * @param n most tokens of a text instead of the folder's max_seq_length (0: the folder's)
     */
    public EmbeddingOptions withMaxLength(int n) {
        return new EmbeddingOptions(pooling, normalize, n, promptName, prompt);
    }

    /**
     * {@return these settings with another promptName}
     *
     * @param name the prompt of the folder to put before each text instead of its default prompt
     */
    public EmbeddingOptions withPromptName(String name) {
        return new EmbeddingOptions(pooling, normalize, maxLength, name, prompt);
    }

    /**
     * {@return these settings with another prompt}
     *
     * @param text a prompt text of one's own instead (not with promptName)
     *     /
     */
    public EmbeddingOptions withPrompt(String text) {
        return new EmbeddingOptions(pooling, normalize, maxLength, promptName, text);
    }
}
