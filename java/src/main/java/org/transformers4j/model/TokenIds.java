package org.transformers4j.model;

import com.google.gson.TypeAdapter;
import com.google.gson.annotations.JsonAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A config key that holds one token id or a list of them (eos_token_id in Llama 3 and others).
 *
 * @param ids the ids in the order given
 */
@JsonAdapter(TokenIds.Adapter.class)
public record TokenIds(List<Long> ids) {

    /** Copies what could change underneath, so that the record stays as made. */
    public TokenIds {
        ids = List.copyOf(ids);
    }

    /**
     * {@return one id}
     *
     * @param id the id
     */
    public static TokenIds of(long id) {
        return new TokenIds(List.of(id));
    }

    /** Reads a number or an array of numbers, each an exact integer. */
    static final class Adapter extends TypeAdapter<TokenIds> {
        @Override
        public TokenIds read(JsonReader in) throws IOException {
            if (in.peek() == JsonToken.NULL) {
                in.nextNull();
                return null;
            }
            List<Long> ids = new ArrayList<>();
            if (in.peek() == JsonToken.BEGIN_ARRAY) {
                in.beginArray();
                while (in.hasNext()) {
                    ids.add(in.nextLong());
                }
                in.endArray();
            } else {
                ids.add(in.nextLong());
            }
            return new TokenIds(ids);
        }

        @Override
        public void write(JsonWriter out, TokenIds value) throws IOException {
            if (value == null) {
                out.nullValue();
                return;
            }
            out.beginArray();
            for (long id : value.ids()) {
                out.value(id);
            }
            out.endArray();
        }
    }
}
