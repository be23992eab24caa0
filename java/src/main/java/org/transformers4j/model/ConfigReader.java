package org.transformers4j.model;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import java.io.StringReader;
import java.lang.reflect.RecordComponent;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.transformers4j.checkpoint.CheckpointException;

/**
 * Reads a config.json into a family's config record with the JSON library's field naming: each
 * record component is the key of the same name, exactly as Hugging Face writes it. Before binding,
 * keys Hugging Face accepts under a second name are brought to the record's name, and missing keys
 * get the family's defaults. The record's constructor validates; whatever it refuses, and every
 * value of the wrong type, becomes a {@link CheckpointException} naming the file, the key and the
 * value.
 */
public final class ConfigReader {
    private static final Gson GSON = new Gson();
    // Gson's messages end with where the value was; what matters is the key the path names
    private static final Pattern GSON_MESSAGE = Pattern.compile(
            "(?s)(?:[\\w.]+Exception: )?(.*?);? at (?:line \\d+ column \\d+ )?path \\$\\.([^\\s]+).*");

    private ConfigReader() {
    }

    /**
     * The config as the record type: aliases maps a second name to the record's (GPT-2's
     * hidden_size to n_embd, as transformers' attribute_map does), defaults holds the value of each
     * key Hugging Face defaults when config.json leaves it out. An explicit null keeps its meaning
     * of "none" for components that can hold it (token ids, optional sizes); for a primitive
     * component it means the default too.
     *
     * @param <R> the record type
     * @param config the parsed config.json
     * @param type the record class
     * @param aliases second names of keys, to the record's names
     * @param defaults the family's defaults
     * @return the record (its compact constructor checks the values)
     */
    public static <R extends Record> R read(ModelConfig config, Class<R> type, Map<String, String> aliases,
                                            JsonObject defaults) {
        JsonObject json = config.json();
        resolveAliases(config, json, aliases);
        for (RecordComponent c : type.getRecordComponents()) {
            String key = c.getName();
            boolean unset = !json.has(key) || (json.get(key).isJsonNull() && c.getType().isPrimitive());
            if (unset && defaults.has(key)) {
                json.add(key, defaults.get(key));
            } else if (unset && c.getType().isPrimitive()) {
                throw new CheckpointException(config.source() + ": missing key " + key);
            }
        }
        // bound from text, not from the tree: the tree reader truncates 1.5 and 2^31 to ints silently
        JsonReader reader = null;
        try {
            reader = new JsonReader(new StringReader(GSON.toJson(json)));
            return GSON.fromJson(reader, type);
        } catch (JsonParseException | IllegalArgumentException e) {
            throw new CheckpointException(config.source() + ": " + describe(e, reader == null ? "$" : reader.getPath()),
                    e);
        } catch (RuntimeException e) {
            // Gson wraps what the record's constructor throws; only its refusals are about the file
            if (e.getCause() instanceof IllegalArgumentException refused) {
                throw new CheckpointException(config.source() + ": " + refused.getMessage(), refused);
            }
            throw e;
        }
    }

    /**
     * {@return a family's defaults, written as the JSON object Hugging Face would save}
     *
     * @param json the defaults as a JSON object
     */
    public static JsonObject defaults(String json) {
        return JsonParser.parseString(json).getAsJsonObject();
    }

    /** Values of both names must agree; the alias's is then the record's. */
    private static void resolveAliases(ModelConfig config, JsonObject json, Map<String, String> aliases) {
        for (Map.Entry<String, String> a : aliases.entrySet()) {
            String alias = a.getKey(), name = a.getValue();
            if (!json.has(alias) || json.get(alias).isJsonNull()) {
                continue;
            }
            JsonElement value = json.get(alias);
            if (json.has(name) && !json.get(name).isJsonNull() && !same(json.get(name), value)) {
                throw new CheckpointException(config.source() + ": " + name + " is " + json.get(name) + " but "
                        + alias + ", another name for it, is " + value);
            }
            json.add(name, value);
        }
    }

    private static boolean same(JsonElement a, JsonElement b) {
        if (a.isJsonPrimitive() && b.isJsonPrimitive() && a.getAsJsonPrimitive().isNumber()
                && b.getAsJsonPrimitive().isNumber()) {
            return a.getAsBigDecimal().compareTo(b.getAsBigDecimal()) == 0;
        }
        return a.equals(b);
    }

    /**
     * What was wrong: the record's own refusal (an IllegalArgumentException from its constructor)
     * as it is, else Gson's message reduced to the key and what was found there.
     */
    private static String describe(RuntimeException e, String path) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException && !(t instanceof NumberFormatException)) {
                return t.getMessage();
            }
        }
        Throwable root = e;
        while (root instanceof JsonParseException && root.getCause() != null) {
            root = root.getCause();
        }
        String message = String.valueOf(root.getMessage());
        Matcher m = GSON_MESSAGE.matcher(message);
        if (m.matches()) {
            return "key " + m.group(2) + ": " + lowerFirst(m.group(1));
        }
        String key = path.replaceFirst("^\\$\\.", "").replaceFirst("\\.$", "");
        if (message.startsWith("For input string: ")) { // the JDK's words for a string that is no number
            message = "expected a number but was " + message.substring("For input string: ".length());
        }
        return "key " + key + ": " + lowerFirst(message);
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
