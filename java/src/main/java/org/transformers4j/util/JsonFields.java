package org.transformers4j.util;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Set;
import java.util.TreeSet;

/**
 * One JSON object of a file being checked, read field by field with the types its reader
 * expects; each error is an {@link IllegalArgumentException} naming the file and the JSON path
 * ({@code $.decoder.decoders[1].stop}) and saying what was expected and what was found. Integers
 * are the Long values {@link StrictJson} makes of integer literals, so that {@code 1.0} is refused
 * where an integer is wanted (as serde and Python refuse it).
 */
public final class JsonFields {
    private final JsonObject obj;
    private final String path;
    private final String source;

    private JsonFields(JsonObject obj, String path, String source) {
        this.obj = obj;
        this.path = path;
        this.source = source;
    }

    /** The element as an object; refused (naming path) when it is anything else. */
    public static JsonFields of(JsonElement e, String path, String source) {
        if (e == null || !e.isJsonObject()) {
            throw fail(source, path, "must be an object, got " + describe(e));
        }
        return new JsonFields(e.getAsJsonObject(), path, source);
    }

    /** The JSON path of this object ({@code $.decoder}). */
    public String path() {
        return path;
    }

    /** The file (or name) messages start with. */
    public String source() {
        return source;
    }

    /** The object itself. */
    public JsonObject json() {
        return obj;
    }

    /** The path of a key of this object. */
    public String at(String key) {
        return path + "." + key;
    }

    /** An error naming the file, the path of key, and the problem. */
    public IllegalArgumentException fail(String key, String problem) {
        return fail(source, at(key), problem);
    }

    /** An error naming the file, a path, and the problem. */
    public static IllegalArgumentException fail(String source, String path, String problem) {
        return new IllegalArgumentException(source + ": " + path + ": " + problem);
    }

    /** Refuses keys other than these: a key the library does not know means a format it does not read. */
    public void only(Set<String> keys) {
        for (String k : obj.keySet()) {
            if (!keys.contains(k)) {
                throw fail(k, "unknown key; the keys here are " + new TreeSet<>(keys));
            }
        }
    }

    /** Present and not JSON null. */
    public boolean has(String key) {
        return obj.has(key) && !obj.get(key).isJsonNull();
    }

    /** The value of key as it is (null when absent). */
    public JsonElement get(String key) {
        return obj.get(key);
    }

    /** A required value: absent or null is refused. */
    public JsonElement require(String key) {
        if (!has(key)) {
            throw fail(key, obj.has(key) ? "must not be null" : "is missing");
        }
        return obj.get(key);
    }

    /** A value with a default in the library: absent gives null, an explicit null is refused. */
    public JsonElement defaulted(String key) {
        if (obj.has(key) && obj.get(key).isJsonNull()) {
            throw fail(key, "must not be null (leave the key out for the default)");
        }
        return obj.get(key);
    }

    /** A required string. */
    public String string(String key) {
        return string(require(key), at(key), source);
    }

    /** An optional string (Rust Option&lt;String&gt;): null when absent or null. */
    public String optionalString(String key) {
        return has(key) ? string(key) : null;
    }

    /** A required boolean. */
    public boolean bool(String key) {
        return bool(require(key), at(key), source);
    }

    /** An optional boolean (Rust Option&lt;bool&gt;): null when absent or null. */
    public Boolean optionalBool(String key) {
        return has(key) ? bool(key) : null;
    }

    /** A boolean with a default: absent gives dflt, null is refused. */
    public boolean boolOr(String key, boolean dflt) {
        JsonElement e = defaulted(key);
        return e == null ? dflt : bool(e, at(key), source);
    }

    /** A required integer in [0, max]. */
    public long unsigned(String key, long max) {
        return unsigned(require(key), at(key), source, max);
    }

    /** An optional integer in [0, max] (Rust Option&lt;usize&gt;): -1 when absent or null. */
    public long optionalUnsigned(String key, long max) {
        return has(key) ? unsigned(key, max) : -1;
    }

    /** An integer in [0, max] with a default: absent gives dflt, null is refused. */
    public long unsignedOr(String key, long max, long dflt) {
        JsonElement e = defaulted(key);
        return e == null ? dflt : unsigned(e, at(key), source, max);
    }

    /** A Rust char: a string of exactly one Unicode code point. */
    public int character(String key) {
        String s = string(key);
        if (s.codePointCount(0, s.length()) != 1) {
            throw fail(key, "must be a string of one character, got \"" + s + "\"");
        }
        return s.codePointAt(0);
    }

    /** A required string from a fixed set (a Rust enum of unit variants). */
    public String oneOf(String key, Set<String> values) {
        return oneOf(require(key), at(key), source, values);
    }

    /** A string from a fixed set with a default: absent gives dflt, null is refused. */
    public String oneOfOr(String key, Set<String> values, String dflt) {
        JsonElement e = defaulted(key);
        return e == null ? dflt : oneOf(e, at(key), source, values);
    }

    /** A required array. */
    public JsonArray array(String key) {
        return array(require(key), at(key), source);
    }

    /** A required object. */
    public JsonFields object(String key) {
        return of(require(key), at(key), source);
    }

    // the same checks on elements that are not fields (array items, map values)

    /** A value that must be a string. */
    public static String string(JsonElement e, String path, String source) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw fail(source, path, "must be a string, got " + describe(e));
        }
        return e.getAsString();
    }

    /** A value that must be a boolean. */
    public static boolean bool(JsonElement e, String path, String source) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw fail(source, path, "must be true or false, got " + describe(e));
        }
        return e.getAsBoolean();
    }

    /** A value that must be an integer in [0, max]. */
    public static long unsigned(JsonElement e, String path, String source, long max) {
        if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()
                && e.getAsNumber() instanceof Long v && v >= 0 && v <= max) {
            return v;
        }
        throw fail(source, path, "must be an integer in [0, " + max + "], got " + describe(e));
    }

    /** Any finite number (integers included, as serde reads them into an f64). */
    public static double number(JsonElement e, String path, String source) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw fail(source, path, "must be a number, got " + describe(e));
        }
        return e.getAsDouble();
    }

    /** A value that must be one of the strings given. */
    public static String oneOf(JsonElement e, String path, String source, Set<String> values) {
        String s = string(e, path, source);
        if (!values.contains(s)) {
            throw fail(source, path, "must be one of " + new TreeSet<>(values) + ", got \"" + s + "\"");
        }
        return s;
    }

    /** A value that must be an array. */
    public static JsonArray array(JsonElement e, String path, String source) {
        if (e == null || !e.isJsonArray()) {
            throw fail(source, path, "must be an array, got " + describe(e));
        }
        return e.getAsJsonArray();
    }

    /** A short description of a value for messages: its kind and, when short, itself. */
    public static String describe(JsonElement e) {
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
