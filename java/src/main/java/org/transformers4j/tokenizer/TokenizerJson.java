package org.transformers4j.tokenizer;

import org.transformers4j.util.JsonFields;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.transformers4j.checkpoint.files.StrictJson;

/**
 * The checks a tokenizer.json passes before the native tokenizers library (Hugging Face's Rust
 * tokenizers 0.21, behind JNI) sees it. A Rust panic aborts the whole JVM, so the file is parsed
 * strictly here and every part is checked against the format that version reads: the top-level
 * keys; each component's {@code type} and its fields' JSON types and ranges (normalizer,
 * pre_tokenizer, model, post_processor, decoder, added_tokens, truncation, padding); and the
 * values known to make the library panic while loading, encoding or decoding even though it
 * accepts them (see {@link TokenizerComponents} and {@link PrecompiledCharsmap}). Keys the
 * library does not know are refused as well: they mean a format it would silently misread. Every
 * refusal is an {@link IllegalArgumentException} naming the file and the JSON path.
 */
public final class TokenizerJson {
    static final long MAX_U32 = 0xFFFF_FFFFL;
    /** Rust's usize, as far as a Java long reaches. */
    static final long MAX_USIZE = Long.MAX_VALUE;

    private static final Set<String> TOP = Set.of("version", "truncation", "padding", "added_tokens", "normalizer",
            "pre_tokenizer", "post_processor", "decoder", "model");
    private static final Set<String> ADDED_TOKEN = Set.of("id", "content", "single_word", "lstrip", "rstrip",
            "normalized", "special");
    private static final Set<String> DIRECTIONS = Set.of("Left", "Right");

    private TokenizerJson() {
    }

    /**
     * Parses and checks tokenizer.json text; source names it in messages (the file's path, or
     * "tokenizer.json"). Returns the checked JSON.
     *
     * @param text the tokenizer.json text
     * @param source what it came from, for messages
     * @return the parsed file
     */
    public static JsonObject check(String text, String source) {
        JsonElement root = StrictJson.parse(text, source);
        JsonFields top = JsonFields.of(root, "$", source);
        top.only(TOP);
        if (top.get("version") != null) {
            String version = JsonFields.string(top.get("version"), top.at("version"), source);
            if (!version.equals("1.0")) {
                throw top.fail("version", "must be \"1.0\", the only version this library reads, got \"" + version + "\"");
            }
        }
        truncation(top);
        padding(top);
        model(top.object("model"));
        TokenizerComponents.optional(top, "normalizer", TokenizerComponents::normalizer);
        addedTokens(top);
        TokenizerComponents.optional(top, "pre_tokenizer", TokenizerComponents::preTokenizer);
        TokenizerComponents.optional(top, "post_processor", TokenizerComponents::postProcessor);
        TokenizerComponents.optional(top, "decoder", TokenizerComponents::decoder);
        return root.getAsJsonObject();
    }

    private static void truncation(JsonFields top) {
        if (!top.has("truncation")) {
            return;
        }
        JsonFields t = top.object("truncation");
        t.only(Set.of("direction", "max_length", "strategy", "stride"));
        t.oneOfOr("direction", DIRECTIONS, "Right");
        t.oneOf("strategy", Set.of("LongestFirst", "OnlyFirst", "OnlySecond"));
        long max = t.unsigned("max_length", MAX_USIZE);
        long stride = t.unsigned("stride", MAX_USIZE);
        if (stride != 0 && stride >= max) { // the library asserts stride < max_length while encoding
            throw t.fail("stride", "must be less than max_length " + max + ", got " + stride);
        }
    }

    private static void padding(JsonFields top) {
        if (!top.has("padding")) {
            return;
        }
        JsonFields p = top.object("padding");
        p.only(Set.of("strategy", "direction", "pad_to_multiple_of", "pad_id", "pad_type_id", "pad_token"));
        JsonElement strategy = p.require("strategy");
        if (strategy.isJsonObject()) {
            JsonFields fixed = JsonFields.of(strategy, p.at("strategy"), p.source());
            fixed.only(Set.of("Fixed"));
            fixed.unsigned("Fixed", MAX_USIZE);
        } else {
            JsonFields.oneOf(strategy, p.at("strategy"), p.source(), Set.of("BatchLongest"));
        }
        p.oneOf("direction", DIRECTIONS);
        p.optionalUnsigned("pad_to_multiple_of", MAX_USIZE);
        p.unsigned("pad_id", MAX_U32);
        p.unsigned("pad_type_id", MAX_U32);
        p.string("pad_token");
    }

    private static void addedTokens(JsonFields top) {
        if (top.get("added_tokens") == null) {
            return;
        }
        JsonArray tokens = top.array("added_tokens");
        List<JsonFields> checked = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            JsonFields t = JsonFields.of(tokens.get(i), top.at("added_tokens") + "[" + i + "]", top.source());
            t.only(ADDED_TOKEN);
            t.unsigned("id", MAX_U32);
            if (t.string("content").isEmpty()) {
                throw t.fail("content", "must not be empty");
            }
            for (String flag : new String[] {"single_word", "lstrip", "rstrip", "normalized", "special"}) {
                t.bool(flag);
            }
            checked.add(t);
        }
        requireNoStripOverlap(checked, top.has("normalizer") && mayMakeWhitespace(top.get("normalizer")));
    }

    /**
     * A token with rstrip takes the whitespace after it; a token made only of whitespace with
     * lstrip, matched inside that whitespace, then gets a span that ends before it starts, and
     * the library panics ("AddedVocabulary bad split"). A token matched in normalized form
     * counts as whitespace when the normalizer can turn text into whitespace.
     */
    private static void requireNoStripOverlap(List<JsonFields> tokens, boolean normalizerMakesWhitespace) {
        for (JsonFields y : tokens) {
            String content = y.string("content");
            boolean whitespace = content.codePoints().allMatch(TokenizerJson::isWhitespace)
                    || (normalizerMakesWhitespace && y.bool("normalized"));
            if (!y.bool("lstrip") || !whitespace) {
                continue;
            }
            for (JsonFields x : tokens) {
                if (x != y && x.bool("rstrip")) {
                    throw y.fail("lstrip", "must be false for a token that is (or may normalize to) whitespace while "
                            + x.path() + " has rstrip: the library cannot split text where both apply");
                }
            }
        }
    }

    /** Whether a normalizer has a step that can put whitespace where there was none. */
    private static boolean mayMakeWhitespace(JsonElement normalizer) {
        JsonObject n = normalizer.getAsJsonObject();
        String type = n.get("type").getAsString();
        if (type.equals("Sequence")) {
            for (JsonElement e : n.getAsJsonArray("normalizers")) {
                if (mayMakeWhitespace(e)) {
                    return true;
                }
            }
            return false;
        }
        return Set.of("Replace", "Precompiled", "Nmt", "Prepend").contains(type);
    }

    /** Rust's char::is_whitespace (Unicode White_Space), which the library's \\s follows. */
    static boolean isWhitespace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    private static void model(JsonFields m) {
        String type = m.oneOf("type", Set.of("BPE", "WordPiece", "WordLevel", "Unigram"));
        switch (type) {
            case "BPE" -> bpe(m);
            case "WordPiece" -> {
                m.only(Set.of("type", "unk_token", "continuing_subword_prefix", "max_input_chars_per_word", "vocab"));
                m.string("unk_token");
                m.string("continuing_subword_prefix");
                m.unsigned("max_input_chars_per_word", MAX_USIZE);
                vocab(m);
            }
            case "WordLevel" -> {
                m.only(Set.of("type", "vocab", "unk_token"));
                vocab(m);
                m.string("unk_token");
            }
            default -> unigram(m);
        }
    }

    /** A vocabulary object: token to id. */
    private static JsonObject vocab(JsonFields m) {
        JsonFields vocab = m.object("vocab");
        for (Map.Entry<String, JsonElement> e : vocab.json().entrySet()) {
            JsonFields.unsigned(e.getValue(), vocab.at(e.getKey()), m.source(), MAX_U32);
        }
        return vocab.json();
    }

    private static void bpe(JsonFields m) {
        m.only(Set.of("type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk",
                "byte_fallback", "ignore_merges", "vocab", "merges"));
        if (m.has("dropout")) {
            double p = JsonFields.number(m.get("dropout"), m.at("dropout"), m.source());
            if (!(p >= 0 && p <= 1)) {
                throw m.fail("dropout", "must be in [0, 1], got " + p);
            }
        }
        m.optionalString("unk_token");
        String prefix = m.optionalString("continuing_subword_prefix");
        m.optionalString("end_of_word_suffix");
        m.optionalBool("fuse_unk");
        m.optionalBool("byte_fallback");
        m.optionalBool("ignore_merges");
        JsonObject vocab = vocab(m);
        JsonArray merges = m.array("merges");
        boolean pairs = !merges.isEmpty() && merges.get(0).isJsonArray();
        for (int i = 0; i < merges.size(); i++) {
            String at = m.at("merges") + "[" + i + "]";
            String[] merge = pairs ? mergePair(merges.get(i), at, m.source()) : mergeLine(merges.get(i), at, m.source());
            if (merge != null) {
                checkMerge(merge, prefix, vocab, at, m.source());
            }
        }
    }

    /** A merge as ["a", "b"]. */
    private static String[] mergePair(JsonElement e, String at, String source) {
        JsonArray a = JsonFields.array(e, at, source);
        if (a.size() != 2) {
            throw JsonFields.fail(source, at, "must be a pair [\"a\", \"b\"] like the merges before it, got "
                    + JsonFields.describe(e));
        }
        return new String[] {JsonFields.string(a.get(0), at + "[0]", source), JsonFields.string(a.get(1), at + "[1]", source)};
    }

    /** A merge as "a b" (the older format); null for a "#version" line, which the library skips. */
    private static String[] mergeLine(JsonElement e, String at, String source) {
        String line = JsonFields.string(e, at, source);
        if (line.startsWith("#version")) {
            return null;
        }
        String[] parts = line.split(" ", -1);
        if (parts.length != 2) {
            throw JsonFields.fail(source, at, "must be two tokens separated by one space, got \"" + line + "\"");
        }
        return parts;
    }

    /**
     * Both tokens of a merge and their concatenation must be in the vocabulary. The library cuts
     * the continuing_subword_prefix off the second token by byte count without checking its
     * length: a shorter token (or a cut inside a character) panics.
     */
    private static void checkMerge(String[] merge, String prefix, JsonObject vocab, String at, String source) {
        for (String token : merge) {
            if (!vocab.has(token)) {
                throw JsonFields.fail(source, at, "the token \"" + token + "\" is not in the vocabulary");
            }
        }
        String second = merge[1];
        if (prefix != null && !prefix.isEmpty()) {
            byte[] bytes = second.getBytes(StandardCharsets.UTF_8);
            int cut = prefix.getBytes(StandardCharsets.UTF_8).length;
            if (cut > bytes.length || (cut < bytes.length && (bytes[cut] & 0xC0) == 0x80)) {
                throw JsonFields.fail(source, at, "the second token \"" + second + "\" must start with the "
                        + "continuing_subword_prefix \"" + prefix + "\"");
            }
            second = new String(bytes, cut, bytes.length - cut, StandardCharsets.UTF_8);
        }
        if (!vocab.has(merge[0] + second)) {
            throw JsonFields.fail(source, at, "the merged token \"" + merge[0] + second + "\" is not in the vocabulary");
        }
    }

    private static void unigram(JsonFields m) {
        m.only(Set.of("type", "vocab", "unk_id", "byte_fallback"));
        JsonArray vocab = m.array("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            String at = m.at("vocab") + "[" + i + "]";
            JsonArray piece = JsonFields.array(vocab.get(i), at, m.source());
            if (piece.size() != 2) {
                throw JsonFields.fail(m.source(), at, "must be [token, score], got " + JsonFields.describe(vocab.get(i)));
            }
            JsonFields.string(piece.get(0), at + "[0]", m.source());
            JsonFields.number(piece.get(1), at + "[1]", m.source());
        }
        long unk = m.optionalUnsigned("unk_id", MAX_USIZE);
        if (unk >= 0 && unk >= vocab.size()) {
            throw m.fail("unk_id", "must be an index into the " + vocab.size() + " pieces of the vocabulary, got " + unk);
        }
        m.boolOr("byte_fallback", false);
    }
}
