package org.transformers4j.generation;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.model.DecoderModel;

/**
 * Reproduces the generation tensors of a reference file (generate.greedy for the left-padded
 * prompts generate.prompt_ids / generate.prompt_mask, generate.beam3 for the first prompt) with
 * the settings of the reference.json beside it, and counts the tokens that differ.
 */
public final class GenerationCheck {
    /** One compared token tensor: differing tokens out of all compared. */
    public record Result(String tensor, int differing, int total) {
        public boolean identical() {
            return differing == 0;
        }
    }

    private GenerationCheck() {
    }

    /** Every generation tensor the file holds, compared; empty when it holds none. */
    public static List<Result> run(DecoderModel model, Path reference) {
        List<Result> out = new ArrayList<>();
        try (SafeTensors ref = SafeTensors.open(reference)) {
            if (!ref.has("generate.prompt_ids")) {
                return out;
            }
            List<long[]> prompts = prompts(ref);
            JsonObject settings = settings(reference);
            if (ref.has("generate.greedy")) {
                long[][] want = rows(ref, "generate.greedy");
                var cfg = config(settings, want[0].length - longest(prompts), model);
                var got = Generator.generate(model, prompts, cfg, null, TokenListener.NONE);
                out.add(compare("generate.greedy", want, got, true, longest(prompts)));
            }
            if (ref.has("generate.beam3")) {
                long[][] want = rows(ref, "generate.beam3");
                long[] first = prompts.get(0);
                var cfg = config(settings, want[0].length - first.length, model)
                        .withBeams(want.length, want.length, settings.has("length_penalty")
                                ? settings.get("length_penalty").getAsDouble() : 1.0,
                                GenerationConfig.EarlyStopping.FALSE);
                var got = Generator.generate(model, List.of(first), cfg, null, TokenListener.NONE);
                out.add(compare("generate.beam3", want, List.of(got.get(0)), false, first.length));
            }
        }
        return out;
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

    private static GenerationConfig config(JsonObject settings, int newTokens, DecoderModel model) {
        int max = settings.has("max_new_tokens") ? settings.get("max_new_tokens").getAsInt() : newTokens;
        int min = settings.has("min_new_tokens") ? settings.get("min_new_tokens").getAsInt() : max;
        List<Long> eos = new ArrayList<>();
        if (settings.has("eos_token_id") && !settings.get("eos_token_id").isJsonNull()) {
            eos.add(settings.get("eos_token_id").getAsLong());
        }
        long pad = settings.has("pad_token_id") && !settings.get("pad_token_id").isJsonNull()
                ? settings.get("pad_token_id").getAsLong() : model.specialTokens().pad();
        return GenerationConfig.defaults().withMaxNewTokens(max).withMinNewTokens(min).withEos(eos).withPad(pad);
    }

    /** generate.settings of the reference.json beside the file, or an empty object. */
    private static JsonObject settings(Path reference) {
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

    /** The prompts of generate.prompt_ids without their padding. */
    public static List<long[]> prompts(SafeTensors ref) {
        long[][] ids = rows(ref, "generate.prompt_ids");
        long[][] mask = ref.has("generate.prompt_mask") ? rows(ref, "generate.prompt_mask") : null;
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

    /** A [N, L] int64 tensor as N rows. */
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
