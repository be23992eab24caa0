package org.transformers4j.tokenizer;

import org.transformers4j.util.JsonFields;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks the precompiled_charsmap of a Precompiled normalizer (SentencePiece's normalization
 * rules) before the native library reads it. The library panics, rather than failing, when the
 * charsmap is not canonical base64 or does not parse, and later, while normalizing text, when
 * its double-array trie sends a lookup outside the array or a rule points outside (or into the
 * middle of a character of) the replacement strings. The format: a little-endian u32 trie size
 * in bytes, the trie as u32 units, then the replacement strings, UTF-8, each ended by a 0 byte.
 * Every state of the trie reachable by any input bytes is visited, so a charsmap accepted here
 * cannot make the library index outside it, whatever text is normalized.
 */
final class PrecompiledCharsmap {
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]*={0,2}");

    private PrecompiledCharsmap() {
    }

    /** Checks the charsmap; returns the most characters one rule puts in place of its match (at least 1). */
    static double check(String base64, String path, String source) {
        byte[] bytes = decode(base64, path, source);
        if (bytes.length < 4) {
            throw JsonFields.fail(source, path, "holds " + bytes.length + " bytes, fewer than its 4-byte header");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long units = Integer.toUnsignedLong(in.getInt(0)) / 4;
        if (units == 0) {
            throw JsonFields.fail(source, path, "has an empty trie");
        }
        if (4 + 4 * units > bytes.length) {
            throw JsonFields.fail(source, path, "declares a trie of " + units + " units but holds "
                    + (bytes.length - 4) / 4);
        }
        long[] trie = new long[(int) units];
        for (int i = 0; i < trie.length; i++) {
            trie[i] = Integer.toUnsignedLong(in.getInt(4 + 4 * i));
        }
        int stringsAt = 4 + 4 * trie.length;
        byte[] strings = new byte[bytes.length - stringsAt];
        System.arraycopy(bytes, stringsAt, strings, 0, strings.length);
        requireUtf8(strings, path, source);
        return Math.max(1, walk(trie, strings, path, source));
    }

    /** Canonical base64 (padded, no stray bits), as the library's decoder requires. */
    private static byte[] decode(String s, String path, String source) {
        if (s.length() % 4 != 0 || !BASE64.matcher(s).matches()) {
            throw JsonFields.fail(source, path, "is not canonical base64");
        }
        byte[] bytes = Base64.getDecoder().decode(s);
        if (!Base64.getEncoder().encodeToString(bytes).equals(s)) {
            throw JsonFields.fail(source, path, "is not canonical base64 (nonzero bits after the last byte)");
        }
        return bytes;
    }

    private static void requireUtf8(byte[] strings, String path, String source) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(strings));
        } catch (CharacterCodingException e) {
            throw JsonFields.fail(source, path, "has replacement strings that are not UTF-8");
        }
    }

    /**
     * Visits every trie state any input can reach, as the library's lookup moves: from state p,
     * byte c (1..255) goes to unit p ^ c, which matches when its label is c; the next state is
     * that unit's position ^ its offset, and a leaf there holds an index into strings.
     */
    private static int walk(long[] trie, byte[] strings, String path, String source) {
        int longest = 0;
        Set<Long> seen = new HashSet<>();
        ArrayDeque<Long> todo = new ArrayDeque<>();
        todo.add(offset(trie[0]));
        while (!todo.isEmpty()) {
            long state = todo.poll();
            if (!seen.add(state)) {
                continue;
            }
            for (int c = 1; c < 256; c++) {
                long unit = state ^ c;
                if (unit >= trie.length) {
                    throw JsonFields.fail(source, path, "has a trie that sends byte " + c + " at state " + state
                            + " to unit " + unit + ", outside its " + trie.length + " units");
                }
                long u = trie[(int) unit];
                if ((u & ((1L << 31) | 0xFF)) != c) {
                    continue;
                }
                long next = unit ^ offset(u);
                if (((u >>> 8) & 1) == 1) {
                    longest = Math.max(longest, leaf(trie, strings, next, path, source));
                }
                todo.add(next);
            }
        }
        return longest;
    }

    /**
     * The leaf at position next must exist and start a replacement string at a character
     * boundary; returns the length of that replacement in characters.
     */
    private static int leaf(long[] trie, byte[] strings, long next, String path, String source) {
        if (next >= trie.length) {
            throw JsonFields.fail(source, path, "has a trie leaf at unit " + next + ", outside its " + trie.length
                    + " units");
        }
        long value = trie[(int) next] & ((1L << 31) - 1);
        if (value > strings.length || (value < strings.length && (strings[(int) value] & 0xC0) == 0x80)) {
            throw JsonFields.fail(source, path, "has a rule pointing at byte " + value + " of its " + strings.length
                    + " bytes of replacements, " + (value > strings.length ? "past the end" : "inside a character"));
        }
        int end = (int) value;
        while (end < strings.length && strings[end] != 0) {
            end++;
        }
        String replacement = new String(strings, (int) value, end - (int) value, StandardCharsets.UTF_8);
        return replacement.codePointCount(0, replacement.length());
    }

    /** darts-clone's offset field: bits 10.. shifted left by 8 when bit 9 is set. */
    private static long offset(long unit) {
        return (unit >>> 10) << ((unit & (1L << 9)) >>> 6);
    }
}
