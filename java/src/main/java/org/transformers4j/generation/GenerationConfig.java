package org.transformers4j.generation;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;

/**
 * How to generate, with the meaning and defaults of Hugging Face's GenerationConfig. Change
 * settings with {@link #toBuilder()} or the with* shortcuts.
 *
 * @param maxNewTokens tokens to generate at most; 0 = derive from maxLength (default 20)
 * @param maxLength prompt and new tokens together at most, used when maxNewTokens is 0
 * @param minNewTokens end-of-sequence tokens are suppressed until this many are generated
 * @param minLength end-of-sequence tokens are suppressed until prompt + new tokens reach this
 * @param doSample sample from the distribution instead of taking the most likely token
 * @param temperature divides the logits when sampling; 0 means greedy
 * @param topK when sampling, keep the k most likely tokens (0 = all; default 50)
 * @param topP when sampling, keep the smallest set of most likely tokens whose probability reaches p
 * @param repetitionPenalty divides positive (multiplies negative) logits of tokens already in the sequence
 * @param noRepeatNgramSize if &gt; 0, no n-gram of this size occurs twice in a sequence
 * @param numBeams beam search with this many beams when above 1
 * @param numReturnSequences sequences returned per prompt (at most numBeams with beam search)
 * @param lengthPenalty beam scores are divided by (new tokens)^lengthPenalty
 * @param earlyStopping when beam search stops: as soon as numBeams hypotheses finish, by a heuristic, or never
 * @param eosTokenIds tokens that end a sequence (empty: none)
 * @param padTokenId fills prompts on the left and finished sequences (-1: the first eos, else 0)
 * @param decoderStartTokenId where encoder-decoder generation starts (-1: the model's)
 * @param forcedBosTokenId the first generated token of an encoder-decoder model, or -1
 * @param forcedEosTokenId the token forced at the last step (max length), or -1
 * @param suppressTokens tokens never generated (bad_words_ids of one token, suppress_tokens)
 * @param stopStrings a sequence ends once its generated text contains one of these
 * @param seed seeds the random source of sampling
 */
public record GenerationConfig(int maxNewTokens, int maxLength, int minNewTokens, int minLength, boolean doSample,
                               double temperature, int topK, double topP, double repetitionPenalty,
                               int noRepeatNgramSize, int numBeams, int numReturnSequences, double lengthPenalty,
                               EarlyStopping earlyStopping, List<Long> eosTokenIds, long padTokenId,
                               long decoderStartTokenId, long forcedBosTokenId, long forcedEosTokenId,
                               List<Long> suppressTokens, List<String> stopStrings, long seed) {

    /** Beam search stopping: Hugging Face's early_stopping true, false, "never". */
    public enum EarlyStopping { TRUE, FALSE, NEVER }

    /**
     * The most beams (and sequences returned per prompt): each beam holds a row of the KV cache
     * for the whole context (64 rows of a 1B model's 2,048 positions are 8 GiB) and every step
     * ranks beams x vocabulary candidates, while beam search gains little past a handful of beams.
     */
    public static final int MAX_BEAMS = 64;

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        suppressTokens = List.copyOf(suppressTokens);
        stopStrings = List.copyOf(stopStrings);
    }

    /** Hugging Face's defaults (greedy, no end-of-sequence token), with 20 new tokens. */
    public static GenerationConfig defaults() {
        return new Builder().build();
    }

    /** {@return the defaults with the model's end-of-sequence, padding and decoder start tokens} */
    public static GenerationConfig forModel(SpecialTokens special) {
        return defaults().toBuilder().eos(special.eos()).pad(special.pad()).decoderStart(special.decoderStart()).build();
    }

    /**
     * The model's tokens overridden by the generation_config.json of its directory, if there is
     * one, without a vocabulary check (see {@link #forModel(SpecialTokens, Path, int)}).
     */
    public static GenerationConfig forModel(SpecialTokens special, Path dir) {
        return forModel(special, dir, Integer.MAX_VALUE);
    }

    /**
     * The model's tokens overridden by the generation_config.json of its directory, if there is
     * one: every key checked for type and range, every token id against the vocabulary of
     * vocabSize tokens; errors are IllegalArgumentExceptions naming the file and the key.
     */
    public static GenerationConfig forModel(SpecialTokens special, Path dir, int vocabSize) {
        GenerationConfig cfg = forModel(special);
        Path file = dir.resolve("generation_config.json");
        return Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? GenerationConfigFile.read(file, cfg, vocabSize) : cfg;
    }

    /**
     * These settings overridden by generation_config.json text (see {@link #overriddenBy}); source
     * names it in messages, token ids must be below vocabSize.
     */
    public GenerationConfig overriddenBy(String json, String source, int vocabSize) {
        return GenerationConfigFile.parse(json, source, this, vocabSize);
    }

    /** {@return a builder holding these settings} */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * These settings overridden by the keys of a generation_config.json (max_new_tokens,
     * max_length, min_new_tokens, min_length, do_sample, temperature, top_k, top_p,
     * repetition_penalty, no_repeat_ngram_size, num_beams, num_return_sequences, length_penalty,
     * early_stopping, eos_token_id, pad_token_id, decoder_start_token_id, forced_bos_token_id,
     * forced_eos_token_id, bad_words_ids of single tokens, suppress_tokens, stop_strings), each
     * checked for type and range; keys of generation methods not implemented here are refused
     * unless neutral. Errors name the file and the key.
     */
    public GenerationConfig overriddenBy(ModelConfig g) {
        return overriddenBy(g.json().toString(), g.source(), Integer.MAX_VALUE);
    }

    /** Throws IllegalArgumentException naming the first setting out of range. */
    public GenerationConfig validate() {
        require(maxNewTokens >= 1 || (maxNewTokens == 0 && maxLength >= 1),
                "maxNewTokens must be >= 1 (or 0 with maxLength >= 1), got " + maxNewTokens);
        require(maxLength >= 0, "maxLength must be >= 0, got " + maxLength);
        require(minLength >= 0, "minLength must be >= 0, got " + minLength);
        require(minNewTokens >= 0 && (maxNewTokens == 0 || minNewTokens <= maxNewTokens),
                "minNewTokens must be in [0, maxNewTokens = " + maxNewTokens + "], got " + minNewTokens);
        require(Double.isFinite(temperature) && temperature >= 0, "temperature must be finite and >= 0, got " + temperature);
        require(topK >= 0, "topK must be >= 0, got " + topK);
        require(topP > 0 && topP <= 1, "topP must be in (0, 1], got " + topP);
        require(Double.isFinite(repetitionPenalty) && repetitionPenalty > 0,
                "repetitionPenalty must be finite and > 0, got " + repetitionPenalty);
        require(noRepeatNgramSize >= 0, "noRepeatNgramSize must be >= 0, got " + noRepeatNgramSize);
        require(numBeams >= 1 && numBeams <= MAX_BEAMS, "numBeams must be in [1, " + MAX_BEAMS + "] (each beam "
                + "holds a KV cache row for the whole context), got " + numBeams);
        require(numReturnSequences >= 1 && numReturnSequences <= MAX_BEAMS, "numReturnSequences must be in [1, "
                + MAX_BEAMS + "] (each holds a KV cache row for the whole context), got " + numReturnSequences);
        require(numBeams == 1 || numReturnSequences <= numBeams,
                "numReturnSequences (" + numReturnSequences + ") must not exceed numBeams (" + numBeams + ")");
        require(numBeams > 1 || doSample || numReturnSequences == 1,
                "greedy search returns one sequence per prompt; numReturnSequences " + numReturnSequences
                        + " needs sampling or beam search");
        require(numBeams == 1 || !doSample, "beam search with sampling is not supported; set doSample false or numBeams 1");
        require(Double.isFinite(lengthPenalty), "lengthPenalty must be finite, got " + lengthPenalty);
        for (String s : stopStrings) {
            require(s != null && !s.isEmpty(), "stop strings must not be empty");
        }
        requireIds(Long.MAX_VALUE, "");
        return this;
    }

    /**
     * Throws IllegalArgumentException naming the first token id (eos, pad, decoder start, forced
     * first or last, suppressed) outside the vocabulary [0, vocabSize) of model (which names it).
     * An unset id (-1) passes. Without this, an id past the vocabulary is never generated and a
     * forced one forces nothing: every score becomes -infinity and token 0 wins.
     */
    public GenerationConfig requireVocabulary(int vocabSize, String model) {
        return requireIds(vocabSize, " of the " + vocabSize + "-token vocabulary of " + model);
    }

    private GenerationConfig requireIds(long vocab, String of) {
        for (long id : eosTokenIds) {
            requireId("eosTokenIds", id, vocab, of, false);
        }
        for (long id : suppressTokens) {
            requireId("suppressTokens", id, vocab, of, false);
        }
        requireId("padTokenId", padTokenId, vocab, of, true);
        requireId("decoderStartTokenId", decoderStartTokenId, vocab, of, true);
        requireId("forcedBosTokenId", forcedBosTokenId, vocab, of, true);
        requireId("forcedEosTokenId", forcedEosTokenId, vocab, of, true);
        return this;
    }

    private static void requireId(String name, long id, long vocab, String of, boolean unset) {
        require((unset && id == -1) || (id >= 0 && id < vocab), name + " " + id + " is outside [0, "
                + (vocab == Long.MAX_VALUE ? "..." : vocab) + ")" + of + (unset ? " (-1 for none)" : ""));
    }

    /**
     * These settings for prompts of the given (padded) length: maxNewTokens and minNewTokens made
     * concrete from maxLength and minLength where those apply.
     */
    public GenerationConfig forPromptLength(int promptLength) {
        int max = maxNewTokens > 0 ? maxNewTokens : maxLength - promptLength;
        if (max < 1) {
            throw new IllegalArgumentException("maxLength " + maxLength + " leaves no room after a prompt of "
                    + promptLength + " tokens; set maxNewTokens");
        }
        int min = Math.min(max, Math.max(minNewTokens, minLength - promptLength));
        return toBuilder().maxNewTokens(max).minNewTokens(min).build();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** {@return the pad id to use: padTokenId, else the first eos, else 0 (as Hugging Face falls back to eos)} */
    public long effectivePad() {
        return padTokenId >= 0 ? padTokenId : eosTokenIds.isEmpty() ? 0 : eosTokenIds.get(0);
    }

    public GenerationConfig withMaxNewTokens(int n) {
        return toBuilder().maxNewTokens(n).build();
    }

    public GenerationConfig withMinNewTokens(int n) {
        return toBuilder().minNewTokens(n).build();
    }

    /** Sampling with a temperature, top-k and top-p. */
    public GenerationConfig withSampling(double temp, int k, double p) {
        return toBuilder().doSample(true).temperature(temp).topK(k).topP(p).build();
    }

    /** Greedy (or beam) search instead of sampling. */
    public GenerationConfig withoutSampling() {
        return toBuilder().doSample(false).build();
    }

    public GenerationConfig withRepetitionPenalty(double penalty) {
        return toBuilder().repetitionPenalty(penalty).build();
    }

    /** Beam search settings. */
    public GenerationConfig withBeams(int beams, int returned, double lengthPen, EarlyStopping stop) {
        return toBuilder().beams(beams).numReturnSequences(returned).lengthPenalty(lengthPen).earlyStopping(stop)
                .build();
    }

    public GenerationConfig withNumReturnSequences(int n) {
        return toBuilder().numReturnSequences(n).build();
    }

    public GenerationConfig withEos(List<Long> ids) {
        return toBuilder().eos(ids).build();
    }

    public GenerationConfig withPad(long id) {
        return toBuilder().pad(id).build();
    }

    public GenerationConfig withStopStrings(List<String> strings) {
        return toBuilder().stopStrings(strings).build();
    }

    public GenerationConfig withSeed(long s) {
        return toBuilder().seed(s).build();
    }

    /** Mutable settings for {@link GenerationConfig}; every setter returns the builder. */
    public static final class Builder {
        private int maxNewTokens = 20, maxLength, minNewTokens, minLength, topK = 50, noRepeatNgramSize;
        private int numBeams = 1, numReturnSequences = 1;
        private boolean doSample;
        private double temperature = 1.0, topP = 1.0, repetitionPenalty = 1.0, lengthPenalty = 1.0;
        private EarlyStopping earlyStopping = EarlyStopping.FALSE;
        private List<Long> eos = List.of(), suppress = List.of();
        private long pad = -1, decoderStart = -1, forcedBos = -1, forcedEos = -1, seed;
        private List<String> stopStrings = List.of();

        public Builder() {
        }

        Builder(GenerationConfig c) {
            maxNewTokens = c.maxNewTokens;
            maxLength = c.maxLength;
            minNewTokens = c.minNewTokens;
            minLength = c.minLength;
            doSample = c.doSample;
            temperature = c.temperature;
            topK = c.topK;
            topP = c.topP;
            repetitionPenalty = c.repetitionPenalty;
            noRepeatNgramSize = c.noRepeatNgramSize;
            numBeams = c.numBeams;
            numReturnSequences = c.numReturnSequences;
            lengthPenalty = c.lengthPenalty;
            earlyStopping = c.earlyStopping;
            eos = c.eosTokenIds;
            pad = c.padTokenId;
            decoderStart = c.decoderStartTokenId;
            forcedBos = c.forcedBosTokenId;
            forcedEos = c.forcedEosTokenId;
            suppress = c.suppressTokens;
            stopStrings = c.stopStrings;
            seed = c.seed;
        }

        public Builder maxNewTokens(int v) {
            maxNewTokens = v;
            return this;
        }

        public Builder maxLength(int v) {
            maxLength = v;
            return this;
        }

        public Builder minNewTokens(int v) {
            minNewTokens = v;
            return this;
        }

        public Builder minLength(int v) {
            minLength = v;
            return this;
        }

        public Builder doSample(boolean v) {
            doSample = v;
            return this;
        }

        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        public Builder topK(int v) {
            topK = v;
            return this;
        }

        public Builder topP(double v) {
            topP = v;
            return this;
        }

        public Builder repetitionPenalty(double v) {
            repetitionPenalty = v;
            return this;
        }

        public Builder noRepeatNgramSize(int v) {
            noRepeatNgramSize = v;
            return this;
        }

        public Builder beams(int v) {
            numBeams = v;
            return this;
        }

        public Builder numReturnSequences(int v) {
            numReturnSequences = v;
            return this;
        }

        public Builder lengthPenalty(double v) {
            lengthPenalty = v;
            return this;
        }

        public Builder earlyStopping(EarlyStopping v) {
            earlyStopping = v;
            return this;
        }

        public Builder eos(List<Long> v) {
            eos = v;
            return this;
        }

        public Builder pad(long v) {
            pad = v;
            return this;
        }

        public Builder decoderStart(long v) {
            decoderStart = v;
            return this;
        }

        public Builder forcedBos(long v) {
            forcedBos = v;
            return this;
        }

        public Builder forcedEos(long v) {
            forcedEos = v;
            return this;
        }

        public Builder suppress(List<Long> v) {
            suppress = v;
            return this;
        }

        public Builder stopStrings(List<String> v) {
            stopStrings = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public GenerationConfig build() {
            return new GenerationConfig(maxNewTokens, maxLength, minNewTokens, minLength, doSample, temperature, topK,
                    topP, repetitionPenalty, noRepeatNgramSize, numBeams, numReturnSequences, lengthPenalty,
                    earlyStopping, eos, pad, decoderStart, forcedBos, forcedEos, suppress, stopStrings, seed);
        }
    }
}
