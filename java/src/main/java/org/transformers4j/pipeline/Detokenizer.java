package org.transformers4j.pipeline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.transformers4j.generation.TokenListener;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * Turns generated tokens into text pieces: decodes each sequence's tokens so far and passes on
 * what is new, holding back an incomplete character (a byte-level token may end mid-character).
 */
final class Detokenizer implements TokenListener {
    private final Tokenizer tokenizer;
    private final TextListener listener;
    private final Map<Integer, List<Long>> tokens = new HashMap<>();
    private final Map<Integer, Integer> emitted = new HashMap<>();

    Detokenizer(Tokenizer tokenizer, TextListener listener) {
        this.tokenizer = tokenizer;
        this.listener = listener;
    }

    @Override
    public void onToken(int sequence, long token) {
        List<Long> seq = tokens.computeIfAbsent(sequence, k -> new ArrayList<>());
        seq.add(token);
        String text = tokenizer.decode(seq.stream().mapToLong(Long::longValue).toArray(), true);
        int done = emitted.getOrDefault(sequence, 0);
        if (text.endsWith("\uFFFD") || text.length() <= done) {
            return;
        }
        listener.onText(sequence, text.substring(done));
        emitted.put(sequence, text.length());
    }
}
