package org.transformers4j.generation;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;

/**
 * How to generate, with the meaning and defaults of Hugging Face's GenerationConfig.
 *
 * @param maxNewTokens tokens to generate at most (default 20)
 * @param minNewTokens end-of-sequence tokens are suppressed until this many are generated
 * @param doSample sample from the distribution instead of taking the most likely token
 * @param temperature divides the logits when sampling; 0 means greedy
 * @param topK when sampling, keep the k most likely tokens (0 = all; default 50)
 * @param topP when sampling, keep the smallest set of most likely tokens whose probability reaches p
 * @param repetitionPenalty divides positive (multiplies negative) logits of tokens already in the sequence
 * @param numBeams beam search with this many beams when above 1
 * @param numReturnSequences sequences returned per prompt (at most numBeams with beam search)
 * @param lengthPenalty beam scores are divided by (new tokens)^lengthPenalty
 * @param earlyStopping when beam search stops: as soon as numBeams hypotheses finish, by a heuristic, or never
 * @param eosTokenIds tokens that end a sequence (empty: none)
 * @param padTokenId fills prompts on the left and finished sequences (-1: the first eos, else 0)
 * @param stopStrings a sequence ends once its generated text contains one of these
 * @param seed seeds the random source of sampling
 */
public record GenerationConfig(int maxNewTokens, int minNewTokens, boolean doSample, double temperature, int topK,
                               double topP, double repetitionPenalty, int numBeams, int numReturnSequences,
                               double lengthPenalty, EarlyStopping earlyStopping, List<Long> eosTokenIds,
                               long padTokenId, List<String> stopStrings, long seed) {

    /** Beam search stopping: Hugging Face's early_stopping true, false, "never". */
    public enum EarlyStopping { TRUE, FALSE, NEVER }

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        stopStrings = List.copyOf(stopStrings);
    }

    /** Hugging Face's defaults: greedy, 20 new tokens, no end-of-sequence token. */
    public static GenerationConfig defaults() {
        return new GenerationConfig(20, 0, false, 1.0, 50, 1.0, 1.0, 1, 1, 1.0, EarlyStopping.FALSE, List.of(), -1,
                List.of(), 0);
    }

    /** The defaults with the model's end-of-sequence and padding tokens. */
    public static GenerationConfig forModel(SpecialTokens special) {
        return defaults().withEos(special.eos()).withPad(special.pad());
    }

    /**
     * These settings overridden by the keys of a generation_config.json: max_new_tokens,
     * min_new_tokens, do_sample, temperature, top_k, top_p, repetition_penalty, num_beams,
     * num_return_sequences, length_penalty, early_stopping, eos_token_id, pad_token_id.
     */
    public GenerationConfig overriddenBy(ModelConfig g) {
        var json = g.json();
        EarlyStopping stop = earlyStopping;
        if (json.has("early_stopping") && !json.get("early_stopping").isJsonNull()) {
            var e = json.get("early_stopping").getAsJsonPrimitive();
            stop = e.isBoolean() ? (e.getAsBoolean() ? EarlyStopping.TRUE : EarlyStopping.FALSE)
                    : EarlyStopping.valueOf(e.getAsString().toUpperCase(java.util.Locale.ROOT));
        }
        List<Long> eos = eosTokenIds;
        if (g.has("eos_token_id")) {
            eos = new ArrayList<>();
            var e = json.get("eos_token_id");
            if (e.isJsonArray()) {
                for (var x : e.getAsJsonArray()) {
                    eos.add(x.getAsLong());
                }
            } else {
                eos.add(e.getAsLong());
            }
        }
        return new GenerationConfig(g.getInt("max_new_tokens", maxNewTokens), g.getInt("min_new_tokens", minNewTokens),
                g.getBoolean("do_sample", doSample), g.getDouble("temperature", temperature), g.getInt("top_k", topK),
                g.getDouble("top_p", topP), g.getDouble("repetition_penalty", repetitionPenalty),
                g.getInt("num_beams", numBeams), g.getInt("num_return_sequences", numReturnSequences),
                g.getDouble("length_penalty", lengthPenalty), stop, eos, g.getInt("pad_token_id", (int) padTokenId),
                stopStrings, seed);
    }

    /** Throws IllegalArgumentException naming the first setting out of range. */
    public GenerationConfig validate() {
        require(maxNewTokens >= 1, "maxNewTokens must be >= 1, got " + maxNewTokens);
        require(minNewTokens >= 0 && minNewTokens <= maxNewTokens,
                "minNewTokens must be in [0, maxNewTokens = " + maxNewTokens + "], got " + minNewTokens);
        require(Double.isFinite(temperature) && temperature >= 0, "temperature must be finite and >= 0, got " + temperature);
        require(topK >= 0, "topK must be >= 0, got " + topK);
        require(topP > 0 && topP <= 1, "topP must be in (0, 1], got " + topP);
        require(Double.isFinite(repetitionPenalty) && repetitionPenalty > 0,
                "repetitionPenalty must be finite and > 0, got " + repetitionPenalty);
        require(numBeams >= 1, "numBeams must be >= 1, got " + numBeams);
        require(numReturnSequences >= 1, "numReturnSequences must be >= 1, got " + numReturnSequences);
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
        return this;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The pad id to use: padTokenId, else the first eos, else 0 (as Hugging Face falls back to eos). */
    public long effectivePad() {
        return padTokenId >= 0 ? padTokenId : eosTokenIds.isEmpty() ? 0 : eosTokenIds.get(0);
    }

    public GenerationConfig withMaxNewTokens(int n) {
        return new GenerationConfig(n, minNewTokens, doSample, temperature, topK, topP, repetitionPenalty, numBeams,
                numReturnSequences, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, stopStrings, seed);
    }

    public GenerationConfig withMinNewTokens(int n) {
        return new GenerationConfig(maxNewTokens, n, doSample, temperature, topK, topP, repetitionPenalty, numBeams,
                numReturnSequences, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, stopStrings, seed);
    }

    /** Sampling with a temperature, top-k and top-p. */
    public GenerationConfig withSampling(double temp, int k, double p) {
        return new GenerationConfig(maxNewTokens, minNewTokens, true, temp, k, p, repetitionPenalty, numBeams,
                numReturnSequences, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, stopStrings, seed);
    }

    /** Greedy (or beam) search instead of sampling. */
    public GenerationConfig withoutSampling() {
        return new GenerationConfig(maxNewTokens, minNewTokens, false, temperature, topK, topP, repetitionPenalty,
                numBeams, numReturnSequences, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, stopStrings, seed);
    }

    public GenerationConfig withRepetitionPenalty(double penalty) {
        return new GenerationConfig(maxNewTokens, minNewTokens, doSample, temperature, topK, topP, penalty, numBeams,
                numReturnSequences, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, stopStrings, seed);
    }

    /** Beam search settings. */
    public GenerationConfig withBeams(int beams, int returned, double lengthPen, EarlyStopping stop) {
        return new GenerationConfig(maxNewTokens, minNewTokens, doSample, temperature, topK, topP, repetitionPenalty,
                beams, returned, lengthPen, stop, eosTokenIds, padTokenId, stopStrings, seed);
    }

    public GenerationConfig withNumReturnSequences(int n) {
        return new GenerationConfig(maxNewTokens, minNewTokens, doSample, temperature, topK, topP, repetitionPenalty,
                numBeams, n, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, stopStrings, seed);
    }

    public GenerationConfig withEos(List<Long> ids) {
        return new GenerationConfig(maxNewTokens, minNewTokens, doSample, temperature, topK, topP, repetitionPenalty,
                numBeams, numReturnSequences, lengthPenalty, earlyStopping, ids, padTokenId, stopStrings, seed);
    }

    public GenerationConfig withPad(long id) {
        return new GenerationConfig(maxNewTokens, minNewTokens, doSample, temperature, topK, topP, repetitionPenalty,
                numBeams, numReturnSequences, lengthPenalty, earlyStopping, eosTokenIds, id, stopStrings, seed);
    }

    public GenerationConfig withStopStrings(List<String> strings) {
        return new GenerationConfig(maxNewTokens, minNewTokens, doSample, temperature, topK, topP, repetitionPenalty,
                numBeams, numReturnSequences, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, strings, seed);
    }

    public GenerationConfig withSeed(long s) {
        return new GenerationConfig(maxNewTokens, minNewTokens, doSample, temperature, topK, topP, repetitionPenalty,
                numBeams, numReturnSequences, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, stopStrings, s);
    }
}
