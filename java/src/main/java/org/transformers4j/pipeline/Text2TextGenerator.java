package org.transformers4j.pipeline;

import java.nio.file.Path;
import org.transformers4j.backend.Backend;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.generation.Generator;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * The text2text-generation pipeline of encoder-decoder models (BART, Marian, mBART, Pegasus, T5,
 * mT5): translation and summarisation are the same call with another checkpoint (and, for T5, a
 * task prefix in the text). Thread-safe.
 */
public final class Text2TextGenerator extends GenerationPipeline<Seq2SeqModel> {

    /**
     * A pipeline over a loaded model; takes the model and the tokenizer over (close frees them).
     *
     * @param model the model
     * @param tokenizer its tokenizer
     * @param defaults the generation settings of a call that gives none
     */
    public Text2TextGenerator(Seq2SeqModel model, Tokenizer tokenizer, GenerationConfig defaults) {
        super(model, tokenizer, defaults, Generator::generate);
    }

    /**
     * Loads the model, tokenizer.json and generation_config.json (if present) of a directory.
     *
     * @param dir a Hugging Face model folder (config.json, weights, tokenizer.json)
     * @param backend where the model runs
     * @return the pipeline, which owns the model and the tokenizer
     */
    public static Text2TextGenerator load(Path dir, Backend backend) {
        return load(dir, d -> ModelRegistry.loadSeq2Seq(d, backend), Seq2SeqModel::specialTokens, Seq2SeqModel::vocabSize,
                Text2TextGenerator::new);
    }
}
