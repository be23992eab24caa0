package org.transformers4j.verify;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToIntFunction;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.generation.GeneratedSequence;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.generation.Generator;
import org.transformers4j.generation.TokenListener;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.model.SpecialTokens;

/**
 * Reproduces the generation tensors of a reference file (generate.greedy for the left-padded
 * prompts generate.prompt_ids / generate.prompt_mask, or for the sources input_ids of an
 * encoder-decoder; generate.beam3 for the first of them) with the settings of the reference.json
 * beside it, and counts the tokens that differ.
 */
public final class GenerationCheck {
    /**
     * One compared token tensor: differing tokens out of all compared.
     *
     * @param tensor the reference tensor's name
     * @param differing tokens that differ
     * @param total tokens compared
     */
    public record Result(String tensor, int differing, int total) {
        /**
         * {@return whether every token matched}
         */
        public boolean identical() {
            return differing == 0;
        }
    }

    private GenerationCheck() {
    }

    /** Runs a search: prompts (or sources) and settings to sequences. */
    private interface Search {
        List<List<GeneratedSequence>> run(List<long[]> inputs, GenerationConfig cfg);
    }

    /**
     * {@return every generation tensor the file holds, compared; empty when it holds none}
     *
     * @param model the decoder
     * @param reference the reference.safetensors file
     */
    public static List<Result> run(DecoderModel model, Path reference) {
        try (SafeTensors ref = SafeTensors.open(reference)) {
            if (!ref.has("generate.prompt_ids")) {
                return List.of();
            }
            List<long[]> prompts = prompts(ref, "generate.prompt_ids", "generate.prompt_mask");
            int width = longest(prompts);
            return compareAll(ref, prompts, settings(reference, model.specialTokens()), width, p -> p.length,
                    (in, cfg) -> Generator.generate(model, in, cfg, null, TokenListener.NONE));
        }
    }

    /**
     * The same for an encoder-decoder model: the sources are input_ids without their padding, and
     * every generated row starts with the decoder start token.
     *
     * @param model the encoder-decoder
     * @param reference the reference.safetensors file
     * @return every generation tensor the file holds, compared
     */
    public static List<Result> run(Seq2SeqModel model, Path reference) {
        try (SafeTensors ref = SafeTensors.open(reference)) {
            if (!ref.has("generate.greedy") && !ref.has("generate.beam3")) {
                return List.of();
            }
            List<long[]> sources = prompts(ref, "input_ids", "attention_mask");
            return compareAll(ref, sources, settings(reference, model.specialTokens()), 1, p -> 1,
                    (in, cfg) -> Generator.generate(model, in, cfg, null, TokenListener.NONE));
        }
    }

    private static List<Result> compareAll(SafeTensors ref, List<long[]> inputs, GenerationConfig settings,
                                           int greedyPromptColumns, ToIntFunction<long[]> promptWidth,
                                           Search search) {
        List<Result> out = new ArrayList<>();
        if (ref.has("generate.greedy")) {
            long[][] want = rows(ref, "generate.greedy");
            var cfg = lengths(settings, want[0].length - greedyPromptColumns);
            out.add(compare("generate.greedy", want, search.run(inputs, cfg), true, greedyPromptColumns));
        }
        if (ref.has("generate.beam3")) {
            long[][] want = rows(ref, "generate.beam3");
            long[] first = inputs.get(0);
            int width = promptWidth.applyAsInt(first);
            var cfg = lengths(settings, want[0].length - width).withBeams(want.length, want.length,
                    settings.lengthPenalty(), GenerationConfig.EarlyStopping.FALSE);
            out.add(compare("generate.beam3", want, List.of(search.run(List.of(first), cfg).get(0)), false, width));
        }
        return out;
    }

    /** Settings without explicit lengths generate exactly as many tokens as the reference holds. */
    private static GenerationConfig lengths(GenerationConfig settings, int newTokens) {
        return settings.maxNewTokens() > 0 ? settings
                : settings.toBuilder().maxNewTokens(newTokens).minNewTokens(newTokens).build();
    }

    /**
     * Reference rows are [prompt (left-padded for greedy) | new tokens]; promptColumns is that
     * prompt width. Greedy results come one per prompt, beam results as one list.
     */
    private static Result compare(String name, long[][] want, List<List<GeneratedSequence>> got, boolean perPrompt,
                                  int promptColumns) {
        int differing = 0, total = 0;
        for (int r = 0; r < want.length; r++) {
            long[] tokens = (perPrompt ? got.get(r).get(0) : got.get(0).get(r)).tokens();
            for (int i = promptColumns; i < want[r].length; i++) {
                int j = i - promptColumns;
                differing += j < tokens.length && tokens[j] == want[r][i] ? 0 : 1;
                total++;
            }
            differing += Math.max(0, tokens.length - (want[r].length - promptColumns));
        }
        return new Result(name, differing, total);
    }

    /**
     * The model's tokens overridden by the generate.settings of the reference.json beside the file
     * (a null eos_token_id there means none; forced_bos_token_id and forced_eos_token_id apply
     * when not null); maxNewTokens 0 when the settings give no length.
     */
    private static GenerationConfig settings(Path reference, SpecialTokens special) {
        JsonObject s = settingsJson(reference);
        var b = GenerationConfig.forModel(special).toBuilder().maxNewTokens(0);
        if (s.has("max_new_tokens")) {
            b.maxNewTokens(s.get("max_new_tokens").getAsInt());
            b.minNewTokens(s.has("min_new_tokens") ? s.get("min_new_tokens").getAsInt() : 0);
        }
        if (s.has("eos_token_id")) {
            b.eos(s.get("eos_token_id").isJsonNull() ? List.of() : List.of(s.get("eos_token_id").getAsLong()));
        }
        if (s.has("pad_token_id") && !s.get("pad_token_id").isJsonNull()) {
            b.pad(s.get("pad_token_id").getAsLong());
        }
        if (s.has("length_penalty")) {
            b.lengthPenalty(s.get("length_penalty").getAsDouble());
        }
        if (s.has("no_repeat_ngram_size")) {
            b.noRepeatNgramSize(s.get("no_repeat_ngram_size").getAsInt());
        }
        if (s.has("forced_bos_token_id") && !s.get("forced_bos_token_id").isJsonNull()) {
            b.forcedBos(s.get("forced_bos_token_id").getAsLong()); // mBART's target language code
        }
        if (s.has("forced_eos_token_id") && !s.get("forced_eos_token_id").isJsonNull()) {
            b.forcedEos(s.get("forced_eos_token_id").getAsLong());
        }
        return b.build();
    }

    /** generate.settings of the reference.json beside the file, or an empty object. */
    private static JsonObject settingsJson(Path reference) {
        Path json = reference.resolveSibling("reference.json");
        if (!Files.isRegularFile(json)) {
            return new JsonObject();
        }
        try {
            JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
            return root.has("generate") && root.getAsJsonObject("generate").has("settings")
                    ? root.getAsJsonObject("generate").getAsJsonObject("settings") : new JsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + json, e);
        }
    }

    /**
     * {@return the rows of an id tensor without the positions its mask tensor (if present) marks as padding}
     *
     * @param ref the reference file
     * @param idsName the id tensor's name
     * @param maskName the mask tensor's name
     */
    public static List<long[]> prompts(SafeTensors ref, String idsName, String maskName) {
        long[][] ids = rows(ref, idsName);
        long[][] mask = ref.has(maskName) ? rows(ref, maskName) : null;
        List<long[]> out = new ArrayList<>();
        for (int r = 0; r < ids.length; r++) {
            List<Long> kept = new ArrayList<>();
            for (int j = 0; j < ids[r].length; j++) {
                if (mask == null || mask[r][j] != 0) {
                    kept.add(ids[r][j]);
                }
            }
            out.add(kept.stream().mapToLong(Long::longValue).toArray());
        }
        return out;
    }

    private static int longest(List<long[]> prompts) {
        return prompts.stream().mapToInt(p -> p.length).max().orElse(0);
    }

    /**
     * {@return a [N, L] int64 tensor as N rows}
     *
     * @param ref the reference file
     * @param name the tensor's name
     */
    public static long[][] rows(SafeTensors ref, String name) {
        int n = (int) ref.shape(name).dim(0), len = (int) ref.shape(name).dim(1);
        long[] flat = ref.loadLongs(name);
        long[][] out = new long[n][];
        for (int r = 0; r < n; r++) {
            out[r] = Arrays.copyOfRange(flat, r * len, (r + 1) * len);
        }
        return out;
    }
}
