package org.transformers4j.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Set;
import java.util.TreeSet;

/**
 * One JSON object of a file being checked, read field by field with the types of the Rust
 * structs it will be deserialized into; each error names the file and the JSON path
 * ({@code $.decoder.decoders[1].stop}) and says what was expected and found. Integers are the
 * Long values {@link org.transformers4j.util.StrictJson} makes of integer literals, so that
 * {@code 1.0} is refused where Rust wants an integer, as serde refuses it.
 */
final class JsonFields {
    private final JsonObject obj;
    private final String path;
    private final String source;

    private JsonFields(JsonObject obj, String path, String source) {
        this.obj = obj;
        this.path = path;
        this.source = source;
    }

    /** The element as an object; refused (naming path) when it is anything else. */
    static JsonFields of(JsonElement e, String path, String source) {
        if (e == null || !e.isJsonObject()) {
            throw fail(source, path, "must be an object, got " + describe(e));
        }
        return new JsonFields(e.getAsJsonObject(), path, source);
    }

    String path() {
        return path;
    }

    String source() {
        return source;
    }

    JsonObject json() {
        return obj;
    }

    /** The path of a key of this object. */
    String at(String key) {
        return path + "." + key;
    }

    IllegalArgumentException fail(String key, String problem) {
        return fail(source, at(key), problem);
    }

    static IllegalArgumentException fail(String source, String path, String problem) {
        return new IllegalArgumentException(source + ": " + path + ": " + problem);
    }

    /** Refuses keys other than these: a key the library does not know means a format it does not read. */
    void only(Set<String> keys) {
        for (String k : obj.keySet()) {
            if (!keys.contains(k)) {
                throw fail(k, "unknown key; the keys here are " + new TreeSet<>(keys));
            }
        }
    }

    /** Present and not JSON null. */
    boolean has(String key) {
        return obj.has(key) && !obj.get(key).isJsonNull();
    }

    JsonElement get(String key) {
        return obj.get(key);
    }

    /** A required value: absent or null is refused. */
    JsonElement require(String key) {
        if (!has(key)) {
            throw fail(key, obj.has(key) ? "must not be null" : "is missing");
        }
        return obj.get(key);
    }

    /** A value with a default in the library: absent gives null, an explicit null is refused. */
    JsonElement defaulted(String key) {
        if (obj.has(key) && obj.get(key).isJsonNull()) {
            throw fail(key, "must not be null (leave the key out for the default)");
        }
        return obj.get(key);
    }

    String string(String key) {
        return string(require(key), at(key), source);
    }

    /** An optional string (Rust Option&lt;String&gt;): null when absent or null. */
    String optionalString(String key) {
        return has(key) ? string(key) : null;
    }

    boolean bool(String key) {
        return bool(require(key), at(key), source);
    }

    /** An optional boolean (Rust Option&lt;bool&gt;): null when absent or null. */
    Boolean optionalBool(String key) {
        return has(key) ? bool(key) : null;
    }

    /** A boolean with a default: absent gives dflt, null is refused. */
    boolean boolOr(String key, boolean dflt) {
        JsonElement e = defaulted(key);
        return e == null ? dflt : bool(e, at(key), source);
    }

    /** A required integer in [0, max]. */
    long unsigned(String key, long max) {
        return unsigned(require(key), at(key), source, max);
    }

    /** An optional integer in [0, max] (Rust Option&lt;usize&gt;): -1 when absent or null. */
    long optionalUnsigned(String key, long max) {
        return has(key) ? unsigned(key, max) : -1;
    }

    /** An integer in [0, max] with a default: absent gives dflt, null is refused. */
    long unsignedOr(String key, long max, long dflt) {
        JsonElement e = defaulted(key);
        return e == null ? dflt : unsigned(e, at(key), source, max);
    }

    /** A Rust char: a string of exactly one Unicode code point. */
    int character(String key) {
        String s = string(key);
        if (s.codePointCount(0, s.length()) != 1) {
            throw fail(key, "must be a string of one character, got \"" + s + "\"");
        }
        return s.codePointAt(0);
    }

    /** A required string from a fixed set (a Rust enum of unit variants). */
    String oneOf(String key, Set<String> values) {
        return oneOf(require(key), at(key), source, values);
    }

    /** A string from a fixed set with a default: absent gives dflt, null is refused. */
    String oneOfOr(String key, Set<String> values, String dflt) {
        JsonElement e = defaulted(key);
        return e == null ? dflt : oneOf(e, at(key), source, values);
    }

    JsonArray array(String key) {
        return array(require(key), at(key), source);
    }

    JsonFields object(String key) {
        return of(require(key), at(key), source);
    }

    // the same checks on elements that are not fields (array items, map values)

    static String string(JsonElement e, String path, String source) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw fail(source, path, "must be a string, got " + describe(e));
        }
        return e.getAsString();
    }

    static boolean bool(JsonElement e, String path, String source) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw fail(source, path, "must be true or false, got " + describe(e));
        }
        return e.getAsBoolean();
    }

    static long unsigned(JsonElement e, String path, String source, long max) {
        if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()
                && e.getAsNumber() instanceof Long v && v >= 0 && v <= max) {
            return v;
        }
        throw fail(source, path, "must be an integer in [0, " + max + "], got " + describe(e));
    }

    /** Any finite number (integers included, as serde reads them into an f64). */
    static double number(JsonElement e, String path, String source) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw fail(source, path, "must be a number, got " + describe(e));
        }
        return e.getAsDouble();
    }

    static String oneOf(JsonElement e, String path, String source, Set<String> values) {
        String s = string(e, path, source);
        if (!values.contains(s)) {
            throw fail(source, path, "must be one of " + new TreeSet<>(values) + ", got \"" + s + "\"");
        }
        return s;
    }

    static JsonArray array(JsonElement e, String path, String source) {
        if (e == null || !e.isJsonArray()) {
            throw fail(source, path, "must be an array, got " + describe(e));
        }
        return e.getAsJsonArray();
    }

    /** A two-element array [string, unsigned integer] (a Rust (String, u32) tuple). */
    static void stringAndId(JsonElement e, String path, String source) {
        JsonArray a = array(e, path, source);
        if (a.size() != 2) {
            throw fail(source, path, "must be [token, id], got " + describe(e));
        }
        string(a.get(0), path + "[0]", source);
        unsigned(a.get(1), path + "[1]", source, TokenizerJson.MAX_U32);
    }

    /** A short description of a value for messages: its kind and, when short, itself. */
    static String describe(JsonElement e) {
        if (e == null) {
            return "nothing";
        }
        String kind = e.isJsonNull() ? "null" : e.isJsonObject() ? "an object" : e.isJsonArray() ? "an array"
                : e.getAsJsonPrimitive().isString() ? "a string" : e.getAsJsonPrimitive().isNumber() ? "a number"
                : "a boolean";
        if (e.isJsonNull()) {
            return kind;
        }
        String text = e.toString();
        return text.length() <= 40 ? kind + " " + text : kind;
    }
}
