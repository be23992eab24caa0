package org.transformers4j.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;

/**
 * A request's JSON object, read field by field: every wrong type, range or shape is an
 * {@link ApiError} naming the field.
 */
final class JsonBody {
    private final JsonObject json;

    private JsonBody(JsonObject json) {
        this.json = json;
    }

    static JsonBody parse(String text) {
        JsonElement e;
        try {
            e = JsonParser.parseString(text);
        } catch (RuntimeException ex) {
            throw ApiError.invalid(null, "The body is not valid JSON: " + ex.getMessage());
        }
        if (!e.isJsonObject()) {
            throw ApiError.invalid(null, "The body must be a JSON object");
        }
        return new JsonBody(e.getAsJsonObject());
    }

    boolean has(String field) {
        return json.has(field) && !json.get(field).isJsonNull();
    }

    JsonElement get(String field) {
        return has(field) ? json.get(field) : null;
    }

    /** A string field, or dflt when absent or null. */
    String string(String field, String dflt) {
        JsonElement e = get(field);
        if (e == null) {
            return dflt;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw ApiError.invalid(field, "'" + field + "' must be a string");
        }
        return e.getAsString();
    }

    boolean bool(String field, boolean dflt) {
        JsonElement e = get(field);
        if (e == null) {
            return dflt;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw ApiError.invalid(field, "'" + field + "' must be true or false");
        }
        return e.getAsBoolean();
    }

    /** An integer field within [min, max], or dflt when absent or null (exact: a seed may need all 64 bits). */
    long integer(String field, long dflt, long min, long max) {
        JsonElement e = get(field);
        if (e == null) {
            return dflt;
        }
        number(field, e);
        java.math.BigDecimal d = e.getAsBigDecimal();
        try {
            long v = d.longValueExact();
            if (v >= min && v <= max) {
                return v;
            }
        } catch (ArithmeticException notAnInteger) {
            // falls through to the message
        }
        throw ApiError.invalid(field, "'" + field + "' must be an integer from " + min + " to " + max + ", got " + e);
    }

    /** A number within [min, max], or dflt when absent or null. */
    double real(String field, double dflt, double min, double max) {
        JsonElement e = get(field);
        if (e == null) {
            return dflt;
        }
        double d = number(field, e);
        if (!(d >= min && d <= max)) {
            throw ApiError.invalid(field, "'" + field + "' must be a number from " + min + " to " + max + ", got " + e);
        }
        return d;
    }

    private static double number(String field, JsonElement e) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw ApiError.invalid(field, "'" + field + "' must be a number, got " + e);
        }
        return e.getAsDouble();
    }

    /**
     * A string or an array of strings (at most maxItems, each non-empty), as OpenAI's input and
     * prompt fields; required unless dflt is given.
     */
    List<String> strings(String field, int maxItems, boolean required) {
        JsonElement e = get(field);
        if (e == null) {
            if (required) {
                throw ApiError.invalid(field, "'" + field + "' is required");
            }
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (e instanceof JsonPrimitive p && p.isString()) {
            out.add(p.getAsString());
        } else if (e instanceof JsonArray a) {
            if (a.isEmpty()) {
                throw ApiError.invalid(field, "'" + field + "' must not be an empty array");
            }
            for (int i = 0; i < a.size(); i++) {
                JsonElement item = a.get(i);
                if (!(item instanceof JsonPrimitive p && p.isString())) {
                    throw ApiError.invalid(field, "'" + field + "[" + i + "]' must be a string (token arrays are not"
                            + " supported)");
                }
                out.add(item.getAsString());
            }
        } else {
            throw ApiError.invalid(field, "'" + field + "' must be a string or an array of strings");
        }
        if (out.size() > maxItems) {
            throw ApiError.invalid(field, "'" + field + "' has " + out.size() + " items, at most " + maxItems
                    + " are allowed");
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).isEmpty()) {
                throw ApiError.invalid(field, "'" + field + (out.size() > 1 ? "[" + i + "]" : "") + "' must not be empty");
            }
        }
        return out;
    }

    /** Refuses a field that, when present, must have the neutral value the server supports. */
    void unsupported(String field, JsonElement neutral, String why) {
        JsonElement e = get(field);
        if (e != null && !e.equals(neutral)) {
            throw ApiError.invalid(field, "'" + field + "' is not supported: " + why);
        }
    }
}
