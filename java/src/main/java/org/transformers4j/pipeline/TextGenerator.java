package org.transformers4j.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Backend;
import org.transformers4j.generation.FinishReason;
import org.transformers4j.generation.GeneratedSequence;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.generation.Generator;
import org.transformers4j.generation.TokenListener;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * The text-generation pipeline: prompts in, continuations out, optionally streamed as text while
 * they are generated. Defaults come from the model's generation_config.json. Thread-safe: each
 * call has its own KV cache.
 */
public final class TextGenerator implements AutoCloseable {
    /** One continuation: its text (without the prompt), its tokens and why it ended. */
    public record Generation(String prompt, String text, long[] tokens, FinishReason finishReason, double score) {
    }

    private final DecoderModel model;
    private final Tokenizer tokenizer;
    private final GenerationConfig defaults;

    public TextGenerator(DecoderModel model, Tokenizer tokenizer, GenerationConfig defaults) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.defaults = defaults;
    }

    /** Loads the model, tokenizer.json and generation_config.json (if present) of a directory. */
    public static TextGenerator load(Path dir, Backend backend) {
        Path tokenizerFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json");
        }
        DecoderModel model = ModelRegistry.loadDecoder(dir, backend);
        try {
            GenerationConfig cfg = GenerationConfig.forModel(model.specialTokens());
            Path gen = dir.resolve("generation_config.json");
            if (Files.isRegularFile(gen)) {
                cfg = cfg.overriddenBy(ModelConfig.read(gen));
            }
            return new TextGenerator(model, Tokenizer.load(tokenizerFile), cfg);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The settings used when a call gives none. */
    public GenerationConfig defaults() {
        return defaults;
    }

    public DecoderModel model() {
        return model;
    }

    /** Continues one prompt with the default settings. */
    public Generation generate(String prompt) {
        return generate(List.of(prompt), defaults, null).get(0).get(0);
    }

    /**
     * Continues each prompt (numReturnSequences continuations each, best first for beam search);
     * listener (may be null) receives the text as it comes, continuation number
     * prompt x numReturnSequences + copy.
     */
    public List<List<Generation>> generate(List<String> prompts, GenerationConfig config, TextListener listener) {
        List<long[]> ids = new ArrayList<>();
        for (String p : prompts) {
            ids.add(tokenizer.encode(p).ids());
        }
        TokenListener tokens = listener == null ? TokenListener.NONE : new Detokenizer(tokenizer, listener);
        var out = Generator.generate(model, ids, config, t -> tokenizer.decode(t, true), tokens);
        List<List<Generation>> result = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            List<Generation> gens = new ArrayList<>();
            for (GeneratedSequence s : out.get(i)) {
                gens.add(new Generation(prompts.get(i), tokenizer.decode(s.tokens(), true), s.tokens(), s.finishReason(),
                        s.score()));
            }
            result.add(List.copyOf(gens));
        }
        return result;
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
