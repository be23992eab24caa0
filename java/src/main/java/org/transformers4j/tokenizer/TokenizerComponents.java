package org.transformers4j.tokenizer;

import org.transformers4j.util.JsonFields;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * The normalizer, pre_tokenizer, post_processor and decoder of a tokenizer.json, checked against
 * the serde formats of tokenizers 0.21: for each {@code type} the library knows, the keys it reads
 * with their JSON types and ranges (required, optional, or defaulted where an explicit null is an
 * error). Beyond the types, the values the library accepts and then panics on:
 * <ul>
 * <li>a decoder Strip with {@code stop} above 0 indexes before the start of a short token;
 * <li>a pre_tokenizer FixedLength of {@code length} 0 splits into chunks of 0;
 * <li>a normalizer Prepend of "" misaligns the text, and a later step indexes past it (a Replace
 *     whose pattern matches the empty string does too: {@link NativeChecks} refuses it);
 * <li>a TemplateProcessing whose single template uses sequence B, or that names a special token
 *     missing from its special_tokens, indexes what is not there (the library checks neither
 *     when it reads the file); a second TemplateProcessing after a first in a Sequence hits a
 *     todo!();
 * <li>a Precompiled normalizer whose charsmap does not parse or whose trie points outside
 *     itself ({@link PrecompiledCharsmap}).
 * </ul>
 */
final class TokenizerComponents {
    private static final Set<String> TYPE_ONLY = Set.of("type");
    private static final Set<String> BEHAVIORS = Set.of("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext",
            "Contiguous");
    private static final Set<String> BYTE_LEVEL = Set.of("type", "add_prefix_space", "trim_offsets", "use_regex");
    private static final Set<String> METASPACE = Set.of("type", "replacement", "add_prefix_space", "prepend_scheme",
            "split", "str_rep");

    private TokenizerComponents() {
    }

    /** Checks top's key with check when it is present and not null (the components are optional). */
    static void optional(JsonFields top, String key, Consumer<JsonFields> check) {
        if (top.has(key)) {
            check.accept(top.object(key));
        }
    }

    /**
     * Checks a normalizer; returns how many times longer it can make a text at most (chained
     * steps multiply: nine Replace steps each inserting a dozen characters make a text 12^9 times
     * longer, and the library runs out of time, then memory, and aborts). Refused above
     * {@link #MAX_GROWTH}.
     */
    static double normalizer(JsonFields n) {
        return requireGrowth(n, normalizerGrowth(n));
    }

    private static double normalizerGrowth(JsonFields n) {
        String type = n.oneOf("type", Set.of("BertNormalizer", "Strip", "StripAccents", "NFC", "NFD", "NFKC", "NFKD",
                "Sequence", "Lowercase", "Nmt", "Precompiled", "Replace", "Prepend", "ByteLevel"));
        switch (type) {
            case "BertNormalizer" -> {
                n.only(Set.of("type", "clean_text", "handle_chinese_chars", "strip_accents", "lowercase"));
                n.bool("clean_text");
                n.optionalBool("strip_accents");
                n.bool("lowercase");
                return n.bool("handle_chinese_chars") ? 3 : 1; // spaces around each Chinese character
            }
            case "Strip" -> {
                n.only(Set.of("type", "strip_left", "strip_right"));
                n.bool("strip_left");
                n.bool("strip_right");
            }
            case "Sequence" -> {
                n.only(Set.of("type", "normalizers"));
                return each(n, "normalizers", TokenizerComponents::normalizer);
            }
            case "Precompiled" -> {
                n.only(Set.of("type", "precompiled_charsmap"));
                return PrecompiledCharsmap.check(n.string("precompiled_charsmap"), n.at("precompiled_charsmap"),
                        n.source());
            }
            case "Replace" -> {
                replace(n); // its pattern matching the empty string is refused by NativeChecks
                return replaceGrowth(n);
            }
            case "Prepend" -> {
                n.only(Set.of("type", "prepend"));
                String prepend = n.string("prepend");
                if (prepend.isEmpty()) {
                    throw n.fail("prepend", "must not be empty: prepending nothing corrupts the library's offsets "
                            + "and a later step panics");
                }
                return 1 + prepend.codePointCount(0, prepend.length());
            }
            case "ByteLevel" -> {
                n.only(TYPE_ONLY);
                return 4; // a character per byte
            }
            default -> n.only(TYPE_ONLY);
        }
        return 1;
    }

    static void preTokenizer(JsonFields p) {
        String type = p.oneOf("type", Set.of("BertPreTokenizer", "ByteLevel", "CharDelimiterSplit", "Metaspace",
                "Whitespace", "Sequence", "Split", "Punctuation", "WhitespaceSplit", "Digits", "UnicodeScripts",
                "FixedLength"));
        switch (type) {
            case "ByteLevel" -> byteLevel(p);
            case "CharDelimiterSplit" -> {
                p.only(Set.of("type", "delimiter"));
                p.character("delimiter");
            }
            case "Metaspace" -> metaspace(p);
            case "Sequence" -> {
                p.only(Set.of("type", "pretokenizers"));
                each(p, "pretokenizers", q -> {
                    preTokenizer(q);
                    return 1;
                });
            }
            case "Split" -> {
                p.only(Set.of("type", "pattern", "behavior", "invert"));
                pattern(p);
                p.oneOf("behavior", BEHAVIORS);
                p.bool("invert");
            }
            case "Punctuation" -> {
                p.only(Set.of("type", "behavior"));
                p.oneOfOr("behavior", BEHAVIORS, "Isolated");
            }
            case "Digits" -> {
                p.only(Set.of("type", "individual_digits"));
                p.bool("individual_digits");
            }
            case "FixedLength" -> {
                p.only(Set.of("type", "length"));
                if (p.unsignedOr("length", TokenizerJson.MAX_USIZE, 5) == 0) {
                    throw p.fail("length", "must be at least 1");
                }
            }
            default -> p.only(TYPE_ONLY);
        }
    }

    /**
     * The post_processor. A template turns its input into one part per piece, and a second
     * template (later in a Sequence) given other than one or two parts hits the library's
     * todo!() (a panic): one TemplateProcessing per chain.
     */
    static void postProcessor(JsonFields p) {
        postProcessor(p, new int[1]);
    }

    private static void postProcessor(JsonFields p, int[] templates) {
        String type = p.oneOf("type", Set.of("RobertaProcessing", "BertProcessing", "ByteLevel", "TemplateProcessing",
                "Sequence"));
        switch (type) {
            case "RobertaProcessing" -> {
                p.only(Set.of("type", "sep", "cls", "trim_offsets", "add_prefix_space"));
                stringAndId(p.require("sep"), p.at("sep"), p.source());
                stringAndId(p.require("cls"), p.at("cls"), p.source());
                p.bool("trim_offsets");
                p.bool("add_prefix_space");
            }
            case "BertProcessing" -> {
                p.only(Set.of("type", "sep", "cls"));
                stringAndId(p.require("sep"), p.at("sep"), p.source());
                stringAndId(p.require("cls"), p.at("cls"), p.source());
            }
            case "ByteLevel" -> byteLevel(p);
            case "TemplateProcessing" -> {
                if (templates[0]++ > 0) {
                    throw JsonFields.fail(p.source(), p.path(), "is a second TemplateProcessing in one chain, which "
                            + "the library cannot run (it gets the first one's parts)");
                }
                template(p);
            }
            default -> {
                p.only(Set.of("type", "processors"));
                each(p, "processors", q -> {
                    postProcessor(q, templates);
                    return 1;
                });
            }
        }
    }

    /** Checks a decoder; returns how many times longer it can make the text at most (see {@link #normalizer}). */
    static double decoder(JsonFields d) {
        return requireGrowth(d, decoderGrowth(d));
    }

    private static double decoderGrowth(JsonFields d) {
        String type = d.oneOf("type", Set.of("BPEDecoder", "ByteLevel", "WordPiece", "Metaspace", "CTC", "Sequence",
                "Replace", "Fuse", "Strip", "ByteFallback"));
        switch (type) {
            case "BPEDecoder" -> {
                d.only(Set.of("type", "suffix"));
                return d.string("suffix").isEmpty() ? 2 : 1; // an empty suffix is replaced between every character
            }
            case "ByteLevel" -> byteLevel(d);
            case "WordPiece" -> {
                d.only(Set.of("type", "prefix", "cleanup"));
                d.string("prefix");
                d.bool("cleanup");
                return 2; // a space before each token
            }
            case "Metaspace" -> metaspace(d);
            case "CTC" -> {
                d.only(Set.of("type", "pad_token", "word_delimiter_token", "cleanup"));
                d.string("pad_token");
                boolean empty = d.string("word_delimiter_token").isEmpty();
                return d.bool("cleanup") && empty ? 2 : 1; // an empty delimiter is replaced between every character
            }
            case "Sequence" -> {
                d.only(Set.of("type", "decoders"));
                return each(d, "decoders", TokenizerComponents::decoder);
            }
            case "Replace" -> {
                replace(d);
                return replaceGrowth(d);
            }
            case "Strip" -> {
                d.only(Set.of("type", "content", "start", "stop"));
                d.character("content");
                d.unsigned("start", TokenizerJson.MAX_USIZE);
                if (d.unsigned("stop", TokenizerJson.MAX_USIZE) != 0) {
                    throw d.fail("stop", "must be 0: stripping from the end panics in the library on tokens "
                            + "shorter than stop");
                }
            }
            default -> d.only(TYPE_ONLY);
        }
        return 1;
    }

    /** Each element of the array at key, as an object, checked by check; the product of their growths. */
    private static double each(JsonFields parent, String key, ToDoubleFunction<JsonFields> check) {
        JsonArray items = parent.array(key);
        double growth = 1;
        for (int i = 0; i < items.size(); i++) {
            growth *= check.applyAsDouble(JsonFields.of(items.get(i), parent.at(key) + "[" + i + "]", parent.source()));
        }
        return growth;
    }

    /** The longest a text can grow through normalizers or decoders: generous for real files (2 to 20). */
    static final double MAX_GROWTH = 1024;

    private static double requireGrowth(JsonFields f, double growth) {
        if (growth > MAX_GROWTH) {
            throw JsonFields.fail(f.source(), f.path(), "can make a text up to " + (growth > 1e12 ? "more than 10^12"
                    : String.format("%.0f", growth)) + " times longer (its steps multiply), more than the "
                    + (int) MAX_GROWTH + " this library allows");
        }
        return growth;
    }

    /** A replacement: content for every match of at least one character (the empty match is refused). */
    private static double replaceGrowth(JsonFields f) {
        JsonFields pattern = f.object("pattern");
        String kind = pattern.json().keySet().iterator().next();
        String p = pattern.string(kind), content = f.string("content");
        int match = kind.equals("String") ? p.codePointCount(0, p.length()) : 1;
        return Math.max(1.0, (double) content.codePointCount(0, content.length()) / match);
    }

    /** A two-element array [string, unsigned integer] (a Rust (String, u32) tuple). */
    private static void stringAndId(JsonElement e, String path, String source) {
        JsonArray a = JsonFields.array(e, path, source);
        if (a.size() != 2) {
            throw JsonFields.fail(source, path, "must be [token, id], got " + JsonFields.describe(e));
        }
        JsonFields.string(a.get(0), path + "[0]", source);
        JsonFields.unsigned(a.get(1), path + "[1]", source, TokenizerJson.MAX_U32);
    }

    private static void byteLevel(JsonFields f) {
        f.only(BYTE_LEVEL);
        f.bool("add_prefix_space");
        f.bool("trim_offsets");
        f.boolOr("use_regex", true);
    }

    private static void metaspace(JsonFields f) {
        f.only(METASPACE);
        f.character("replacement");
        Boolean addPrefixSpace = f.optionalBool("add_prefix_space");
        String scheme = f.oneOfOr("prepend_scheme", Set.of("first", "never", "always"), "always");
        f.optionalBool("split");
        f.optionalString("str_rep");
        if (Boolean.FALSE.equals(addPrefixSpace) && !scheme.equals("never")) {
            throw f.fail("add_prefix_space", "false contradicts prepend_scheme \"" + scheme + "\"");
        }
    }

    private static void replace(JsonFields f) {
        f.only(Set.of("type", "pattern", "content"));
        pattern(f);
        f.string("content");
    }

    /** A pattern: {"String": "..."} or {"Regex": "..."}. */
    private static void pattern(JsonFields f) {
        JsonFields pattern = f.object("pattern");
        if (pattern.json().size() != 1) {
            throw f.fail("pattern", "must have one key, String or Regex, got " + pattern.json().keySet());
        }
        String kind = pattern.json().keySet().iterator().next();
        pattern.only(Set.of("String", "Regex"));
        if (pattern.string(kind).isEmpty()) {
            throw f.fail("pattern", "must not be empty: the empty pattern matches between every two characters");
        }
    }

    private static void template(JsonFields p) {
        p.only(Set.of("type", "single", "pair", "special_tokens"));
        JsonFields specials = p.object("special_tokens");
        for (Map.Entry<String, JsonElement> e : specials.json().entrySet()) {
            JsonFields t = JsonFields.of(e.getValue(), specials.at(e.getKey()), p.source());
            t.only(Set.of("id", "ids", "tokens"));
            t.string("id");
            JsonArray ids = t.array("ids"), tokens = t.array("tokens");
            for (int i = 0; i < ids.size(); i++) {
                JsonFields.unsigned(ids.get(i), t.at("ids") + "[" + i + "]", p.source(), TokenizerJson.MAX_U32);
            }
            for (int i = 0; i < tokens.size(); i++) {
                JsonFields.string(tokens.get(i), t.at("tokens") + "[" + i + "]", p.source());
            }
            if (ids.size() != tokens.size()) {
                throw t.fail("tokens", "must be as many as ids (" + ids.size() + "), got " + tokens.size());
            }
        }
        pieces(p, "single", specials.json().keySet(), false);
        pieces(p, "pair", specials.json().keySet(), true);
    }

    /**
     * A template: pieces {"Sequence": {"id": "A"|"B", "type_id": n}} or {"SpecialToken": {"id": s,
     * "type_id": n}}. Each sequence appears at most once: every appearance copies the whole text.
     */
    private static void pieces(JsonFields p, String key, Set<String> specials, boolean pair) {
        Set<String> used = new HashSet<>();
        JsonArray pieces = p.array(key);
        for (int i = 0; i < pieces.size(); i++) {
            JsonFields piece = JsonFields.of(pieces.get(i), p.at(key) + "[" + i + "]", p.source());
            piece.only(Set.of("Sequence", "SpecialToken"));
            if (piece.json().size() != 1) {
                throw JsonFields.fail(p.source(), piece.path(), "must have one key, Sequence or SpecialToken, got "
                        + piece.json().keySet());
            }
            String kind = piece.json().keySet().iterator().next();
            JsonFields body = piece.object(kind);
            body.only(Set.of("id", "type_id"));
            body.unsigned("type_id", TokenizerJson.MAX_U32);
            if (kind.equals("Sequence")) {
                String id = body.oneOf("id", Set.of("A", "B"));
                if (!pair && id.equals("B")) {
                    throw body.fail("id", "must be A: a single text has no sequence B");
                }
                if (!used.add(id)) {
                    throw body.fail("id", "repeats sequence " + id + ": each sequence appears once in a template");
                }
            } else {
                String id = body.string("id");
                if (!specials.contains(id)) {
                    throw body.fail("id", "names the special token \"" + id + "\", which special_tokens does not define");
                }
            }
        }
    }
}
