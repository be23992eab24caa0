package org.transformers4j.pipeline;

import java.nio.file.Path;
import org.transformers4j.backend.Backend;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.generation.Generator;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * The text-generation pipeline of decoder-only models (GPT-2, GPT-Neo, Llama): prompts in,
 * continuations out, optionally streamed as text while they are generated. Thread-safe.
 */
public final class TextGenerator extends GenerationPipeline<DecoderModel> {

    /**
     * A pipeline over a loaded model; takes the model and the tokenizer over (close frees them).
     *
     * @param model the model
     * @param tokenizer its tokenizer
     * @param defaults the generation settings of a call that gives none
     */
    public TextGenerator(DecoderModel model, Tokenizer tokenizer, GenerationConfig defaults) {
        super(model, tokenizer, defaults, Generator::generate);
    }

    /**
     * Loads the model, tokenizer.json and generation_config.json (if present) of a directory.
     *
     * @param dir a Hugging Face model folder (config.json, weights, tokenizer.json)
     * @param backend where the model runs
     * @return the pipeline, which owns the model and the tokenizer
     */
    public static TextGenerator load(Path dir, Backend backend) {
        return load(dir, d -> ModelRegistry.loadDecoder(d, backend), DecoderModel::specialTokens, DecoderModel::vocabSize,
                TextGenerator::new);
    }
}
