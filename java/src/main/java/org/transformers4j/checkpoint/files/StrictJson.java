package org.transformers4j.checkpoint.files;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.util.StrictJsonParser;

/**
 * JSON of a model folder's files parsed as {@link StrictJsonParser} does, with its errors as the
 * {@link CheckpointException}s users catch (see {@link SafeFiles} for why this is not in util).
 */
public final class StrictJson {
    private StrictJson() {
    }

    /**
     * As {@link StrictJsonParser#parse}.
     *
     * @param text the JSON
     * @param source what it is, for messages
     * @return the value
     * @throws CheckpointException naming source, the place and what is wrong there
     */
    public static JsonElement parse(String text, String source) {
        return SafeFiles.checked(() -> StrictJsonParser.parse(text, source));
    }

    /**
     * As {@link StrictJsonParser#parseObject}.
     *
     * @param text the JSON, one object
     * @param source what it is, for messages
     * @return the object
     * @throws CheckpointException naming source and the fault
     */
    public static JsonObject parseObject(String text, String source) {
        return SafeFiles.checked(() -> StrictJsonParser.parseObject(text, source));
    }
}
