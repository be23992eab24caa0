package org.transformers4j.util;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;

/**
 * JSON parsed as RFC 8259 says and no further: no comments, single quotes, unquoted names, NaN,
 * leading zeros or trailing data; plus what other parsers of the same file refuse or get wrong,
 * so that a file accepted here reads the same everywhere: a duplicate name in an object, nesting
 * deeper than {@link #MAX_DEPTH}, a number beyond the range of a double, a string with an unpaired
 * surrogate. Integer literals become {@code Long} (or {@code BigInteger} when larger) and other
 * numbers {@code Double}, so that readers can tell {@code 1} from {@code 1.0}. Every error is a
 * {@link FileFormatException} (an IllegalArgumentException) naming the source and the place.
 */
public final class StrictJsonParser {
    /** Deepest nesting of arrays and objects accepted (serde_json stops at 128). */
    public static final int MAX_DEPTH = 64;

    private StrictJsonParser() {
    }

    /**
     * Parses text; an error is a {@link FileFormatException} whose message starts with source and
     * names the place (JSON path, line and column) and what is wrong there.
     */
    public static JsonElement parse(String text, String source) {
        JsonReader reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        try {
            JsonElement root = read(reader, 0, source);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw fail(source, reader, "data after the end of the JSON value");
            }
            return root;
        } catch (IOException | IllegalStateException e) { // gson's syntax errors (MalformedJsonException is an IOException)
            throw new FileFormatException(source + ": not valid JSON: " + withoutLink(e.getMessage()), e);
        } catch (StackOverflowError e) {
            throw new FileFormatException(source + ": JSON nested too deeply to read", e);
        }
    }

    /** Parses text that must be one JSON object; source names it in messages. */
    public static JsonObject parseObject(String text, String source) {
        JsonElement root = parse(text, source);
        if (!root.isJsonObject()) {
            throw new FileFormatException(source + ": expected a JSON object, found " + kind(root));
        }
        return root.getAsJsonObject();
    }

    /** A parse error's message without gson's advice to parse leniently and its link. */
    public static String describe(Exception e) {
        return withoutLink(e.getMessage());
    }

    /** What a JSON value is, for messages: an object, an array, a string, a number, a boolean or null. */
    public static String kind(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        if (e.isJsonObject()) {
            return "an object";
        }
        if (e.isJsonArray()) {
            return "an array";
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        return p.isString() ? "a string" : p.isNumber() ? "a number" : "a boolean";
    }

    private static JsonElement read(JsonReader in, int depth, String source) throws IOException {
        JsonToken token = in.peek();
        switch (token) {
            case BEGIN_ARRAY, BEGIN_OBJECT -> {
                if (depth >= MAX_DEPTH) {
                    throw fail(source, in, "nested deeper than " + MAX_DEPTH + " levels");
                }
                return token == JsonToken.BEGIN_ARRAY ? array(in, depth, source) : object(in, depth, source);
            }
            case STRING -> {
                return new JsonPrimitive(checked(in.nextString(), in, source));
            }
            case NUMBER -> {
                return new JsonPrimitive(number(in.nextString(), in, source));
            }
            case BOOLEAN -> {
                return new JsonPrimitive(in.nextBoolean());
            }
            case NULL -> {
                in.nextNull();
                return JsonNull.INSTANCE;
            }
            default -> throw fail(source, in, "expected a value, found " + token);
        }
    }

    private static JsonArray array(JsonReader in, int depth, String source) throws IOException {
        JsonArray out = new JsonArray();
        in.beginArray();
        while (in.hasNext()) {
            out.add(read(in, depth + 1, source));
        }
        in.endArray();
        return out;
    }

    private static JsonObject object(JsonReader in, int depth, String source) throws IOException {
        JsonObject out = new JsonObject();
        in.beginObject();
        while (in.hasNext()) {
            String name = checked(in.nextName(), in, source);
            if (out.has(name)) {
                throw fail(source, in, "the name \"" + name + "\" occurs twice in one object");
            }
            out.add(name, read(in, depth + 1, source));
        }
        in.endObject();
        return out;
    }

    /** Integers as Long (BigInteger when larger), anything else as a finite Double. */
    private static Number number(String literal, JsonReader in, String source) {
        boolean integer = literal.chars().allMatch(c -> c == '-' || (c >= '0' && c <= '9'));
        if (integer && literal.length() <= 18) { // the common case, quickly: fits a long
            return Long.parseLong(literal);
        }
        double value = Double.parseDouble(literal);
        if (!Double.isFinite(value)) {
            throw fail(source, in, "the number " + shorten(literal) + " is beyond the range of a double");
        }
        if (!integer) {
            return value;
        }
        BigInteger big = new BigInteger(literal);
        return big.bitLength() < 64 ? (Number) big.longValue() : big;
    }

    /** The string, refused when it holds a surrogate without its pair (not Unicode text). */
    private static String checked(String s, JsonReader in, String source) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw fail(source, in, String.format("a string holds the unpaired surrogate \\u%04X", (int) c));
            }
        }
        return s;
    }

    private static String shorten(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    /** gson's message without the link to its troubleshooting page it appends. */
    private static String withoutLink(String message) {
        if (message == null) {
            return "syntax error";
        }
        int see = message.indexOf("\nSee ");
        String m = (see < 0 ? message : message.substring(0, see)).replaceFirst("\\.$", "");
        // gson's advice to parse leniently is no advice for a file: say what it is
        return m.replaceFirst("^Use JsonReader.setStrictness\\(Strictness.LENIENT\\) to accept malformed JSON", "syntax error");
    }

    private static FileFormatException fail(String source, JsonReader in, String problem) {
        // JsonReader.toString() is "JsonReader at line L column C path P"
        String where = in.toString().replaceFirst("^JsonReader ", "");
        return new FileFormatException(source + ": " + problem + ", " + (where.length() <= 200 ? where
                : where.substring(0, 197) + "..."));
    }
}
