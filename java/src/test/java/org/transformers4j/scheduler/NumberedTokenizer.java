package org.transformers4j.scheduler;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * The word-level test tokenizers of the resources (tokenizers/README.md): "t0" to "t999" are ids 0
 * to 999, so that text made of such words runs any fixture model of vocabulary 1000.
 */
final class NumberedTokenizer {
    private NumberedTokenizer() {
    }

    static Tokenizer of(int vocab) {
        return load(vocab, "numbered-1000.json");
    }

    /** The same with id 4 spelled [MASK], for fill-mask. */
    static Tokenizer withMask(int vocab) {
        return load(vocab, "numbered-1000-mask.json");
    }

    private static Tokenizer load(int vocab, String name) {
        if (vocab != 1000) {
            throw new IllegalArgumentException("the test tokenizers have 1000 tokens, the model " + vocab);
        }
        try {
            return Tokenizer.load(Path.of(NumberedTokenizer.class.getResource("/tokenizers/" + name).toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A prompt of n words drawn from ids 3 to vocab - 1 by seed. */
    static String prompt(long seed, int n, int vocab) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append('t').append(r.nextInt(3, vocab));
        }
        return sb.toString();
    }
}
