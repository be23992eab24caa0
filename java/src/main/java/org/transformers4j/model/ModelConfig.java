package org.transformers4j.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.util.SafeFiles;

/**
 * A model's config.json, with typed access to its keys exactly as Hugging Face writes them.
 * Family configs (for example {@code BertConfig}) read their fields from here.
 */
public final class ModelConfig {
    private final JsonObject json;
    private final String source;

    private ModelConfig(JsonObject json, String source) {
        this.json = json;
        this.source = source;
    }

    /** Reads and parses a config.json file. */
    public static ModelConfig read(Path file) {
        return parse(SafeFiles.readText(file, "config", SafeFiles.MAX_JSON_BYTES),
                file.toString());
    }

    /** Parses config.json text; source names it in messages. */
    public static ModelConfig parse(String text, String source) {
        try {
            return new ModelConfig(JsonParser.parseString(text).getAsJsonObject(), source);
        } catch (RuntimeException e) {
            throw new CheckpointException(source + ": not a JSON object: " + e.getMessage(), e);
        }
    }

    /** The JSON itself (for writing a checkpoint back out). */
    public JsonObject json() {
        return json.deepCopy();
    }

    public String source() {
        return source;
    }

    /** model_type, required. */
    public String modelType() {
        return requireString("model_type");
    }

    /** architectures, or an empty list. */
    public List<String> architectures() {
        List<String> out = new ArrayList<>();
        if (json.has("architectures") && json.get("architectures").isJsonArray()) {
            json.getAsJsonArray("architectures").forEach(e -> out.add(string("architectures", e)));
        }
        return out;
    }

    public boolean has(String key) {
        return json.has(key) && !json.get(key).isJsonNull();
    }

    /** An integer key, required: a number without a fraction that fits an int. */
    public int requireInt(String key) {
        JsonElement e = number(key);
        try {
            return e.getAsBigDecimal().intValueExact();
        } catch (ArithmeticException | NumberFormatException notAnInt) {
            throw new CheckpointException(source + ": key " + key + " is not an integer that fits an int: " + e);
        }
    }

    /** An integer key, or the default when absent or null. */
    public int getInt(String key, int dflt) {
        return has(key) ? requireInt(key) : dflt;
    }

    /** A floating-point key, or the default when absent or null. */
    public double getDouble(String key, double dflt) {
        return has(key) ? number(key).getAsDouble() : dflt;
    }

    /** A boolean key, or the default when absent or null. */
    public boolean getBoolean(String key, boolean dflt) {
        if (!has(key)) {
            return dflt;
        }
        JsonElement e = json.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new CheckpointException(source + ": key " + key + " is not true or false: " + e);
        }
        return e.getAsBoolean();
    }

    /** A string key, or the default when absent or null. */
    public String getString(String key, String dflt) {
        return has(key) ? string(key, json.get(key)) : dflt;
    }

    /** A string key, required. */
    public String requireString(String key) {
        if (!has(key)) {
            throw new CheckpointException(source + ": missing key " + key);
        }
        return string(key, json.get(key));
    }

    private String string(String key, JsonElement e) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new CheckpointException(source + ": key " + key + " is not a string: " + e);
        }
        return e.getAsString();
    }

    /** id2label as a map from class index to label, or an empty map. */
    public Map<Integer, String> id2label() {
        Map<Integer, String> out = new TreeMap<>();
        if (has("id2label")) {
            if (!json.get("id2label").isJsonObject()) {
                throw new CheckpointException(source + ": key id2label is not an object: " + json.get("id2label"));
            }
            for (Map.Entry<String, JsonElement> e : json.getAsJsonObject("id2label").entrySet()) {
                try {
                    out.put(Integer.parseInt(e.getKey()), string("id2label", e.getValue()));
                } catch (NumberFormatException notAnIndex) {
                    throw new CheckpointException(source + ": id2label key " + e.getKey() + " is not a class index");
                }
            }
        }
        return out;
    }

    private JsonElement number(String key) {
        if (!has(key)) {
            throw new CheckpointException(source + ": missing key " + key);
        }
        JsonElement e = json.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new CheckpointException(source + ": key " + key + " is not a number: " + e);
        }
        return e;
    }
}
