package org.transformers4j.pipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.transformers4j.generation.GeneratedSequence;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.generation.TokenListener;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.util.CloseGuard;

/**
 * What the generating pipelines share: a model, its tokenizer and default settings (from
 * generation_config.json); texts in, generated texts out, optionally streamed. Thread-safe: each
 * call has its own caches.
 */
abstract class GenerationPipeline<M extends AutoCloseable> implements AutoCloseable {
    /** A model's search: token ids of the inputs to sequences per input. */
    @FunctionalInterface
    interface Search<M> {
        List<List<GeneratedSequence>> run(M model, List<long[]> inputs, GenerationConfig config,
                                          Function<long[], String> decode, TokenListener listener);
    }

    private final M model;
    private final Tokenizer tokenizer;
    private final GenerationConfig defaults;
    private final Search<M> search;
    private final CloseGuard guard;

    GenerationPipeline(M model, Tokenizer tokenizer, GenerationConfig defaults, Search<M> search) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.defaults = defaults;
        this.search = search;
        this.guard = new CloseGuard(getClass().getSimpleName(), this::release);
    }

    /**
     * Loads tokenizer.json, then the model, then the defaults of a directory (generation_config.json
     * checked against the model's vocabulary); closes what it opened on failure.
     */
    static <M extends AutoCloseable, P> P load(Path dir, Function<Path, M> loadModel,
                                               Function<M, SpecialTokens> special, ToIntFunction<M> vocabSize,
                                               Builder<M, P> build) {
        Tokenizer tokenizer = Tokenizer.inDirectory(dir);
        M model = null;
        try {
            model = loadModel.apply(dir);
            GenerationConfig defaults = GenerationConfig.forModel(special.apply(model), dir, vocabSize.applyAsInt(model));
            return build.build(model, tokenizer, defaults);
        } catch (RuntimeException e) {
            tokenizer.close();
            if (model != null) {
                try {
                    model.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** A pipeline from its parts. */
    @FunctionalInterface
    interface Builder<M, P> {
        P build(M model, Tokenizer tokenizer, GenerationConfig defaults);
    }

    /** {@return the settings used when a call gives none} */
    public GenerationConfig defaults() {
        return defaults;
    }

    /**
     * {@return the model, owned by this pipeline}
     */
    public M model() {
        return model;
    }

    /** {@return the tokenizer of the model's inputs and outputs} */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * {@return one output for one input with the default settings}
     *
     * @param text the prompt or source text
     */
    public Generation generate(String text) {
        return generate(List.of(text), defaults, null).get(0).get(0);
    }

    /**
     * numReturnSequences outputs per input (best first for beam search); listener (may be null)
     * receives the text as it comes, output number input x numReturnSequences + copy.
     *
     * @param texts the prompts or source texts
     * @param config how to generate
     * @param listener receives the text as it comes, or null
     * @return for each text, its outputs
     */
    public List<List<Generation>> generate(List<String> texts, GenerationConfig config, TextListener listener) {
        guard.enter();
        try {
            List<long[]> ids = new ArrayList<>();
            for (String t : texts) {
                ids.add(tokenizer.encode(t).ids());
            }
            TokenListener tokens = listener == null ? TokenListener.NONE : new Detokenizer(tokenizer, listener);
            var out = search.run(model, ids, config, t -> tokenizer.decode(t, true), tokens);
            List<List<Generation>> result = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                List<Generation> gens = new ArrayList<>();
                for (GeneratedSequence s : out.get(i)) {
                    gens.add(new Generation(texts.get(i), tokenizer.decode(s.tokens(), true), s.tokens(), s.finishReason(),
                            s.score()));
                }
                result.add(List.copyOf(gens));
            }
            return result;
        } finally {
            guard.exit();
        }
    }

    /**
     * Closes the model and the tokenizer once the calls in flight have finished; calls after it
     * fail with IllegalStateException. A second close does nothing.
     */
    @Override
    public void close() {
        guard.close();
    }

    private void release() {
        try {
            model.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the model failed", e);
        } finally {
            tokenizer.close();
        }
    }
}
