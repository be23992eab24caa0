package org.transformers4j.scheduler;

import org.transformers4j.tokenizer.Tokenizer;

/**
 * A word-level tokenizer.json whose tokens are "t0" to "t{V-1}" (ids 0 to V - 1), ids 0, 1 and 2
 * special ([PAD], [BOS], [EOS] in the fixtures' configs), so that text made of such words runs
 * any fixture model of vocabulary V.
 */
final class NumberedTokenizer {
    private NumberedTokenizer() {
    }

    static Tokenizer of(int vocab) {
        StringBuilder v = new StringBuilder();
        for (int i = 0; i < vocab; i++) {
            v.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":").append(i);
        }
        StringBuilder added = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            added.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"content\":\"t").append(i)
                    .append("\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}");
        }
        String json = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[" + added + "],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,"
                + "\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + v + "},\"unk_token\":\"t0\"}}";
        return Tokenizer.fromJson(json);
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
