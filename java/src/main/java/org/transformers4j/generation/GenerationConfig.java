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
    public enum EarlyStopping {
        /** Stop as soon as numBeams hypotheses are finished. */
        TRUE,
        /** Stop when a better hypothesis is unlikely to be found (transformers' heuristic). */
        FALSE,
        /** Run until no better hypothesis can be found. */
        NEVER
    }

    /**
     * The most beams (and sequences returned per prompt): each beam holds a row of the KV cache
     * for the whole context (64 rows of a 1B model's 2,048 positions are 8 GiB) and every step
     * ranks beams x vocabulary candidates, while beam search gains little past a handful of beams.
     */
    public static final int MAX_BEAMS = 64;

    /** The lists are copied: the settings cannot change underneath a running generation. */
    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        suppressTokens = List.copyOf(suppressTokens);
        stopStrings = List.copyOf(stopStrings);
    }

    /**
     * {@return Hugging Face's defaults (greedy, no end-of-sequence token), with 20 new tokens}
     */
    public static GenerationConfig defaults() {
        return new Builder().build();
    }

    /**
     * {@return the defaults with the model's end-of-sequence, padding and decoder start tokens}
     *
     * @param special the model's special tokens
     */
    public static GenerationConfig forModel(SpecialTokens special) {
        return defaults().toBuilder().eos(special.eos()).pad(special.pad()).decoderStart(special.decoderStart()).build();
    }

    /**
     * The model's tokens overridden by the generation_config.json of its directory, if there is
     * one, without a vocabulary check (see {@link #forModel(SpecialTokens, Path, int)}).
     *
     * @param special the model's special tokens
     * @param dir the model directory
     * @return the settings
     */
    public static GenerationConfig forModel(SpecialTokens special, Path dir) {
        return forModel(special, dir, Integer.MAX_VALUE);
    }

    /**
     * The model's tokens overridden by the generation_config.json of its directory, if there is
     * one: every key checked for type and range, every token id against the vocabulary of
     * vocabSize tokens; errors are IllegalArgumentExceptions naming the file and the key.
     *
     * @param special the model's special tokens
     * @param dir the model directory
     * @param vocabSize V, the model's vocabulary size
     * @return the settings
     */
    public static GenerationConfig forModel(SpecialTokens special, Path dir, int vocabSize) {
        GenerationConfig cfg = forModel(special);
        Path file = dir.resolve("generation_config.json");
        return Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? GenerationConfigFile.read(file, cfg, vocabSize) : cfg;
    }

    /**
     * These settings overridden by generation_config.json text (see {@link #overriddenBy}); source
     * names it in messages, token ids must be below vocabSize.
     *
     * @param json the file's text
     * @param source what the text came from, for messages
     * @param vocabSize V, the model's vocabulary size
     * @return the settings
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
     *
     * @param g the parsed generation_config.json
     * @return the settings
     */
    public GenerationConfig overriddenBy(ModelConfig g) {
        return overriddenBy(g.json().toString(), g.source(), Integer.MAX_VALUE);
    }

    /**
     * Throws IllegalArgumentException naming the first setting out of range.
     *
     * @return these settings
     */
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
     *
     * @param vocabSize V, the model's vocabulary size
     * @param model the model's name, for messages
     * @return these settings
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
     *
     * @param promptLength tokens of the padded prompts
     * @return the settings
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

    /**
     * {@return these settings with another maxNewTokens}
     *
     * @param n tokens to generate at most; 0 = derive from maxLength (default 20)
     */
    public GenerationConfig withMaxNewTokens(int n) {
        return toBuilder().maxNewTokens(n).build();
    }

    /**
     * {@return these settings with another minNewTokens}
     *
     * @param n end-of-sequence tokens are suppressed until this many are generated
     */
    public GenerationConfig withMinNewTokens(int n) {
        return toBuilder().minNewTokens(n).build();
    }

    /**
     * {@return these settings sampling with a temperature, top-k and top-p}
     *
     * @param temp divides the logits when sampling; 0 means greedy
     * @param k when sampling, keep the k most likely tokens (0 = all; default 50)
     * @param p when sampling, keep the smallest set of most likely tokens whose probability reaches p
     */
    public GenerationConfig withSampling(double temp, int k, double p) {
        return toBuilder().doSample(true).temperature(temp).topK(k).topP(p).build();
    }

    /**
     * {@return these settings with greedy (or beam) search instead of sampling}
     */
    public GenerationConfig withoutSampling() {
        return toBuilder().doSample(false).build();
    }

    /**
     * {@return these settings with another repetitionPenalty}
     *
     * @param penalty divides positive (multiplies negative) logits of tokens already in the sequence
     */
    public GenerationConfig withRepetitionPenalty(double penalty) {
        return toBuilder().repetitionPenalty(penalty).build();
    }

    /**
     * {@return these settings with beam search}
     *
     * @param beams beam search with this many beams when above 1
     * @param returned sequences returned per prompt (at most numBeams with beam search)
     * @param lengthPen beam scores are divided by (new tokens)^lengthPenalty
     * @param stop when beam search stops: as soon as numBeams hypotheses finish, by a heuristic, or never
     */
    public GenerationConfig withBeams(int beams, int returned, double lengthPen, EarlyStopping stop) {
        return toBuilder().beams(beams).numReturnSequences(returned).lengthPenalty(lengthPen).earlyStopping(stop)
                .build();
    }

    /**
     * {@return these settings with another numReturnSequences}
     *
     * @param n sequences returned per prompt (at most numBeams with beam search)
     */
    public GenerationConfig withNumReturnSequences(int n) {
        return toBuilder().numReturnSequences(n).build();
    }

    /**
     * {@return these settings with another eosTokenIds}
     *
     * @param ids tokens that end a sequence (empty: none)
     */
    public GenerationConfig withEos(List<Long> ids) {
        return toBuilder().eos(ids).build();
    }

    /**
     * {@return these settings with another padTokenId}
     *
     * @param id fills prompts on the left and finished sequences (-1: the first eos, else 0)
     */
    public GenerationConfig withPad(long id) {
        return toBuilder().pad(id).build();
    }

    /**
     * {@return these settings with another stopStrings}
     *
     * @param strings a sequence ends once its generated text contains one of these
     */
    public GenerationConfig withStopStrings(List<String> strings) {
        return toBuilder().stopStrings(strings).build();
    }

    /**
     * {@return these settings with another seed}
     *
     * @param s seeds the random source of sampling
     */
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

        /**
         * A builder holding Hugging Face's defaults.
         */
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

        /**
         * Sets maxNewTokens.
         *
         * @param v tokens to generate at most; 0 = derive from maxLength (default 20)
         * @return this builder
         */
        public Builder maxNewTokens(int v) {
            maxNewTokens = v;
            return this;
        }

        /**
         * Sets maxLength.
         *
         * @param v prompt and new tokens together at most, used when maxNewTokens is 0
         * @return this builder
         */
        public Builder maxLength(int v) {
            maxLength = v;
            return this;
        }

        /**
         * Sets minNewTokens.
         *
         * @param v end-of-sequence tokens are suppressed until this many are generated
         * @return this builder
         */
        public Builder minNewTokens(int v) {
            minNewTokens = v;
            return this;
        }

        /**
         * Sets minLength.
         *
         * @param v end-of-sequence tokens are suppressed until prompt + new tokens reach this
         * @return this builder
         */
        public Builder minLength(int v) {
            minLength = v;
            return this;
        }

        /**
         * Sets doSample.
         *
         * @param v sample from the distribution instead of taking the most likely token
         * @return this builder
         */
        public Builder doSample(boolean v) {
            doSample = v;
            return this;
        }

        /**
         * Sets temperature.
         *
         * @param v divides the logits when sampling; 0 means greedy
         * @return this builder
         */
        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        /**
         * Sets topK.
         *
         * @param v when sampling, keep the k most likely tokens (0 = all; default 50)
         * @return this builder
         */
        public Builder topK(int v) {
            topK = v;
            return this;
        }

        /**
         * Sets topP.
         *
         * @param v when sampling, keep the smallest set of most likely tokens whose probability reaches p
         * @return this builder
         */
        public Builder topP(double v) {
            topP = v;
            return this;
        }

        /**
         * Sets repetitionPenalty.
         *
         * @param v divides positive (multiplies negative) logits of tokens already in the sequence
         * @return this builder
         */
        public Builder repetitionPenalty(double v) {
            repetitionPenalty = v;
            return this;
        }

        /**
         * Sets noRepeatNgramSize.
         *
         * @param v if &gt; 0, no n-gram of this size occurs twice in a sequence
         * @return this builder
         */
        public Builder noRepeatNgramSize(int v) {
            noRepeatNgramSize = v;
            return this;
        }

        /**
         * Sets numBeams.
         *
         * @param v beam search with this many beams when above 1
         * @return this builder
         */
        public Builder beams(int v) {
            numBeams = v;
            return this;
        }

        /**
         * Sets numReturnSequences.
         *
         * @param v sequences returned per prompt (at most numBeams with beam search)
         * @return this builder
         */
        public Builder numReturnSequences(int v) {
            numReturnSequences = v;
            return this;
        }

        /**
         * Sets lengthPenalty.
         *
         * @param v beam scores are divided by (new tokens)^lengthPenalty
         * @return this builder
         */
        public Builder lengthPenalty(double v) {
            lengthPenalty = v;
            return this;
        }

        /**
         * Sets earlyStopping.
         *
         * @param v when beam search stops: as soon as numBeams hypotheses finish, by a heuristic, or never
         * @return this builder
         */
        public Builder earlyStopping(EarlyStopping v) {
            earlyStopping = v;
            return this;
        }

        /**
         * Sets eosTokenIds.
         *
         * @param v tokens that end a sequence (empty: none)
         * @return this builder
         */
        public Builder eos(List<Long> v) {
            eos = v;
            return this;
        }

        /**
         * Sets padTokenId.
         *
         * @param v fills prompts on the left and finished sequences (-1: the first eos, else 0)
         * @return this builder
         */
        public Builder pad(long v) {
            pad = v;
            return this;
        }

        /**
         * Sets decoderStartTokenId.
         *
         * @param v where encoder-decoder generation starts (-1: the model's)
         * @return this builder
         */
        public Builder decoderStart(long v) {
            decoderStart = v;
            return this;
        }

        /**
         * Sets forcedBosTokenId.
         *
         * @param v the first generated token of an encoder-decoder model, or -1
         * @return this builder
         */
        public Builder forcedBos(long v) {
            forcedBos = v;
            return this;
        }

        /**
         * Sets forcedEosTokenId.
         *
         * @param v the token forced at the last step (max length), or -1
         * @return this builder
         */
        public Builder forcedEos(long v) {
            forcedEos = v;
            return this;
        }

        /**
         * Sets suppressTokens.
         *
         * @param v tokens never generated (bad_words_ids of one token, suppress_tokens)
         * @return this builder
         */
        public Builder suppress(List<Long> v) {
            suppress = v;
            return this;
        }

        /**
         * Sets stopStrings.
         *
         * @param v a sequence ends once its generated text contains one of these
         * @return this builder
         */
        public Builder stopStrings(List<String> v) {
            stopStrings = v;
            return this;
        }

        /**
         * Sets seed.
         *
         * @param v seeds the random source of sampling
         * @return this builder
         */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /**
         * {@return the settings; {@link GenerationConfig#validate()} checks them}
         */
        public GenerationConfig build() {
            return new GenerationConfig(maxNewTokens, maxLength, minNewTokens, minLength, doSample, temperature, topK,
                    topP, repetitionPenalty, noRepeatNgramSize, numBeams, numReturnSequences, lengthPenalty,
                    earlyStopping, eos, pad, decoderStart, forcedBos, forcedEos, suppress, stopStrings, seed);
        }
    }
}
