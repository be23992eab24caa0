package org.transformers4j.fuzz;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.tokenizer.TokenizerJson;

/**
 * Fuzz target for the native tokenizers library behind the checks: the bytes choose a
 * tokenizer.json part by part (model, vocabulary, merges, normalizers, pre-tokenizers, templates,
 * decoders, added tokens, with awkward strings and edge-case numbers) and the texts to encode, so
 * that most inputs pass {@link TokenizerJson#check} and reach the library, unlike mutated JSON
 * bytes ({@link TokenizerJsonTarget}). Refusals (ours or the library's) are
 * IllegalArgumentExceptions; a crash of the JVM (a Rust panic) is a finding.
 */
public final class TokenizerPartsTarget {
    private static final String[] REGEXES = {"\\s+", "\\p{L}+", "", "a*", "(?=a)", "\\b", ".", "[^\\s]+", "x?",
        "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", "(?i)A", "\\X", "^", "$",
        "(a|ab)(c|bcd)(d*)", "[\\u0300-\\u036f]", "\\p{M}", "(?<=\\s)"};
    private static final String[] BEHAVIORS = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext",
        "Contiguous"};

    private TokenizerPartsTarget() {
    }

    /** One input: refused with an IllegalArgumentException, or run through to the end. */
    public static void fuzzerTestOneInput(byte[] data) {
        FuzzBytes in = new FuzzBytes(data);
        JsonObject json;
        List<String> texts = new ArrayList<>();
        try {
            json = tokenizer(in);
            for (int i = 0; i < 3; i++) {
                texts.add(in.text(12));
            }
            TokenizerJson.check(json.toString(), "tokenizer.json");
        } catch (IllegalArgumentException refused) {
            return;
        }
        try (Tokenizer t = Tokenizer.fromJson(json.toString())) {
            for (String s : texts) {
                Encoding e = t.encode(s);
                t.decode(e.ids(), true);
                t.decode(e.ids(), false);
            }
            t.encode(texts.get(0), texts.get(1));
            long[] ids = new long[in.choose(8)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = in.number();
            }
            t.decode(ids, in.bool());
        } catch (IllegalArgumentException refused) {
            // the library's own refusals
        }
    }

    static JsonObject tokenizer(FuzzBytes in) {
        List<String> vocab = vocabulary(in);
        JsonObject t = new JsonObject();
        t.add("model", model(in, vocab));
        t.add("normalizer", in.choose(3) == 0 ? JsonNull.INSTANCE : normalizer(in, 2));
        t.add("pre_tokenizer", in.choose(4) == 0 ? JsonNull.INSTANCE : preTokenizer(in, 2));
        t.add("post_processor", in.choose(3) == 0 ? JsonNull.INSTANCE : postProcessor(in, vocab, 2));
        t.add("decoder", in.choose(3) == 0 ? JsonNull.INSTANCE : decoder(in, 2));
        t.add("added_tokens", addedTokens(in));
        if (in.choose(4) == 0) {
            JsonObject tr = new JsonObject();
            tr.addProperty("direction", in.bool() ? "Left" : "Right");
            long max = in.number();
            tr.addProperty("max_length", max);
            tr.addProperty("strategy", in.pick(new String[] {"LongestFirst", "OnlyFirst", "OnlySecond"}));
            tr.addProperty("stride", max == 0 ? 0 : in.number() % max);
            t.add("truncation", tr);
        }
        return t;
    }

    static List<String> vocabulary(FuzzBytes in) {
        Set<String> v = new LinkedHashSet<>();
        if (in.bool()) {
            v.add("[UNK]");
        }
        int n = 1 + in.choose(40);
        for (int i = 0; i < n; i++) {
            v.add(in.token());
        }
        return new ArrayList<>(v);
    }

    static JsonObject vocabMap(FuzzBytes in, List<String> vocab) {
        JsonObject m = new JsonObject();
        boolean shuffled = in.choose(4) == 0;
        for (int i = 0; i < vocab.size(); i++) {
            m.addProperty(vocab.get(i), shuffled ? in.number() % 64 : i);
        }
        return m;
    }

    static JsonObject model(FuzzBytes in, List<String> vocab) {
        JsonObject m = new JsonObject();
        switch (in.choose(4)) {
            case 0 -> {
                m.addProperty("type", "WordLevel");
                m.add("vocab", vocabMap(in, vocab));
                m.addProperty("unk_token", in.bool() ? vocab.get(in.choose(vocab.size())) : in.token());
            }
            case 1 -> {
                m.addProperty("type", "WordPiece");
                m.add("vocab", vocabMap(in, vocab));
                m.addProperty("unk_token", vocab.get(in.choose(vocab.size())));
                m.addProperty("continuing_subword_prefix", in.pick(new String[] {"##", "", "\u2581", in.token()}));
                m.addProperty("max_input_chars_per_word", in.number());
            }
            case 2 -> bpe(in, vocab, m);
            default -> {
                m.addProperty("type", "Unigram");
                JsonArray pieces = new JsonArray();
                for (String token : vocab) {
                    JsonArray p = new JsonArray();
                    p.add(token);
                    p.add(-in.next() / 10.0);
                    pieces.add(p);
                }
                m.add("vocab", pieces);
                if (in.bool()) {
                    m.addProperty("unk_id", in.choose(vocab.size()));
                }
                m.addProperty("byte_fallback", in.bool());
            }
        }
        return m;
    }

    /** A BPE whose merges are built to be valid: b is the prefix plus a token, and a + token is added. */
    static void bpe(FuzzBytes in, List<String> vocab, JsonObject m) {
        String prefix = in.choose(3) == 0 ? in.pick(new String[] {"##", "\u2581", "é"}) : null;
        List<String> all = new ArrayList<>(vocab);
        JsonArray merges = new JsonArray();
        boolean lines = in.bool();
        int n = in.choose(12);
        for (int i = 0; i < n; i++) {
            String a = all.get(in.choose(all.size())), x = all.get(in.choose(all.size()));
            String b = prefix == null ? x : prefix + x;
            for (String token : new String[] {b, a + x}) {
                if (!all.contains(token)) {
                    all.add(token);
                }
            }
            if (lines && !a.contains(" ") && !b.contains(" ")) {
                merges.add(a + " " + b);
            } else {
                JsonArray pair = new JsonArray();
                pair.add(a);
                pair.add(b);
                merges.add(pair);
            }
        }
        if (lines && merges.isEmpty()) {
            merges.add("#version: 0.2");
        }
        m.addProperty("type", "BPE");
        if (in.bool()) {
            m.addProperty("dropout", in.next() / 255.0);
        }
        m.addProperty("unk_token", in.bool() ? vocab.get(in.choose(vocab.size())) : null);
        m.addProperty("continuing_subword_prefix", prefix);
        m.addProperty("end_of_word_suffix", in.choose(4) == 0 ? in.token() : null);
        m.addProperty("fuse_unk", in.bool());
        m.addProperty("byte_fallback", in.bool());
        m.addProperty("ignore_merges", in.bool());
        m.add("vocab", vocabMap(in, all));
        m.add("merges", merges);
    }

    static JsonObject typed(String type) {
        JsonObject o = new JsonObject();
        o.addProperty("type", type);
        return o;
    }

    static JsonObject pattern(FuzzBytes in) {
        JsonObject p = new JsonObject();
        if (in.bool()) {
            p.addProperty("Regex", in.pick(REGEXES));
        } else {
            p.addProperty("String", in.text(2));
        }
        return p;
    }

    static JsonObject normalizer(FuzzBytes in, int depth) {
        String[] types = {"BertNormalizer", "Strip", "StripAccents", "NFC", "NFD", "NFKC", "NFKD", "Lowercase", "Nmt",
            "ByteLevel", "Replace", "Prepend", "Precompiled", "Sequence"};
        String type = types[in.choose(depth > 0 ? types.length : types.length - 1)];
        JsonObject n = typed(type);
        switch (type) {
            case "BertNormalizer" -> {
                n.addProperty("clean_text", in.bool());
                n.addProperty("handle_chinese_chars", in.bool());
                n.addProperty("strip_accents", in.choose(3) == 0 ? null : in.bool());
                n.addProperty("lowercase", in.bool());
            }
            case "Strip" -> {
                n.addProperty("strip_left", in.bool());
                n.addProperty("strip_right", in.bool());
            }
            case "Replace" -> {
                n.add("pattern", pattern(in));
                n.addProperty("content", in.text(2));
            }
            case "Prepend" -> n.addProperty("prepend", in.text(2));
            case "Precompiled" -> n.addProperty("precompiled_charsmap", charsmap(in));
            case "Sequence" -> {
                JsonArray items = new JsonArray();
                for (int i = in.choose(4); i > 0; i--) {
                    items.add(normalizer(in, depth - 1));
                }
                n.add("normalizers", items);
            }
            default -> {
            }
        }
        return n;
    }

    /** A valid charsmap: single bytes 1..127 mapped to fuzzed replacements (see TokenizerJsonCases). */
    static String charsmap(FuzzBytes in) {
        int[] units = new int[512];
        units[0] = 256 << 10;
        StringBuilder strings = new StringBuilder();
        for (int i = in.choose(8); i > 0; i--) {
            int c = 1 + in.choose(127);
            if (units[256 ^ c] != 0) {
                continue;
            }
            units[256 ^ c] = c | (1 << 8) | (256 << 10);
            units[c] = (1 << 31) | strings.toString().getBytes(StandardCharsets.UTF_8).length;
            strings.append(in.text(2).replace("\u0000", "")).append('\0');
        }
        byte[] tail = strings.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * units.length + tail.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4 * units.length);
        for (int u : units) {
            b.putInt(u);
        }
        b.put(tail);
        return Base64.getEncoder().encodeToString(b.array());
    }

    static JsonObject byteLevel(FuzzBytes in) {
        JsonObject b = typed("ByteLevel");
        b.addProperty("add_prefix_space", in.bool());
        b.addProperty("trim_offsets", in.bool());
        b.addProperty("use_regex", in.bool());
        return b;
    }

    static JsonObject metaspace(FuzzBytes in) {
        JsonObject m = typed("Metaspace");
        m.addProperty("replacement", in.bool() ? "\u2581" : in.character());
        String scheme = in.pick(new String[] {"first", "never", "always"});
        m.addProperty("prepend_scheme", scheme);
        m.addProperty("split", in.bool());
        return m;
    }

    static JsonObject preTokenizer(FuzzBytes in, int depth) {
        String[] types = {"BertPreTokenizer", "ByteLevel", "CharDelimiterSplit", "Metaspace", "Whitespace", "Split",
            "Punctuation", "WhitespaceSplit", "Digits", "UnicodeScripts", "FixedLength", "Sequence"};
        String type = types[in.choose(depth > 0 ? types.length : types.length - 1)];
        return switch (type) {
            case "ByteLevel" -> byteLevel(in);
            case "Metaspace" -> metaspace(in);
            case "CharDelimiterSplit" -> {
                JsonObject p = typed(type);
                p.addProperty("delimiter", in.character());
                yield p;
            }
            case "Split" -> {
                JsonObject p = typed(type);
                p.add("pattern", pattern(in));
                p.addProperty("behavior", in.pick(BEHAVIORS));
                p.addProperty("invert", in.bool());
                yield p;
            }
            case "Punctuation" -> {
                JsonObject p = typed(type);
                p.addProperty("behavior", in.pick(BEHAVIORS));
                yield p;
            }
            case "Digits" -> {
                JsonObject p = typed(type);
                p.addProperty("individual_digits", in.bool());
                yield p;
            }
            case "FixedLength" -> {
                JsonObject p = typed(type);
                p.addProperty("length", 1 + in.number() % 7);
                yield p;
            }
            case "Sequence" -> {
                JsonObject p = typed(type);
                JsonArray items = new JsonArray();
                for (int i = in.choose(4); i > 0; i--) {
                    items.add(preTokenizer(in, depth - 1));
                }
                p.add("pretokenizers", items);
                yield p;
            }
            default -> typed(type);
        };
    }

    static JsonArray tokenAndId(FuzzBytes in, List<String> vocab) {
        JsonArray a = new JsonArray();
        a.add(in.bool() ? vocab.get(in.choose(vocab.size())) : in.token());
        a.add(in.number() % 0x1_0000_0000L);
        return a;
    }

    static JsonObject postProcessor(FuzzBytes in, List<String> vocab, int depth) {
        String[] types = {"BertProcessing", "RobertaProcessing", "ByteLevel", "TemplateProcessing", "Sequence"};
        String type = types[in.choose(depth > 0 ? types.length : types.length - 1)];
        JsonObject p = typed(type);
        switch (type) {
            case "BertProcessing", "RobertaProcessing" -> {
                p.add("sep", tokenAndId(in, vocab));
                p.add("cls", tokenAndId(in, vocab));
                if (type.equals("RobertaProcessing")) {
                    p.addProperty("trim_offsets", in.bool());
                    p.addProperty("add_prefix_space", in.bool());
                }
            }
            case "ByteLevel" -> p = byteLevel(in);
            case "TemplateProcessing" -> template(in, vocab, p);
            default -> {
                JsonArray items = new JsonArray();
                for (int i = in.choose(4); i > 0; i--) {
                    items.add(postProcessor(in, vocab, depth - 1));
                }
                p.add("processors", items);
            }
        }
        return p;
    }

    static void template(FuzzBytes in, List<String> vocab, JsonObject p) {
        JsonObject specials = new JsonObject();
        List<String> names = new ArrayList<>();
        for (int i = in.choose(4); i > 0; i--) {
            String name = in.token();
            JsonObject s = new JsonObject();
            s.addProperty("id", name);
            JsonArray ids = new JsonArray(), tokens = new JsonArray();
            for (int k = in.choose(4); k > 0; k--) {
                ids.add(in.number() % 0x1_0000_0000L);
                tokens.add(in.bool() ? vocab.get(in.choose(vocab.size())) : in.token());
            }
            s.add("ids", ids);
            s.add("tokens", tokens);
            specials.add(name, s);
            names.add(name);
        }
        p.add("single", pieces(in, names, false));
        p.add("pair", pieces(in, names, true));
        p.add("special_tokens", specials);
    }

    /** Template pieces: each sequence at most once (the checks refuse more), special tokens around them. */
    static JsonArray pieces(FuzzBytes in, List<String> specials, boolean pair) {
        JsonArray out = new JsonArray();
        List<String> sequences = new ArrayList<>(pair ? List.of("A", "B") : List.of("A"));
        for (int i = in.choose(6); i >= 0 && !(sequences.isEmpty() && specials.isEmpty()); i--) {
            JsonObject body = new JsonObject(), piece = new JsonObject();
            if (!sequences.isEmpty() && (specials.isEmpty() || in.bool())) {
                body.addProperty("id", sequences.remove(in.choose(sequences.size())));
                body.addProperty("type_id", in.number() % 3);
                piece.add("Sequence", body);
            } else {
                body.addProperty("id", specials.get(in.choose(specials.size())));
                body.addProperty("type_id", in.number() % 3);
                piece.add("SpecialToken", body);
            }
            out.add(piece);
        }
        return out;
    }

    static JsonObject decoder(FuzzBytes in, int depth) {
        String[] types = {"BPEDecoder", "ByteLevel", "WordPiece", "Metaspace", "CTC", "Replace", "Fuse", "Strip",
            "ByteFallback", "Sequence"};
        String type = types[in.choose(depth > 0 ? types.length : types.length - 1)];
        JsonObject d = typed(type);
        switch (type) {
            case "BPEDecoder" -> d.addProperty("suffix", in.text(2));
            case "ByteLevel" -> d = byteLevel(in);
            case "WordPiece" -> {
                d.addProperty("prefix", in.text(2));
                d.addProperty("cleanup", in.bool());
            }
            case "Metaspace" -> d = metaspace(in);
            case "CTC" -> {
                d.addProperty("pad_token", in.text(2));
                d.addProperty("word_delimiter_token", in.text(2));
                d.addProperty("cleanup", in.bool());
            }
            case "Replace" -> {
                d.add("pattern", pattern(in));
                d.addProperty("content", in.text(2));
            }
            case "Strip" -> {
                d.addProperty("content", in.character());
                d.addProperty("start", in.number() % 8);
                d.addProperty("stop", 0);
            }
            case "Sequence" -> {
                JsonArray items = new JsonArray();
                for (int i = in.choose(4); i > 0; i--) {
                    items.add(decoder(in, depth - 1));
                }
                d.add("decoders", items);
            }
            default -> {
            }
        }
        return d;
    }

    static JsonElement addedTokens(FuzzBytes in) {
        JsonArray out = new JsonArray();
        for (int i = in.choose(5); i > 0; i--) {
            JsonObject t = new JsonObject();
            t.addProperty("id", in.number() % 0x1_0000_0000L);
            t.addProperty("content", in.token());
            for (String flag : new String[] {"single_word", "lstrip", "rstrip", "normalized", "special"}) {
                t.addProperty(flag, in.bool());
            }
            out.add(t);
        }
        return out;
    }
}
