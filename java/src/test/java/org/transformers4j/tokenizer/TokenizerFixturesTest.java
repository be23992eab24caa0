package org.transformers4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Ids, type ids, tokens, offsets and decoded text identical to the Hugging Face tokenizers library. */
class TokenizerFixturesTest {

    @ParameterizedTest
    @ValueSource(strings = {"bert-wordpiece-uncased", "roberta-bpe", "gpt2-bpe", "t5-style-unigram"})
    void matchesTheReferenceLibrary(String name) throws IOException {
        Path d = Fixtures.tokenizer(name);
        JsonArray cases = JsonParser.parseString(Files.readString(d.resolve("cases.json"))).getAsJsonObject()
                .getAsJsonArray("cases");
        try (Tokenizer tok = Tokenizer.load(d.resolve("tokenizer.json"))) {
            for (var c : cases) {
                JsonObject o = c.getAsJsonObject();
                String text = o.get("text").getAsString();
                String pair = o.has("pair") ? o.get("pair").getAsString() : null;
                Encoding e = pair == null ? tok.encode(text) : tok.encode(text, pair);
                String what = name + " " + text;
                assertArrayEquals(longs(o.getAsJsonArray("ids")), e.ids(), what + ": ids");
                assertArrayEquals(longs(o.getAsJsonArray("type_ids")), e.typeIds(), what + ": type ids");
                JsonArray tokens = o.getAsJsonArray("tokens");
                for (int i = 0; i < tokens.size(); i++) {
                    assertEquals(tokens.get(i).getAsString(), e.tokens()[i], what + ": token " + i);
                }
                JsonArray offsets = o.getAsJsonArray("offsets");
                for (int i = 0; i < offsets.size(); i++) {
                    if (e.specialTokens()[i]) {
                        continue;
                    }
                    String source = e.sequence()[i] == 1 ? pair : text;
                    JsonArray span = offsets.get(i).getAsJsonArray();
                    // fixture offsets count code points (Python); ours index the Java string
                    int start = source.offsetByCodePoints(0, span.get(0).getAsInt());
                    int end = source.offsetByCodePoints(0, span.get(1).getAsInt());
                    assertEquals(start, e.starts()[i], what + ": start of token " + i);
                    assertEquals(end, e.ends()[i], what + ": end of token " + i);
                }
                assertEquals(o.get("decoded").getAsString(), tok.decode(e.ids(), true), what + ": decoded");
            }
        }
    }

    /** Byte-level BPE loses nothing: GPT-2's decoding gives back every text exactly. */
    @Test
    void gpt2DecodingRoundTrips() throws IOException {
        Path d = Fixtures.tokenizer("gpt2-bpe");
        JsonArray cases = JsonParser.parseString(Files.readString(d.resolve("cases.json"))).getAsJsonObject()
                .getAsJsonArray("cases");
        try (Tokenizer tok = Tokenizer.load(d.resolve("tokenizer.json"))) {
            int checked = 0;
            for (var c : cases) {
                JsonObject o = c.getAsJsonObject();
                if (o.has("pair")) {
                    continue;
                }
                String text = o.get("text").getAsString();
                assertEquals(text, tok.decode(tok.encode(text).ids(), false), "round trip of " + text);
                checked++;
            }
            assertTrue(checked >= 10, "only " + checked + " cases");
        }
    }

    private static long[] longs(JsonArray a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsLong();
        }
        return out;
    }

    @Test
    void batchesArePaddedToTheLongestWithAMask() {
        try (Tokenizer tok = Tokenizer.load(Fixtures.tokenizer("bert-wordpiece-uncased").resolve("tokenizer.json"))) {
            BatchEncoding b = tok.encodeBatch(List.of("a", "How do transformers work?"));
            assertEquals(2, b.batch());
            assertEquals(7, b.seq());
            assertEquals(0, tok.padId());
            assertArrayEquals(new long[] {1, 1, 1, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(b.attentionMask(), 0, 7));
            assertEquals(0, b.ids()[5]);
            Tokenizer truncated = tok.withTruncation(4);
            assertEquals(4, truncated.encode("How do transformers work?").length());
            assertTrue(truncated.encode("How do transformers work?").specialTokens()[3], "[SEP] kept at the end");
            truncated.close();
        }
    }
}
