package org.transformers4j.fuzz;

import org.transformers4j.checkpoint.files.SafeFiles;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.tokenizer.TokenizerJson;

/**
 * Fuzz target: the bytes as a tokenizer.json. They are checked ({@link TokenizerJson#check});
 * only a file that passes is given to the native tokenizers library, which then loads it, encodes
 * a few texts (and a pair) and decodes the ids. Refusals are IllegalArgumentExceptions; anything
 * else escaping, and above all a crash of the JVM (a Rust panic aborts it), is a finding.
 */
public final class TokenizerJsonTarget {
    private static final String[] TEXTS = {"", "hello world", "Hello, WORLD!  ", "héllo wörld 你好 ﬁ 🤗", "a\tb\nc",
        "\u0000<0x41>[CLS]"};

    private TokenizerJsonTarget() {
    }

    /** One input: refused with an IllegalArgumentException, or run through to the end. */
    public static void fuzzerTestOneInput(byte[] data) {
        String text;
        try {
            text = SafeFiles.decodeUtf8(data, "tokenizer.json");
            TokenizerJson.check(text, "tokenizer.json");
        } catch (IllegalArgumentException refused) {
            return;
        }
        try (Tokenizer t = Tokenizer.fromJson(text)) {
            for (String s : TEXTS) {
                Encoding e = t.encode(s);
                t.decode(e.ids(), true);
                t.decode(e.ids(), false);
            }
            t.encode("hello", "world");
            t.decode(new long[] {0, 1, 2, 3, 100, 1000, 65535, -1, 1L << 33}, false);
        } catch (IllegalArgumentException refused) {
            // the library's own refusals (a regex it cannot compile, a word it has no token for)
        }
    }
}
