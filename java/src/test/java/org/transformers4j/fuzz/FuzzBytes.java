package org.transformers4j.fuzz;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;

/**
 * Fuzzer bytes read as choices: small integers, edge-case numbers, and strings built from pieces
 * that tokenizers find hard (combining marks, zero-width and control characters, byte tokens,
 * emoji, prefixes). Past the end every read gives 0, so any input decodes to something.
 */
final class FuzzBytes {
    private static final String[] PIECES = {"a", "b", "ab", "c", "##", "\u2581", " ", "  ", "\t", "\n", "<0x41>",
        "<0xE2>", "[UNK]", "[CLS]", "</s>", "é", "e\u0301", "你", "\uD83E\uDD17", "\u0000", "\uFEFF", "\u200B", ".",
        "'s", "1", "23", "Ġ", "ĠHello", "ﬁ", "\u0130", "ß", "\\", "\"", "<", "$", "\r\n", "\u00A0", "\u3000"};
    private static final long[] EDGES = {0, 1, 2, 3, 5, 8, 100, 255, 256, 65535, 65536, Integer.MAX_VALUE,
        0xFFFF_FFFFL, 0xFFFF_FFFFL + 1, Long.MAX_VALUE};
    private final byte[] data;
    private int at;

    FuzzBytes(byte[] data) {
        this.data = data;
    }

    int next() {
        return at < data.length ? data[at++] & 0xFF : 0;
    }

    /** A choice in [0, n). */
    int choose(int n) {
        return n <= 1 ? 0 : n <= 256 ? next() % n : (next() | next() << 8) % n;
    }

    boolean bool() {
        return (next() & 1) == 1;
    }

    /** Mostly small, sometimes an edge value. */
    long number() {
        int b = next();
        return b < 200 ? b % 16 : EDGES[b % EDGES.length];
    }

    /** A JSON number: an integer, sometimes a fraction or negative. */
    JsonElement jsonNumber() {
        int kind = choose(8);
        long n = number();
        return switch (kind) {
            case 0 -> new JsonPrimitive(-n);
            case 1 -> new JsonPrimitive(n / 3.0);
            case 2 -> new JsonPrimitive(next() / 255.0);
            default -> new JsonPrimitive(n);
        };
    }

    /** A string of 0 to maxPieces pieces. */
    String text(int maxPieces) {
        StringBuilder s = new StringBuilder();
        int n = choose(maxPieces + 1);
        for (int i = 0; i < n; i++) {
            s.append(PIECES[choose(PIECES.length)]);
        }
        return s.toString();
    }

    /** A non-empty token. */
    String token() {
        String s = text(3);
        return s.isEmpty() ? PIECES[choose(PIECES.length)] : s;
    }

    /** One character (a code point, as a string). */
    String character() {
        String s = token();
        int offset = s.offsetByCodePoints(0, choose(s.codePointCount(0, s.length())));
        return new String(Character.toChars(s.codePointAt(offset)));
    }

    <T> T pick(T[] options) {
        return options[choose(options.length)];
    }

    JsonArray strings(int max) {
        JsonArray a = new JsonArray();
        int n = choose(max + 1);
        for (int i = 0; i < n; i++) {
            a.add(token());
        }
        return a;
    }
}
