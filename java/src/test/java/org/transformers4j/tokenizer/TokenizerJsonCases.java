package org.transformers4j.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * tokenizer.json cases: for every component type the library knows, a minimal file that must
 * load, encode and decode; for every class of malformed input, a file that must be refused with
 * a message naming the JSON path. {@link #main} runs them through {@link Tokenizer} (the native
 * library included) in a JVM of their own, one line per case, so that a case the checks let
 * through to a panic kills only that JVM.
 */
public final class TokenizerJsonCases {
    /** A case: refusedAt is the path (or phrase) the refusal must name, or null when the file must load. */
    public record Case(String name, String json, String refusedAt) {
    }

    static final String[] TEXTS = {"", "hello world", "a ab b", "Hello  WORLD ", "héllo wörld 你好 ﬁ", "\u0000x\uD800"};

    private TokenizerJsonCases() {
    }

    /** A JSON object from alternating keys and values (String, Number, Boolean, null, JsonElement, List). */
    static JsonObject obj(Object... kv) {
        JsonObject o = new JsonObject();
        for (int i = 0; i < kv.length; i += 2) {
            o.add((String) kv[i], json(kv[i + 1]));
        }
        return o;
    }

    static JsonElement json(Object v) {
        if (v == null) {
            return JsonNull.INSTANCE;
        }
        if (v instanceof JsonElement e) {
            return e;
        }
        if (v instanceof String s) {
            return new JsonPrimitive(s);
        }
        if (v instanceof Number n) {
            return new JsonPrimitive(n);
        }
        if (v instanceof Boolean b) {
            return new JsonPrimitive(b);
        }
        if (v instanceof List<?> list) {
            JsonArray a = new JsonArray();
            list.forEach(x -> a.add(json(x)));
            return a;
        }
        throw new IllegalArgumentException("no JSON for " + v.getClass());
    }

    static JsonObject wordLevel() {
        JsonObject vocab = new JsonObject();
        String[] words = {"[UNK]", "[CLS]", "[SEP]", "hello", "world", "a", "b", "ab", "##b", "<0x41>", "\u2581hello"};
        for (int i = 0; i < words.length; i++) {
            vocab.addProperty(words[i], i);
        }
        return obj("type", "WordLevel", "vocab", vocab, "unk_token", "[UNK]");
    }

    /** A loadable tokenizer: WordLevel, whitespace pre-tokenizer, overridden by the given top-level entries. */
    static JsonObject base(Object... kv) {
        JsonObject t = obj("version", "1.0", "truncation", null, "padding", null, "added_tokens", List.of(
                obj("id", 1, "content", "[CLS]", "single_word", false, "lstrip", false, "rstrip", false,
                        "normalized", false, "special", true)),
                "normalizer", null, "pre_tokenizer", obj("type", "Whitespace"), "post_processor", null,
                "decoder", null, "model", wordLevel());
        JsonObject over = obj(kv);
        over.entrySet().forEach(e -> t.add(e.getKey(), e.getValue()));
        return t;
    }

    /**
     * A charsmap mapping single ASCII characters to replacements: a root whose children sit in
     * the second block of 256 units, each pointing at a leaf in the first block.
     */
    static String charsmap(Map<Character, String> rules) {
        int[] units = new int[512];
        units[0] = 256 << 10; // root: offset 256
        StringBuilder strings = new StringBuilder();
        for (var r : rules.entrySet()) {
            int c = r.getKey();
            units[256 ^ c] = c | (1 << 8) | (256 << 10); // label c, has a leaf, offset 256: leaf at unit c
            units[c] = (1 << 31) | strings.toString().getBytes(StandardCharsets.UTF_8).length;
            strings.append(r.getValue()).append('\0');
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

    /** The nmt_nfkc charsmap of SentencePiece as T5 tokenizers ship it. */
    static String realCharsmap() {
        try (InputStream in = TokenizerJsonCases.class.getResourceAsStream("/tokenizer/precompiled-nmt-nfkc.json")) {
            JsonObject o = com.google.gson.JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .getAsJsonObject();
            return o.get("precompiled_charsmap").getAsString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonObject bpe(Object merges, String prefix) {
        JsonObject vocab = new JsonObject();
        String[] tokens = {"[UNK]", "h", "e", "l", "o", "he", "ll", "hell", "hello", "##e", "##l", "##o", "h##e"};
        for (int i = 0; i < tokens.length; i++) {
            vocab.addProperty(tokens[i], i);
        }
        return obj("type", "BPE", "dropout", null, "unk_token", "[UNK]", "continuing_subword_prefix", prefix,
                "end_of_word_suffix", null, "fuse_unk", false, "byte_fallback", false, "ignore_merges", false,
                "vocab", vocab, "merges", merges);
    }

    static JsonObject unigram(Object unkId) {
        return obj("type", "Unigram", "unk_id", unkId, "vocab", List.of(List.of("<unk>", 0.0), List.of("\u2581hello", -1.5),
                List.of("hello", -2), List.of("world", -2.5), List.of("\u2581", -3.0), List.of("a", -4.0)),
                "byte_fallback", false);
    }

    static JsonObject template(Object single, Object pair, JsonObject specials) {
        return obj("type", "TemplateProcessing", "single", single, "pair", pair, "special_tokens", specials);
    }

    static JsonObject seq(String id, int type) {
        return obj("Sequence", obj("id", id, "type_id", type));
    }

    static JsonObject special(String id, int type) {
        return obj("SpecialToken", obj("id", id, "type_id", type));
    }

    static JsonObject clsSep() {
        return obj("[CLS]", obj("id", "[CLS]", "ids", List.of(1), "tokens", List.of("[CLS]")),
                "[SEP]", obj("id", "[SEP]", "ids", List.of(2), "tokens", List.of("[SEP]")));
    }

    static JsonObject byteLevel() {
        return obj("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", true);
    }

    static JsonObject metaspace() {
        return obj("type", "Metaspace", "replacement", "\u2581", "prepend_scheme", "always", "split", true);
    }

    /** Files that must load, encode and decode: every component type once, and the fixture tokenizers. */
    static List<Case> accepted() {
        List<Case> out = new ArrayList<>();
        JsonObject replace = obj("type", "Replace", "pattern", obj("String", "  "), "content", " ");
        JsonObject[] normalizers = {
            obj("type", "BertNormalizer", "clean_text", true, "handle_chinese_chars", true, "strip_accents", null,
                    "lowercase", true),
            obj("type", "Strip", "strip_left", true, "strip_right", false), obj("type", "StripAccents"),
            obj("type", "NFC"), obj("type", "NFD"), obj("type", "NFKC"), obj("type", "NFKD"), obj("type", "Lowercase"),
            obj("type", "Nmt"), obj("type", "ByteLevel"), replace,
            obj("type", "Replace", "pattern", obj("Regex", "\\s+"), "content", " "),
            obj("type", "Prepend", "prepend", "\u2581"),
            obj("type", "Precompiled", "precompiled_charsmap", charsmap(Map.of('H', "h", 'W', "w", 'X', ""))),
            obj("type", "Precompiled", "precompiled_charsmap", realCharsmap()),
            obj("type", "Sequence", "normalizers", List.of(obj("type", "NFD"), obj("type", "Lowercase"), replace)),
        };
        for (int i = 0; i < normalizers.length; i++) {
            out.add(new Case("normalizer " + i + " " + normalizers[i].get("type").getAsString(),
                    base("normalizer", normalizers[i]).toString(), null));
        }
        JsonObject[] preTokenizers = {
            obj("type", "BertPreTokenizer"), byteLevel(), obj("type", "CharDelimiterSplit", "delimiter", " "),
            metaspace(), obj("type", "Metaspace", "replacement", "\u2581", "add_prefix_space", false,
                    "prepend_scheme", "never", "split", false, "str_rep", "\u2581"),
            obj("type", "Whitespace"), obj("type", "WhitespaceSplit"), obj("type", "UnicodeScripts"),
            obj("type", "Split", "pattern", obj("Regex", "\\s+"), "behavior", "Removed", "invert", false),
            obj("type", "Split", "pattern", obj("String", " "), "behavior", "MergedWithNext", "invert", true),
            obj("type", "Punctuation", "behavior", "Contiguous"), obj("type", "Punctuation"),
            obj("type", "Digits", "individual_digits", true), obj("type", "FixedLength", "length", 3),
            obj("type", "FixedLength"),
            obj("type", "Sequence", "pretokenizers", List.of(obj("type", "WhitespaceSplit"), obj("type", "Digits",
                    "individual_digits", false))),
        };
        for (int i = 0; i < preTokenizers.length; i++) {
            out.add(new Case("pre_tokenizer " + i + " " + preTokenizers[i].get("type").getAsString(),
                    base("pre_tokenizer", preTokenizers[i]).toString(), null));
        }
        JsonObject bert = obj("type", "BertProcessing", "sep", List.of("[SEP]", 2), "cls", List.of("[CLS]", 1));
        JsonObject[] processors = {
            bert, obj("type", "RobertaProcessing", "sep", List.of("[SEP]", 2), "cls", List.of("[CLS]", 1),
                    "trim_offsets", true, "add_prefix_space", false),
            byteLevel(),
            template(List.of(special("[CLS]", 0), seq("A", 0), special("[SEP]", 0)),
                    List.of(special("[CLS]", 0), seq("A", 0), special("[SEP]", 0), seq("B", 1), special("[SEP]", 1)),
                    clsSep()),
            obj("type", "Sequence", "processors", List.of(byteLevel(), bert)),
        };
        for (JsonObject p : processors) {
            out.add(new Case("post_processor " + p.get("type").getAsString(), base("post_processor", p).toString(), null));
        }
        JsonObject[] decoders = {
            obj("type", "BPEDecoder", "suffix", "</w>"), byteLevel(), obj("type", "WordPiece", "prefix", "##",
                    "cleanup", true), metaspace(),
            obj("type", "CTC", "pad_token", "[UNK]", "word_delimiter_token", "|", "cleanup", true), replace,
            obj("type", "Fuse"), obj("type", "Strip", "content", " ", "start", 1, "stop", 0), obj("type", "ByteFallback"),
            obj("type", "Sequence", "decoders", List.of(obj("type", "ByteFallback"), obj("type", "Fuse"),
                    obj("type", "Strip", "content", "h", "start", 3, "stop", 0))),
        };
        for (JsonObject d : decoders) {
            out.add(new Case("decoder " + d.get("type").getAsString(), base("decoder", d).toString(), null));
        }
        out.add(new Case("model BPE pairs", base("model", bpe(List.of(List.of("h", "e"), List.of("l", "l"),
                List.of("he", "ll"), List.of("hell", "o")), null)).toString(), null));
        out.add(new Case("model BPE lines", base("model", bpe(List.of("#version: 0.2", "h e", "l l", "he ll", "hell o"),
                null)).toString(), null));
        out.add(new Case("model BPE prefix", base("model", bpe(List.of("h ##e"), "##")).toString(), null));
        out.add(new Case("model WordPiece", base("model", obj("type", "WordPiece", "unk_token", "[UNK]",
                "continuing_subword_prefix", "##", "max_input_chars_per_word", 100, "vocab",
                wordLevel().get("vocab"))).toString(), null));
        out.add(new Case("model Unigram", base("model", unigram(0), "pre_tokenizer", metaspace()).toString(), null));
        out.add(new Case("truncation and padding", base("truncation", obj("direction", "Left", "max_length", 4,
                "strategy", "OnlyFirst", "stride", 1), "padding", obj("strategy", obj("Fixed", 8), "direction", "Right",
                "pad_to_multiple_of", 4, "pad_id", 0, "pad_type_id", 0, "pad_token", "[UNK]")).toString(), null));
        for (String name : new String[] {"bert-wordpiece-uncased", "gpt2-bpe", "roberta-bpe", "t5-style-unigram"}) {
            out.add(new Case("fixture " + name, fixture(name), null));
        }
        return out;
    }

    static String fixture(String name) {
        try {
            return Files.readString(org.transformers4j.Fixtures.tokenizer(name).resolve("tokenizer.json"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Files that must be refused, each with the path or phrase its message must name. */
    static List<Case> refused() {
        List<Case> out = new ArrayList<>();
        String deep = "[".repeat(130) + "]".repeat(130);
        out.add(new Case("syntax error inside the decoder (16 bytes)", "{\"decoder\": {x}}", "$.decoder"));
        out.add(new Case("syntax error inside the normalizer", "{\"normalizer\": {\"type\": NFC}}", "$.normalizer"));
        out.add(new Case("nesting 130 deep inside the decoder", "{\"decoder\": " + deep + "}", "nested deeper"));
        out.add(new Case("number beyond a double inside the decoder", "{\"decoder\": {\"type\": \"Fuse\", \"x\": 1e400}}",
                "beyond the range"));
        out.add(new Case("unpaired surrogate inside the decoder", "{\"decoder\": {\"type\": \"\\ud800\"}}",
                "unpaired surrogate"));
        out.add(new Case("duplicate key", base().toString().replace("\"version\":\"1.0\"", "\"version\":\"1.0\",\"version\":\"1.0\""),
                "occurs twice"));
        out.add(new Case("trailing data", base() + " {}", "not valid JSON"));
        out.add(new Case("comment", "// x\n" + base(), "not valid JSON"));
        out.add(new Case("NaN", "{\"model\": NaN}", "not valid JSON"));
        out.add(new Case("empty file", "", "not valid JSON"));
        out.add(new Case("top level an array", "[]", "$: must be an object"));
        out.add(new Case("unknown top-level key", base("extra", 1).toString(), "$.extra"));
        out.add(new Case("version 2.0", base("version", "2.0").toString(), "$.version"));
        out.add(new Case("no model", base("model", null).toString(), "$.model"));
        out.add(new Case("unknown model type", base("model", obj("type", "Magic")).toString(), "$.model.type"));
        out.add(new Case("legacy model without type", base("model", obj("vocab", obj(), "unk_token", "x")).toString(),
                "$.model.type"));
        out.add(new Case("vocab id a float", base("model", obj("type", "WordLevel", "vocab", obj("a", 1.5),
                "unk_token", "a")).toString(), "$.model.vocab.a"));
        out.add(new Case("vocab id negative", base("model", obj("type", "WordLevel", "vocab", obj("a", -1),
                "unk_token", "a")).toString(), "$.model.vocab.a"));
        out.add(new Case("vocab id beyond u32", base("model", obj("type", "WordLevel", "vocab", obj("a", 1L << 32),
                "unk_token", "a")).toString(), "$.model.vocab.a"));
        out.add(new Case("BPE merge shorter than the prefix", base("model", bpe(List.of("h e"), "##")).toString(),
                "$.model.merges[0]"));
        out.add(new Case("BPE merge of a missing token", base("model", bpe(List.of("h x"), null)).toString(),
                "$.model.merges[0]"));
        out.add(new Case("BPE merge line of three tokens", base("model", bpe(List.of("h e l"), null)).toString(),
                "$.model.merges[0]"));
        out.add(new Case("BPE dropout 2", base("model", bpe(List.of(), null)).toString().replace("\"dropout\":null",
                "\"dropout\":2"), "$.model.dropout"));
        out.add(new Case("Unigram unk_id outside", base("model", unigram(6)).toString(), "$.model.unk_id"));
        out.add(new Case("Unigram piece not a pair", base("model", obj("type", "Unigram", "vocab", List.of(List.of("a"))))
                .toString(), "$.model.vocab[0]"));
        out.add(new Case("WordPiece without unk_token", base("model", obj("type", "WordPiece",
                "continuing_subword_prefix", "##", "max_input_chars_per_word", 100, "vocab", obj())).toString(),
                "$.model.unk_token"));
        out.add(new Case("unknown normalizer", base("normalizer", obj("type", "Upper")).toString(), "$.normalizer.type"));
        out.add(new Case("normalizer field of the wrong type", base("normalizer", obj("type", "BertNormalizer",
                "clean_text", "yes", "handle_chinese_chars", true, "lowercase", true)).toString(),
                "$.normalizer.clean_text"));
        out.add(new Case("normalizer in a sequence without type", base("normalizer", obj("type", "Sequence",
                "normalizers", List.of(obj("type", "NFC"), obj()))).toString(), "$.normalizer.normalizers[1].type"));
        out.add(new Case("unknown key in a normalizer", base("normalizer", obj("type", "NFC", "form", "C")).toString(),
                "$.normalizer.form"));
        out.add(new Case("Precompiled charsmap null", base("normalizer", obj("type", "Precompiled",
                "precompiled_charsmap", null)).toString(), "$.normalizer.precompiled_charsmap"));
        out.add(new Case("Precompiled charsmap not base64", base("normalizer", obj("type", "Precompiled",
                "precompiled_charsmap", "abc")).toString(), "$.normalizer.precompiled_charsmap"));
        out.add(new Case("Precompiled charsmap without a trie", base("normalizer", obj("type", "Precompiled",
                "precompiled_charsmap", "AAAAAA==")).toString(), "$.normalizer.precompiled_charsmap"));
        out.add(new Case("Precompiled trie outside itself", base("normalizer", obj("type", "Precompiled",
                "precompiled_charsmap", truncatedTrie())).toString(), "$.normalizer.precompiled_charsmap"));
        out.add(new Case("Precompiled rule past its strings", base("normalizer", obj("type", "Precompiled",
                "precompiled_charsmap", ruleBeyondStrings())).toString(), "$.normalizer.precompiled_charsmap"));
        out.add(new Case("Replace pattern of two kinds", base("normalizer", obj("type", "Replace", "pattern",
                obj("String", "a", "Regex", "b"), "content", "")).toString(), "$.normalizer.pattern"));
        out.add(new Case("Prepend of nothing (a fuzzing finding)", base("normalizer", obj("type", "Prepend", "prepend", ""),
                "pre_tokenizer", obj("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false,
                        "use_regex", false)).toString(), "$.normalizer.prepend"));
        JsonObject insert = obj("type", "Replace", "pattern", obj("String", "a"), "content", "aaaaaaaa");
        out.add(new Case("decoders growing the text 8^4 times (a fuzzing finding)", base("decoder", obj("type",
                "Sequence", "decoders", List.of(insert, insert, insert, insert))).toString(), "$.decoder: can make a text"));
        out.add(new Case("normalizer growing the text 2000 times", base("normalizer", obj("type", "Replace",
                "pattern", obj("String", "a"), "content", "b".repeat(2000))).toString(), "$.normalizer: can make a text"));
        out.add(new Case("template repeating sequence A", base("post_processor", template(List.of(seq("A", 0),
                seq("A", 1)), List.of(seq("A", 0), seq("B", 1)), obj())).toString(), "$.post_processor.single[1].Sequence.id"));
        out.add(new Case("Replace of the empty string", base("normalizer", obj("type", "Replace", "pattern",
                obj("String", ""), "content", "a")).toString(), "$.normalizer.pattern"));
        out.add(new Case("FixedLength 0", base("pre_tokenizer", obj("type", "FixedLength", "length", 0)).toString(),
                "$.pre_tokenizer.length"));
        out.add(new Case("FixedLength null", base("pre_tokenizer", obj("type", "FixedLength", "length", null)).toString(),
                "$.pre_tokenizer.length"));
        out.add(new Case("CharDelimiterSplit of two characters", base("pre_tokenizer", obj("type", "CharDelimiterSplit",
                "delimiter", "ab")).toString(), "$.pre_tokenizer.delimiter"));
        out.add(new Case("Metaspace contradiction", base("pre_tokenizer", obj("type", "Metaspace", "replacement", "_",
                "add_prefix_space", false, "prepend_scheme", "always")).toString(), "$.pre_tokenizer.add_prefix_space"));
        out.add(new Case("Split behavior unknown", base("pre_tokenizer", obj("type", "Split", "pattern", obj("String", " "),
                "behavior", "Dropped", "invert", false)).toString(), "$.pre_tokenizer.behavior"));
        out.add(new Case("template single uses B", base("post_processor", template(List.of(seq("B", 0)),
                List.of(seq("A", 0), seq("B", 1)), obj())).toString(), "$.post_processor.single[0].Sequence.id"));
        out.add(new Case("template names a missing special token", base("post_processor", template(
                List.of(special("[X]", 0), seq("A", 0)), List.of(seq("A", 0), seq("B", 1)), clsSep())).toString(),
                "$.post_processor.single[0].SpecialToken.id"));
        out.add(new Case("template special token ids and tokens differ", base("post_processor", template(
                List.of(seq("A", 0)), List.of(seq("A", 0), seq("B", 1)), obj("[CLS]", obj("id", "[CLS]",
                        "ids", List.of(1, 1), "tokens", List.of("[CLS]"))))).toString(),
                "$.post_processor.special_tokens.[CLS].tokens"));
        JsonObject threeParts = template(List.of(special("[CLS]", 0), seq("A", 0), special("[SEP]", 0)),
                List.of(seq("A", 0), seq("B", 1)), clsSep());
        out.add(new Case("template after a template (a fuzzing finding)", base("post_processor", obj("type", "Sequence",
                "processors", List.of(threeParts, obj("type", "Sequence", "processors", List.of(byteLevel(),
                        threeParts))))).toString(), "$.post_processor.processors[1].processors[1]: is a second"));
        out.add(new Case("Bert processing sep not a pair", base("post_processor", obj("type", "BertProcessing",
                "sep", List.of("[SEP]"), "cls", List.of("[CLS]", 1))).toString(), "$.post_processor.sep"));
        out.add(new Case("decoder Strip stop 1", base("decoder", obj("type", "Strip", "content", " ", "start", 0,
                "stop", 1)).toString(), "$.decoder.stop"));
        out.add(new Case("decoder in a sequence unknown", base("decoder", obj("type", "Sequence", "decoders",
                List.of(obj("type", "Fuse"), obj("type", "Glue")))).toString(), "$.decoder.decoders[1].type"));
        out.add(new Case("decoder not an object", base("decoder", "Fuse").toString(), "$.decoder"));
        out.add(new Case("added token without special", base("added_tokens", List.of(obj("id", 1, "content", "[CLS]",
                "single_word", false, "lstrip", false, "rstrip", false, "normalized", false))).toString(),
                "$.added_tokens[0].special"));
        out.add(new Case("added token empty", base("added_tokens", List.of(obj("id", 1, "content", "",
                "single_word", false, "lstrip", false, "rstrip", false, "normalized", false, "special", true)))
                .toString(), "$.added_tokens[0].content"));
        JsonObject rstrip = obj("id", 5, "content", "a", "single_word", false, "lstrip", false, "rstrip", true,
                "normalized", false, "special", false);
        JsonObject newline = obj("id", 6, "content", "\r\n", "single_word", false, "lstrip", true, "rstrip", false,
                "normalized", false, "special", false);
        out.add(new Case("whitespace token with lstrip beside one with rstrip (a fuzzing finding)", base("added_tokens",
                List.of(newline, rstrip)).toString(), "$.added_tokens[0].lstrip"));
        JsonObject word = newline.deepCopy();
        word.addProperty("content", "b");
        word.addProperty("normalized", true);
        out.add(new Case("normalized token with lstrip beside one with rstrip under Replace", base("added_tokens",
                List.of(word, rstrip), "normalizer", obj("type", "Replace", "pattern", obj("String", "b"), "content", " "))
                .toString(), "$.added_tokens[0].lstrip"));
        out.add(new Case("truncation stride not below max_length", base("truncation", obj("max_length", 4,
                "strategy", "LongestFirst", "stride", 4)).toString(), "$.truncation.stride"));
        out.add(new Case("padding strategy unknown", base("padding", obj("strategy", "Longest", "direction", "Right",
                "pad_id", 0, "pad_type_id", 0, "pad_token", "[UNK]")).toString(), "$.padding.strategy"));
        return out;
    }

    /**
     * Files that pass the static checks but that only the library can tell are bad, refused before
     * the tokenizer is made (fuzzing findings): an added token marked normalized that the
     * normalizer turns into nothing, and a Replace whose regex matches the empty string, made the
     * library panic on later text.
     */
    static List<Case> refusedAfterNormalizing() {
        JsonObject crlf = obj("id", 20, "content", "\r\n", "single_word", true, "lstrip", false, "rstrip", false,
                "normalized", true, "special", true);
        JsonObject accent = obj("id", 21, "content", "\u0301", "single_word", false, "lstrip", false, "rstrip", false,
                "normalized", true, "special", false);
        List<Case> out = new ArrayList<>();
        for (String re : new String[] {"^", "x*", "(?=h)", "\\b"}) {
            out.add(new Case("Replace matching nothing " + re + " (a fuzzing finding)", base("normalizer", obj("type",
                    "Sequence", "normalizers", List.of(obj("type", "Replace", "pattern", obj("Regex", re), "content", "a"),
                            obj("type", "NFD")))).toString(), "$.normalizer.normalizers[0].pattern"));
        }
        out.add(new Case("decoder Replace matching nothing", base("decoder", obj("type", "Replace", "pattern",
                obj("Regex", "\\b"), "content", "x")).toString(), "$.decoder.pattern"));
        out.addAll(List.of(
                new Case("added token stripped to nothing", base("normalizer", obj("type", "Strip", "strip_left", false,
                        "strip_right", true), "added_tokens", List.of(crlf)).toString(), "$.added_tokens[0].content"),
                new Case("added token replaced by nothing", base("normalizer", obj("type", "Sequence", "normalizers",
                        List.of(obj("type", "Lowercase"), obj("type", "Replace", "pattern", obj("Regex", "[a-z]+"),
                                "content", ""))), "added_tokens", List.of(obj("id", 20, "content", "ABC",
                        "single_word", false, "lstrip", false, "rstrip", false, "normalized", true, "special", false)))
                        .toString(), "$.added_tokens[0].content"),
                new Case("added token of accents stripped", base("normalizer", obj("type", "StripAccents"),
                        "added_tokens", List.of(crlf.deepCopy(), accent)).toString().replace("\"normalized\":true,"
                        + "\"special\":true", "\"normalized\":false,\"special\":true"), "$.added_tokens[1].content")));
        return out;
    }

    /** A charsmap declaring one 256-unit block whose root sends every byte into a second, missing block. */
    static String truncatedTrie() {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * 256 + 2).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4 * 256);
        b.putInt(256 << 10);
        for (int i = 1; i < 256; i++) {
            b.putInt(0);
        }
        b.put((byte) 'a').put((byte) 0);
        return Base64.getEncoder().encodeToString(b.array());
    }

    /** A charsmap whose one rule points beyond its replacement strings. */
    static String ruleBeyondStrings() {
        byte[] ok = Base64.getDecoder().decode(charsmap(Map.of('A', "a")));
        ByteBuffer b = ByteBuffer.wrap(ok).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4 + 4 * 'A', (1 << 31) | 1000);
        return Base64.getEncoder().encodeToString(ok);
    }

    /**
     * Runs the cases (all, or those whose names contain the first argument) through Tokenizer:
     * prints "ACCEPTED name" after loading, encoding TEXTS (and a pair) and decoding, or
     * "REFUSED name :: message".
     */
    public static void main(String[] args) {
        List<Case> cases = new ArrayList<>(accepted());
        cases.addAll(refused());
        cases.addAll(refusedAfterNormalizing());
        for (Case c : cases) {
            if (args.length > 0 && !c.name().contains(args[0])) {
                continue;
            }
            System.out.flush();
            try (Tokenizer t = Tokenizer.fromJson(c.json())) {
                for (String text : TEXTS) {
                    Encoding e = t.encode(text);
                    t.decode(e.ids(), true);
                    t.decode(e.ids(), false);
                }
                t.encode("hello", "world");
                t.decode(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, -1, 1L << 40}, false);
                t.decode(new long[0], false);
                System.out.println("ACCEPTED " + c.name());
            } catch (IllegalArgumentException e) {
                System.out.println("REFUSED " + c.name() + " :: " + e.getMessage().replace('\n', ' '));
            }
        }
        System.out.println("DONE");
    }
}
