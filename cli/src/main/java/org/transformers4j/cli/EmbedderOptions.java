package org.transformers4j.cli;

import java.util.EnumSet;
import org.transformers4j.backend.Backend;
import org.transformers4j.pipeline.EmbeddingModels;
import org.transformers4j.pipeline.EmbeddingOptions;
import org.transformers4j.pipeline.Pooling;
import org.transformers4j.pipeline.SentenceEmbedder;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The model of embed and similarity and how it embeds: all-MiniLM-L6-v2 without --model; a
 * folder's settings (sentence-transformers' modules.json, or mean pooling for a plain checkpoint)
 * under the options given.
 */
final class EmbedderOptions {
    @Mixin
    ModelOption.Optional model;

    @Option(names = "--pooling", paramLabel = "MODE", converter = PoolingConverter.class,
            description = "cls, mean, max, lasttoken, mean_sqrt_len_tokens or weightedmean (several joined by '+'"
                    + " are concatenated); default: the folder's Pooling module, else mean")
    Pooling pooling;

    @Option(names = "--max-length", paramLabel = "N",
            description = "longest text in tokens, longer ones truncated; default: the folder's max_seq_length,"
                    + " else the model's (all-MiniLM-L6-v2: 256)")
    Integer maxLength;

    @Option(names = "--normalize", negatable = true,
            description = "L2-normalise the vectors, or not; default: whether the folder has a Normalize module"
                    + " (all-MiniLM-L6-v2 has; a folder without modules.json has not)")
    Boolean normalize;

    @Option(names = "--prompt", paramLabel = "NAME",
            description = "put the folder's prompt NAME (config_sentence_transformers.json, e.g. query) before each"
                    + " text; default: its default_prompt_name, else none")
    String prompt;

    /** The options for the library, checked; a bad value is a usage error naming its option. */
    EmbeddingOptions options(CliCommand command) {
        model.check(command);
        if (maxLength != null) {
            command.inRange("--max-length", maxLength, 1, 1 << 20);
        }
        return new EmbeddingOptions(pooling, normalize, maxLength == null ? 0 : maxLength, prompt, null);
    }

    /** The name of the model, for messages. */
    String name() {
        return model.given() ? model.value() : "all-MiniLM-L6-v2";
    }

    /** Loads the embedder, with a progress step. */
    SentenceEmbedder load(CliCommand command, Io io, Backend backend) {
        EmbeddingOptions options = options(command);
        try (Progress p = Progress.start(io, "loading " + name())) {
            return p.done(model.given() ? EmbeddingModels.load(model.dir(), backend, options)
                    : EmbeddingModels.defaultModel(backend, options));
        }
    }

    /** "cls", "mean+max": the modes of sentence-transformers' Pooling module. */
    static final class PoolingConverter implements ITypeConverter<Pooling> {
        @Override
        public Pooling convert(String value) {
            EnumSet<Pooling.Mode> modes = EnumSet.noneOf(Pooling.Mode.class);
            for (String part : value.split("\\+", -1)) {
                try {
                    modes.add(Pooling.Mode.parse(part));
                } catch (IllegalArgumentException e) {
                    throw new TypeConversionException("'" + value + "' is not a pooling mode: " + Pooling.Mode.names()
                            + ", or several joined by '+'");
                }
            }
            return new Pooling(modes, true);
        }
    }
}
