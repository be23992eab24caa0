package org.transformers4j.generation;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.transformers4j.checkpoint.files.SafeFiles;
import org.transformers4j.checkpoint.files.StrictJson;
import org.transformers4j.util.JsonFields;

/**
 * Reads a generation_config.json over a {@link GenerationConfig}: every key this library uses is
 * checked for type and range, and every token id against the model's vocabulary, with a message
 * naming the file and the key. Keys that change which tokens Hugging Face generates but that this
 * library does not implement (group beam search, typical sampling, forced decoder ids, ...) are
 * refused unless they hold their neutral default, rather than silently ignored. Keys that do not
 * change the tokens (output_*, use_cache, transformers_version, assistant settings, ...) and keys
 * unknown to this library are ignored, as transformers ignores unknown keys.
 */
final class GenerationConfigFile {
    private static final long MAX_INT = Integer.MAX_VALUE;

    /** Keys of generation methods not implemented here, with the values that leave them off. */
    private static final Map<String, Set<String>> NEUTRAL = Map.ofEntries(
            Map.entry("num_beam_groups", Set.of("1")),
            Map.entry("diversity_penalty", Set.of("0", "0.0")),
            Map.entry("penalty_alpha", Set.of("0", "0.0")),
            Map.entry("typical_p", Set.of("1", "1.0")),
            Map.entry("epsilon_cutoff", Set.of("0", "0.0")),
            Map.entry("eta_cutoff", Set.of("0", "0.0")),
            Map.entry("min_p", Set.of("0", "0.0")),
            Map.entry("top_h", Set.of()),
            Map.entry("encoder_repetition_penalty", Set.of("1", "1.0")),
            Map.entry("encoder_no_repeat_ngram_size", Set.of("0")),
            Map.entry("renormalize_logits", Set.of("false")),
            Map.entry("guidance_scale", Set.of("1", "1.0")),
            Map.entry("force_words_ids", Set.of("[]")),
            Map.entry("constraints", Set.of("[]")),
            Map.entry("forced_decoder_ids", Set.of("[]")),
            Map.entry("begin_suppress_tokens", Set.of("[]")),
            Map.entry("sequence_bias", Set.of("{}", "[]")),
            Map.entry("exponential_decay_length_penalty", Set.of()),
            Map.entry("max_time", Set.of()),
            Map.entry("watermarking_config", Set.of("{}")),
            Map.entry("dola_layers", Set.of()),
            Map.entry("token_healing", Set.of("false")));

    private GenerationConfigFile() {
    }

    /** The file read over base: a regular file of at most 64 MiB, UTF-8, strict JSON. */
    static GenerationConfig read(Path file, GenerationConfig base, int vocabSize) {
        String text = SafeFiles.readText(file, "generation config", SafeFiles.MAX_JSON_BYTES);
        return parse(text, file.toString(), base, vocabSize);
    }

    /**
     * generation_config.json text read over base; source names it in messages. Token ids must be
     * below vocabSize (pass Integer.MAX_VALUE when it is not known).
     */
    static GenerationConfig parse(String text, String source, GenerationConfig base, int vocabSize) {
        return over(JsonFields.of(StrictJson.parse(text, source), "$", source), base, vocabSize);
    }

    /** The keys of an already parsed object read over base. */
    static GenerationConfig over(JsonFields g, GenerationConfig base, int vocabSize) {
        unsupported(g);
        GenerationConfig.Builder b = base.toBuilder();
        lengths(g, b);
        if (g.has("do_sample")) {
            b.doSample(g.bool("do_sample"));
        }
        if (g.has("temperature")) {
            b.temperature(number(g, "temperature", 0, Double.MAX_VALUE, true));
        }
        if (g.has("top_k")) {
            b.topK((int) g.unsigned("top_k", MAX_INT));
        }
        if (g.has("top_p")) {
            b.topP(number(g, "top_p", 0, 1, false));
        }
        if (g.has("repetition_penalty")) {
            b.repetitionPenalty(number(g, "repetition_penalty", 0, Double.MAX_VALUE, false));
        }
        if (g.has("no_repeat_ngram_size")) {
            b.noRepeatNgramSize((int) g.unsigned("no_repeat_ngram_size", MAX_INT));
        }
        if (g.has("num_beams")) {
            b.beams((int) atLeastOne(g, "num_beams", GenerationConfig.MAX_BEAMS));
        }
        if (g.has("num_return_sequences")) {
            b.numReturnSequences((int) atLeastOne(g, "num_return_sequences", GenerationConfig.MAX_BEAMS));
        }
        if (g.has("length_penalty")) {
            b.lengthPenalty(number(g, "length_penalty", -Double.MAX_VALUE, Double.MAX_VALUE, true));
        }
        if (g.has("early_stopping")) {
            b.earlyStopping(earlyStopping(g));
        }
        tokens(g, b, base, vocabSize);
        if (g.has("stop_strings")) {
            b.stopStrings(stopStrings(g));
        }
        return b.build();
    }

    private static void lengths(JsonFields g, GenerationConfig.Builder b) {
        if (g.has("max_new_tokens")) {
            b.maxNewTokens((int) atLeastOne(g, "max_new_tokens", MAX_INT));
        } else if (g.has("max_length")) {
            b.maxNewTokens(0).maxLength((int) atLeastOne(g, "max_length", MAX_INT));
        }
        if (g.has("min_new_tokens")) {
            b.minNewTokens((int) g.unsigned("min_new_tokens", MAX_INT));
        }
        if (g.has("min_length")) {
            b.minLength((int) g.unsigned("min_length", MAX_INT));
        }
    }

    /** eos, pad, decoder start, forced first and last tokens, suppressed tokens: all inside the vocabulary. */
    private static void tokens(JsonFields g, GenerationConfig.Builder b, GenerationConfig base, int vocab) {
        if (g.has("eos_token_id")) {
            b.eos(idOrIds(g, "eos_token_id", vocab));
        }
        if (g.has("bos_token_id")) {
            id(g, "bos_token_id", vocab); // the model's loader reads it; checked here all the same
        }
        if (g.has("pad_token_id")) {
            b.pad(id(g, "pad_token_id", vocab));
        }
        if (g.has("decoder_start_token_id")) {
            b.decoderStart(id(g, "decoder_start_token_id", vocab));
        }
        if (g.has("forced_bos_token_id")) {
            b.forcedBos(id(g, "forced_bos_token_id", vocab));
        }
        if (g.has("forced_eos_token_id")) {
            List<Long> forced = idOrIds(g, "forced_eos_token_id", vocab);
            if (forced.size() != 1) {
                throw g.fail("forced_eos_token_id", "must be one token id (several are not supported), got "
                        + JsonFields.describe(g.get("forced_eos_token_id")));
            }
            b.forcedEos(forced.get(0));
        }
        List<Long> suppressed = new ArrayList<>(base.suppressTokens());
        if (g.has("suppress_tokens")) {
            suppressed.addAll(ids(g.array("suppress_tokens"), g.at("suppress_tokens"), g.source(), vocab));
        }
        if (g.has("bad_words_ids")) {
            suppressed.addAll(badWords(g, vocab));
        }
        b.suppress(suppressed);
    }

    /** bad_words_ids as [[id], [id], ...]: only single-token words are supported. */
    private static List<Long> badWords(JsonFields g, int vocab) {
        JsonArray words = g.array("bad_words_ids");
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String at = g.at("bad_words_ids") + "[" + i + "]";
            JsonArray word = JsonFields.array(words.get(i), at, g.source());
            if (word.size() != 1) {
                throw JsonFields.fail(g.source(), at, "must hold one token id (words of " + word.size()
                        + " tokens are not supported)");
            }
            out.addAll(ids(word, at, g.source(), vocab));
        }
        return out;
    }

    private static GenerationConfig.EarlyStopping earlyStopping(JsonFields g) {
        JsonElement e = g.get("early_stopping");
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()) {
            return e.getAsBoolean() ? GenerationConfig.EarlyStopping.TRUE : GenerationConfig.EarlyStopping.FALSE;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() && e.getAsString().equals("never")) {
            return GenerationConfig.EarlyStopping.NEVER;
        }
        throw g.fail("early_stopping", "must be true, false or \"never\", got " + JsonFields.describe(e));
    }

    private static List<String> stopStrings(JsonFields g) {
        JsonElement e = g.get("stop_strings");
        List<String> out = new ArrayList<>();
        if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            for (int i = 0; i < a.size(); i++) {
                out.add(JsonFields.string(a.get(i), g.at("stop_strings") + "[" + i + "]", g.source()));
            }
        } else {
            out.add(JsonFields.string(e, g.at("stop_strings"), g.source()));
        }
        for (String s : out) {
            if (s.isEmpty()) {
                throw g.fail("stop_strings", "must not hold an empty string");
            }
        }
        return out;
    }

    /** A key of a generation method not implemented here must be absent, null or neutral. */
    private static void unsupported(JsonFields g) {
        for (Map.Entry<String, Set<String>> e : NEUTRAL.entrySet()) {
            if (g.has(e.getKey()) && !e.getValue().contains(g.get(e.getKey()).toString())) {
                throw g.fail(e.getKey(), JsonFields.describe(g.get(e.getKey())) + " asks for something this library "
                        + "does not implement; remove the key or set it to " + (e.getValue().isEmpty() ? "null"
                        : e.getValue().iterator().next()));
            }
        }
    }

    private static long atLeastOne(JsonFields g, String key, long max) {
        JsonElement e = g.get(key);
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() && e.getAsNumber() instanceof Long v
                && v >= 1 && v <= max) {
            return v;
        }
        throw g.fail(key, "must be an integer in [1, " + max + "], got " + JsonFields.describe(e));
    }

    /** A finite number in [min, max] (or (min, max] when the minimum is excluded). */
    private static double number(JsonFields g, String key, double min, double max, boolean minIncluded) {
        double v = JsonFields.number(g.get(key), g.at(key), g.source());
        if (v < min || (v == min && !minIncluded) || v > max) {
            throw g.fail(key, "must be a number in " + (minIncluded ? "[" : "(") + min + ", " + max + "], got " + v);
        }
        return v;
    }

    private static long id(JsonFields g, String key, int vocab) {
        return tokenId(g.get(key), g.at(key), g.source(), vocab);
    }

    private static List<Long> idOrIds(JsonFields g, String key, int vocab) {
        JsonElement e = g.get(key);
        return e.isJsonArray() ? ids(e.getAsJsonArray(), g.at(key), g.source(), vocab)
                : List.of(tokenId(e, g.at(key), g.source(), vocab));
    }

    private static List<Long> ids(JsonArray a, String at, String source, int vocab) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            out.add(tokenId(a.get(i), at + "[" + i + "]", source, vocab));
        }
        return out;
    }

    /** A token id: an integer inside the vocabulary [0, vocab). */
    private static long tokenId(JsonElement e, String at, String source, int vocab) {
        long id = JsonFields.unsigned(e, at, source, MAX_INT);
        if (id >= vocab) {
            throw JsonFields.fail(source, at, "token id " + id + " is outside the vocabulary [0, " + vocab
                    + ") of the model");
        }
        return id;
    }
}
