package org.transformers4j.pipeline;

import java.nio.file.Path;
import org.transformers4j.backend.Backend;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * Sentence embedders from model folders, configured as sentence-transformers configures them
 * ({@link EmbeddingFolder}): its pooling, normalisation, maximum length, lowercasing and prompts,
 * each of which {@link EmbeddingOptions} may override.
 *
 * <pre>{@code
 * try (SentenceEmbedder e = EmbeddingModels.load(Path.of("bge-small-en-v1.5"), backend)) {
 *     float[] v = e.embed("a text");   // CLS pooling, normalised, as the folder says
 * }
 * }</pre>
 */
public final class EmbeddingModels {
    private EmbeddingModels() {
    }

    /**
     * all-MiniLM-L6-v2's sentence-transformers folder as the Hub has it: mean pooling, Normalize, 256 tokens.
     *
     * @return the folder's settings, its files on the class path
     */
    public static EmbeddingFolder miniLmFolder() {
        return new EmbeddingFolder("all-MiniLM-L6-v2", null, true, Pooling.MEAN, 384, true,
                DefaultModels.MINILM_MAX_TOKENS, -1, false, EmbeddingFolder.basePrompts(), null, null);
    }

    /**
     * {@return the embedder of the model in dir, with the folder's settings}
     *
     * @param dir the model folder
     * @param backend where the model runs
     */
    public static SentenceEmbedder load(Path dir, Backend backend) {
        return load(dir, backend, EmbeddingOptions.defaults());
    }

    /**
     * The embedder of the model in dir (a sentence-transformers folder or a plain checkpoint
     * folder with tokenizer.json), with the folder's settings under options. Bad files, modules
     * this library does not run and options that do not fit are refused before the weights load
     * where they can be.
     *
     * @param dir the model folder
     * @param backend where the model runs
     * @param options what the caller sets over the folder's settings
     * @return the embedder, which owns the model and the tokenizer
     */
    public static SentenceEmbedder load(Path dir, Backend backend, EmbeddingOptions options) {
        EmbeddingFolder folder = EmbeddingFolder.read(dir);
        check(folder, options);
        Tokenizer tokenizer = Tokenizer.inDirectory(folder.transformer());
        EncoderModel model;
        try {
            model = ModelRegistry.loadEncoder(folder.transformer(), backend);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        return embedder(model, tokenizer, folder, options);
    }

    /**
     * all-MiniLM-L6-v2 (the default model) with its settings under options.
     *
     * @param backend where the model runs
     * @param options what the caller sets over the model's settings
     * @return the embedder, which owns the model and the tokenizer
     */
    public static SentenceEmbedder defaultModel(Backend backend, EmbeddingOptions options) {
        EmbeddingFolder folder = miniLmFolder();
        check(folder, options);
        EncoderModel model = DefaultModels.miniLm(backend);
        Tokenizer tokenizer;
        try {
            tokenizer = DefaultModels.miniLmTokenizer();
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return embedder(model, tokenizer, folder, options);
    }

    /**
     * An embedder of a model and tokenizer loaded already, with the folder's settings under
     * options; it takes both over, and closes both when it cannot be made.
     *
     * @param model the encoder
     * @param tokenizer its tokenizer
     * @param folder the folder's settings
     * @param options what the caller sets over them
     * @return the embedder, which owns the model and the tokenizer
     */
    public static SentenceEmbedder embedder(EncoderModel model, Tokenizer tokenizer, EmbeddingFolder folder,
                                            EmbeddingOptions options) {
        try {
            return new SentenceEmbedder(model, tokenizer, settings(folder, options, model.hiddenSize(),
                    model.maxPositions()));
        } catch (RuntimeException e) {
            try {
                model.close();
            } finally {
                tokenizer.close();
            }
            throw e;
        }
    }

    /** What can be checked before the weights load: that the prompt named is one of the folder's. */
    private static void check(EmbeddingFolder folder, EmbeddingOptions options) {
        if (options.promptName() != null) {
            folder.prompt(options.promptName());
        }
    }

    /**
     * The settings of folder under options for a model of hidden size c and maxPositions
     * positions. The length is the option's, else the folder's max_seq_length, else the smaller
     * of the model's positions and tokenizer_config.json's model_max_length (as
     * sentence-transformers infers it); one longer than the model's positions is refused.
     *
     * @param folder the folder's settings
     * @param options what the caller sets over them
     * @param c C, the model's hidden size
     * @param maxPositions the model's positions
     * @return the settings
     */
    public static EmbeddingSettings settings(EmbeddingFolder folder, EmbeddingOptions options, int c, int maxPositions) {
        if (folder.wordEmbeddingDimension() > 0 && folder.wordEmbeddingDimension() != c) {
            throw new IllegalArgumentException(folder.source() + ": the Pooling module's word_embedding_dimension is "
                    + folder.wordEmbeddingDimension() + " but the model's hidden size is " + c);
        }
        Pooling pooling = folder.pooling() == null ? Pooling.MEAN : folder.pooling();
        if (options.pooling() != null) {
            pooling = folder.pooling() == null ? options.pooling()
                    : options.pooling().withIncludePrompt(folder.pooling().includePrompt());
        }
        boolean normalize = options.normalize() != null ? options.normalize() : folder.normalize();
        String prompt = options.prompt() != null ? options.prompt() : folder.prompt(options.promptName());
        return new EmbeddingSettings(pooling, normalize, maxLength(folder, options, maxPositions), prompt,
                folder.lowercase());
    }

    private static int maxLength(EmbeddingFolder folder, EmbeddingOptions options, int maxPositions) {
        if (options.maxLength() > 0) {
            if (options.maxLength() > maxPositions) {
                throw new IllegalArgumentException("a maximum length of " + options.maxLength() + " tokens is more than"
                        + " the " + maxPositions + " positions of " + folder.source());
            }
            return options.maxLength();
        }
        if (folder.maxSeqLength() > 0) {
            if (folder.maxSeqLength() > maxPositions) {
                throw new IllegalArgumentException(folder.source() + ": max_seq_length " + folder.maxSeqLength()
                        + " is more than the model's " + maxPositions + " positions; give a maximum length of at most "
                        + maxPositions);
            }
            return folder.maxSeqLength();
        }
        return folder.tokenizerMaxLength() > 0 ? Math.min(maxPositions, folder.tokenizerMaxLength()) : maxPositions;
    }
}
