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
import org.transformers4j.checkpoint.files.SafeFiles;

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

    /**
     * Reads and parses a config.json file.
     *
     * @param file the config.json file
     * @return the parsed config
     */
    public static ModelConfig read(Path file) {
        return parse(SafeFiles.readText(file, "config", SafeFiles.MAX_JSON_BYTES),
                file.toString());
    }

    /**
     * Parses config.json text; source names it in messages.
     *
     * @param text the file's text
     * @param source what the text came from, for messages
     * @return the parsed config
     */
    public static ModelConfig parse(String text, String source) {
        try {
            return new ModelConfig(JsonParser.parseString(text).getAsJsonObject(), source);
        } catch (RuntimeException e) {
            throw new CheckpointException(source + ": not a JSON object: " + e.getMessage(), e);
        }
    }

    /** {@return the JSON itself (for writing a checkpoint back out)} */
    public JsonObject json() {
        return json.deepCopy();
    }

    /**
     * {@return what the config came from (a file name), as messages name it}
     */
    public String source() {
        return source;
    }

    /**
     * model_type, required.
     *
     * @return the model type
     */
    public String modelType() {
        return requireString("model_type");
    }

    /**
     * architectures, or an empty list.
     *
     * @return the architectures
     */
    public List<String> architectures() {
        List<String> out = new ArrayList<>();
        if (json.has("architectures") && json.get("architectures").isJsonArray()) {
            json.getAsJsonArray("architectures").forEach(e -> out.add(string("architectures", e)));
        }
        return out;
    }

    /**
     * {@return whether the config has the key}
     *
     * @param key a config.json key
     */
    public boolean has(String key) {
        return json.has(key) && !json.get(key).isJsonNull();
    }

    /**
     * {@return an integer key, required: a number without a fraction that fits an int}
     *
     * @param key a config.json key
     */
    public int requireInt(String key) {
        JsonElement e = number(key);
        try {
            return e.getAsBigDecimal().intValueExact();
        } catch (ArithmeticException | NumberFormatException notAnInt) {
            throw new CheckpointException(source + ": key " + key + " is not an integer that fits an int: " + e);
        }
    }

    /**
     * {@return an integer key, or the default when absent or null}
     *
     * @param key a config.json key
     * @param dflt the value when the key is absent or null
     */
    public int getInt(String key, int dflt) {
        return has(key) ? requireInt(key) : dflt;
    }

    /**
     * {@return a floating-point key, or the default when absent or null}
     *
     * @param key a config.json key
     * @param dflt the value when the key is absent or null
     */
    public double getDouble(String key, double dflt) {
        return has(key) ? number(key).getAsDouble() : dflt;
    }

    /**
     * {@return a boolean key, or the default when absent or null}
     *
     * @param key a config.json key
     * @param dflt the value when the key is absent or null
     */
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

    /**
     * {@return a string key, or the default when absent or null}
     *
     * @param key a config.json key
     * @param dflt the value when the key is absent or null
     */
    public String getString(String key, String dflt) {
        return has(key) ? string(key, json.get(key)) : dflt;
    }

    /**
     * {@return a string key, required}
     *
     * @param key a config.json key
     */
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

    /**
     * id2label as a map from class index to label, or an empty map.
     *
     * @return the labels by class index
     */
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
