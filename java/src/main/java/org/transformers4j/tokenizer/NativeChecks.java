package org.transformers4j.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks of a tokenizer.json that only the native library can answer, asked of small
 * tokenizers made for the purpose that cannot panic: what its normalizer makes of a text, and
 * what its Oniguruma regexes match. Run after {@link TokenizerJson#check}, before the tokenizer
 * itself is made; refusals are IllegalArgumentExceptions naming the file and the JSON path.
 */
final class NativeChecks {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final Map<String, String> PLAIN = Map.of("padding", "false", "truncation", "false");
    /** What a probe puts in place of each match: a private-use character no probe text holds. */
    private static final String MARK = "\uE000";
    private static final String COMMON = "aA0 \t\n.é\u0301你\uD83E\uDD17_\u2581-'";

    private NativeChecks() {
    }

    static void check(JsonObject root, String source) {
        List<String[]> replaces = new ArrayList<>();
        collectReplaces(root.get("normalizer"), "$.normalizer", "normalizers", replaces);
        collectReplaces(root.get("decoder"), "$.decoder", "decoders", replaces);
        for (String[] r : replaces) {
            requireNoEmptyMatch(r[0], r[1], r[2], source);
        }
        requireNormalizedAddedTokens(root, source);
    }

    /** Every Replace step of a normalizer or decoder (nested in Sequences): {path, kind, pattern}. */
    private static void collectReplaces(JsonElement e, String path, String children, List<String[]> out) {
        if (e == null || !e.isJsonObject()) {
            return;
        }
        JsonObject o = e.getAsJsonObject();
        String type = o.get("type").getAsString();
        if (type.equals("Sequence")) {
            JsonArray items = o.getAsJsonArray(children);
            for (int i = 0; i < items.size(); i++) {
                collectReplaces(items.get(i), path + "." + children + "[" + i + "]", children, out);
            }
        } else if (type.equals("Replace")) {
            var pattern = o.getAsJsonObject("pattern").entrySet().iterator().next();
            out.add(new String[] {path, pattern.getKey(), pattern.getValue().getAsString()});
        }
    }

    /**
     * A Replace whose pattern matches the empty string: in a normalizer the library misaligns what
     * it inserts there and a later step panics indexing past it; in a decoder it inserts between
     * every two characters. The pattern runs in the library itself, as a decoder replacing each
     * match with a mark, over probe texts (common characters and the pattern's own, one by one
     * and together); a result that no replacement of non-empty matches could give shows an empty
     * match.
     */
    private static void requireNoEmptyMatch(String path, String kind, String pattern, String source) {
        Set<String> texts = new LinkedHashSet<>();
        texts.add("");
        StringBuilder all = new StringBuilder(COMMON);
        pattern.codePoints().limit(64).forEach(c -> all.appendCodePoint(c));
        String together = all.toString().replace(MARK, "");
        together.codePoints().forEach(c -> texts.add(Character.toString(c)));
        texts.add(together);
        texts.add(new StringBuilder(together).reverse().toString().replaceAll("[\uDC00-\uDFFF][\uD800-\uDBFF]", ""));
        JsonObject vocab = new JsonObject();
        List<String> probes = new ArrayList<>(texts);
        for (int i = 0; i < probes.size(); i++) {
            vocab.addProperty(probes.get(i), i);
        }
        JsonObject pat = new JsonObject();
        pat.addProperty(kind, pattern);
        JsonObject decoder = new JsonObject();
        decoder.addProperty("type", "Replace");
        decoder.add("pattern", pat);
        decoder.addProperty("content", MARK);
        JsonObject probe = new JsonObject();
        probe.add("model", wordLevel(vocab, probes.get(probes.size() - 1)));
        probe.add("decoder", decoder);
        try (HuggingFaceTokenizer t = Tokenizer.load(GSON.toJson(probe), source, PLAIN)) {
            for (int i = 0; i < probes.size(); i++) {
                String text = probes.get(i), replaced = t.decode(new long[] {i}, false);
                if (!fromNonEmptyMatches(text, replaced)) {
                    throw new IllegalArgumentException(source + ": " + path + ".pattern: matches the empty string (in "
                            + GSON.toJson(text) + "), which the library cannot replace safely");
                }
            }
        }
    }

    /** Whether replaced is text with some disjoint non-empty parts each replaced by one MARK. */
    static boolean fromNonEmptyMatches(String text, String replaced) {
        int[] t = text.codePoints().toArray(), r = replaced.codePoints().toArray();
        int mark = MARK.codePointAt(0);
        // can[i][j]: r[i..] can come from t[j..]
        boolean[][] can = new boolean[r.length + 1][t.length + 1];
        can[r.length][t.length] = true;
        for (int i = r.length - 1; i >= 0; i--) {
            for (int j = t.length; j >= 0; j--) {
                if (r[i] == mark) {
                    for (int k = j + 1; k <= t.length && !can[i][j]; k++) {
                        can[i][j] = can[i + 1][k];
                    }
                } else {
                    can[i][j] = j < t.length && t[j] == r[i] && can[i + 1][j + 1];
                }
            }
        }
        return can[0][0];
    }

    /**
     * An added token marked normalized is matched in its normalized form; one that the normalizer
     * turns into nothing (whitespace under Strip, say) matches everywhere, between the bytes of a
     * character too, and the library panics on the first non-ASCII text. Each such token is
     * normalized by a tokenizer made of the file's normalizer alone (no added tokens, a model that
     * makes one token of any text): no ids means nothing left.
     */
    private static void requireNormalizedAddedTokens(JsonObject root, String source) {
        if (!root.has("normalizer") || root.get("normalizer").isJsonNull() || !root.has("added_tokens")) {
            return;
        }
        JsonArray tokens = root.getAsJsonArray("added_tokens");
        HuggingFaceTokenizer normalizer = null;
        try {
            for (int i = 0; i < tokens.size(); i++) {
                JsonObject t = tokens.get(i).getAsJsonObject();
                if (!t.get("normalized").getAsBoolean()) {
                    continue;
                }
                if (normalizer == null) {
                    JsonObject vocab = new JsonObject();
                    vocab.addProperty("[UNK]", 0);
                    JsonObject probe = new JsonObject();
                    probe.add("normalizer", root.get("normalizer"));
                    probe.add("model", wordLevel(vocab, "[UNK]"));
                    normalizer = Tokenizer.load(GSON.toJson(probe), source, PLAIN);
                }
                String content = t.get("content").getAsString();
                if (normalizer.encode(content, false, false).getIds().length == 0) {
                    throw new IllegalArgumentException(source + ": $.added_tokens[" + i + "].content: "
                            + GSON.toJson(content) + " is normalized to nothing by the normalizer, and the library then "
                            + "panics on text that is not ASCII; mark it \"normalized\": false");
                }
            }
        } finally {
            if (normalizer != null) {
                normalizer.close();
            }
        }
    }

    private static JsonObject wordLevel(JsonObject vocab, String unk) {
        JsonObject model = new JsonObject();
        model.addProperty("type", "WordLevel");
        model.add("vocab", vocab);
        model.addProperty("unk_token", unk);
        return model;
    }
}
