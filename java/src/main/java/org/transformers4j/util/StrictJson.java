package org.transformers4j.util;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.internal.LazilyParsedNumber;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import org.transformers4j.checkpoint.CheckpointException;

/**
 * JSON as RFC 8259 writes it, for files of a model folder: Gson's own parser is lenient (comments,
 * unquoted names, single quotes, NaN) and keeps the last of two equal keys silently, which would let
 * a corrupt file mean something else than it says. Here a syntax error, trailing text or a duplicate
 * key is a {@link CheckpointException} naming the source and where. Nesting is bounded by Gson's
 * reader (255 levels), so no input can exhaust the stack.
 */
public final class StrictJson {
    private StrictJson() {
    }

    /** Parses text that must be one JSON object; source names it in messages. */
    public static JsonObject parseObject(String text, String source) {
        JsonElement root = parse(text, source);
        if (!root.isJsonObject()) {
            throw new CheckpointException(source + ": expected a JSON object, found " + kind(root));
        }
        return root.getAsJsonObject();
    }

    /** Parses text that must be one JSON value; source names it in messages. */
    public static JsonElement parse(String text, String source) {
        JsonReader r = new JsonReader(new StringReader(text));
        r.setStrictness(Strictness.STRICT);
        try {
            JsonElement value = read(r, source);
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new CheckpointException(source + ": text after the JSON value at " + r.getPath());
            }
            return value;
        } catch (IOException | IllegalStateException e) {
            // MalformedJsonException and EOFException are IOExceptions; their messages say where
            throw new CheckpointException(source + ": not valid JSON: " + describe(e), e);
        }
    }

    /**
     * Gson's message for a parse error without its advice to parse leniently and its link: where
     * the error is (line, column, JSON path) and what was found.
     */
    public static String describe(Exception e) {
        String m = String.valueOf(e.getMessage());
        int see = m.indexOf("\nSee https://");
        if (see >= 0) {
            m = m.substring(0, see);
        }
        return m.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON");
    }

    /** What a JSON value is, for messages: object, array, string, number, boolean or null. */
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

    private static JsonElement read(JsonReader r, String source) throws IOException {
        switch (r.peek()) {
            case BEGIN_OBJECT -> {
                JsonObject o = new JsonObject();
                r.beginObject();
                while (r.hasNext()) {
                    String name = r.nextName();
                    if (o.has(name)) {
                        throw new CheckpointException(source + ": key \"" + name + "\" appears twice at " + r.getPath());
                    }
                    o.add(name, read(r, source));
                }
                r.endObject();
                return o;
            }
            case BEGIN_ARRAY -> {
                JsonArray a = new JsonArray();
                r.beginArray();
                while (r.hasNext()) {
                    a.add(read(r, source));
                }
                r.endArray();
                return a;
            }
            case STRING -> {
                return new JsonPrimitive(r.nextString());
            }
            case NUMBER -> {
                return new JsonPrimitive(new LazilyParsedNumber(r.nextString()));
            }
            case BOOLEAN -> {
                return new JsonPrimitive(r.nextBoolean());
            }
            case NULL -> {
                r.nextNull();
                return JsonNull.INSTANCE;
            }
            default -> throw new CheckpointException(source + ": unexpected " + r.peek() + " at " + r.getPath());
        }
    }
}
