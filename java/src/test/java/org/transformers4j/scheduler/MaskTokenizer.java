package org.transformers4j.scheduler;

import org.transformers4j.tokenizer.Tokenizer;

/** {@link NumberedTokenizer} with token 4 spelled "[MASK]", for fill-mask. */
final class MaskTokenizer {
    private MaskTokenizer() {
    }

    static Tokenizer of(int vocab) {
        StringBuilder v = new StringBuilder();
        for (int i = 0; i < vocab; i++) {
            v.append(i == 0 ? "" : ",").append('"').append(i == 4 ? "[MASK]" : "t" + i).append("\":").append(i);
        }
        String added = "{\"id\":4,\"content\":\"[MASK]\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                + "\"normalized\":false,\"special\":true}";
        String json = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[" + added + "],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,"
                + "\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + v + "},\"unk_token\":\"t0\"}}";
        return Tokenizer.fromJson(json);
    }
}
