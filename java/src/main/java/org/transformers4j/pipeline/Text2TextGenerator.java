package org.transformers4j.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Backend;
import org.transformers4j.generation.GeneratedSequence;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.generation.Generator;
import org.transformers4j.generation.TokenListener;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * The text2text-generation pipeline of encoder-decoder models: translation and summarisation are
 * the same call with another checkpoint (and, for T5, a task prefix in the text). Defaults come
 * from the model's generation_config.json. Thread-safe: each call has its own caches.
 */
public final class Text2TextGenerator implements AutoCloseable {
    private final Seq2SeqModel model;
    private final Tokenizer tokenizer;
    private final GenerationConfig defaults;

    public Text2TextGenerator(Seq2SeqModel model, Tokenizer tokenizer, GenerationConfig defaults) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.defaults = defaults;
    }

    /** Loads the model, tokenizer.json and generation_config.json (if present) of a directory. */
    public static Text2TextGenerator load(Path dir, Backend backend) {
        Path tokenizerFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json");
        }
        Seq2SeqModel model = ModelRegistry.loadSeq2Seq(dir, backend);
        try {
            GenerationConfig cfg = GenerationConfig.forModel(model.specialTokens());
            Path gen = dir.resolve("generation_config.json");
            if (Files.isRegularFile(gen)) {
                cfg = cfg.overriddenBy(ModelConfig.read(gen));
            }
            return new Text2TextGenerator(model, Tokenizer.load(tokenizerFile), cfg);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public GenerationConfig defaults() {
        return defaults;
    }

    public Seq2SeqModel model() {
        return model;
    }

    /** One output for one input with the default settings. */
    public TextGenerator.Generation generate(String text) {
        return generate(List.of(text), defaults, null).get(0).get(0);
    }

    /**
     * numReturnSequences outputs per input (best first for beam search); listener (may be null)
     * receives the text as it comes, output number input x numReturnSequences + copy.
     */
    public List<List<TextGenerator.Generation>> generate(List<String> texts, GenerationConfig config,
                                                        TextListener listener) {
        List<long[]> sources = new ArrayList<>();
        for (String t : texts) {
            sources.add(tokenizer.encode(t).ids());
        }
        TokenListener tokens = listener == null ? TokenListener.NONE : new Detokenizer(tokenizer, listener);
        var out = Generator.generate(model, sources, config, t -> tokenizer.decode(t, true), tokens);
        List<List<TextGenerator.Generation>> result = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            List<TextGenerator.Generation> gens = new ArrayList<>();
            for (GeneratedSequence s : out.get(i)) {
                gens.add(new TextGenerator.Generation(texts.get(i), tokenizer.decode(s.tokens(), true), s.tokens(),
                        s.finishReason(), s.score()));
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
