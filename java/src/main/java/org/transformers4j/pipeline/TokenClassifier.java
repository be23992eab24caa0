package org.transformers4j.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.BatchEncoding;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.util.CloseGuard;

/**
 * Token classification (named-entity recognition): a label per token, and entities merged from
 * B-/I- tags with character offsets into the text. Thread-safe.
 */
public final class TokenClassifier implements AutoCloseable {
    /**
     * A token's label: token text, label, probability, [start, end) in the input string.
     *
     * @param token the token's text
     * @param label its most likely label
     * @param score that label's probability
     * @param start the token's first character in the input
     * @param end the character after its last
     */
    public record TokenLabel(String token, String label, double score, int start, int end) {
    }

    /**
     * A merged entity: type (PER, LOC, ...), mean token probability, the text and [start, end) in the input.
     *
     * @param type the entity type, the label without its B-/I- prefix
     * @param score the mean probability of its tokens
     * @param word its text in the input
     * @param start its first character in the input
     * @param end the character after its last
     */
    public record Entity(String type, double score, String word, int start, int end) {
    }

    private final EncoderModel model;
    private final Tokenizer tokenizer;
    private final CloseGuard guard;
    private final Map<Integer, String> labels;

    /**
     * A classifier that takes the model and the tokenizer over (close frees them).
     *
     * @param model an encoder with a token-classification head
     * @param tokenizer its tokenizer
     */
    public TokenClassifier(EncoderModel model, Tokenizer tokenizer) {
        if (model.head() != EncoderModel.Head.TOKEN_CLASSIFICATION) {
            throw new IllegalArgumentException("token classification needs a token-classification model, "
                    + model.config().source() + " has head " + model.head());
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.labels = model.config().id2label();
        this.guard = new CloseGuard("TokenClassifier", this::release);
    }

    /**
     * {@return the most likely label of every non-special token}
     *
     * @param text the text
     */
    public List<TokenLabel> labelTokens(String text) {
        guard.enter();
        try {
            return labelEncoded(List.of(tokenizer.encode(text))).get(0);
        } finally {
            guard.exit();
        }
    }

    /**
     * The most likely label of every non-special token of each text this classifier's tokenizer
     * encoded, in one forward pass (padding skipped where the model can).
     *
     * @param encodings the encoded texts
     * @return the token labels of each text
     */
    public List<List<TokenLabel>> labelEncoded(List<Encoding> encodings) {
        guard.enter();
        try {
            BatchEncoding enc = BatchEncoding.pad(encodings, tokenizer.padId());
            try (TensorArena arena = TensorArena.confined()) {
                var logits = model.forwardUnpadded(new EncoderInput(enc.batch(), enc.seq(), enc.ids(), enc.attentionMask(),
                        enc.typeIds()), arena).logits();
                int n = (int) logits.dim(2);
                float[] v = logits.toFloatArray();
                List<List<TokenLabel>> out = new ArrayList<>();
                for (int b = 0; b < enc.batch(); b++) {
                    Encoding e = encodings.get(b);
                    List<TokenLabel> row = new ArrayList<>();
                    for (int t = 0; t < e.length(); t++) {
                        if (e.specialTokens()[t]) {
                            continue;
                        }
                        double[] p = Scores.softmax(v, (b * enc.seq() + t) * n, n);
                        int best = Scores.topK(p, 1)[0];
                        row.add(new TokenLabel(e.tokens()[t], labels.getOrDefault(best, "LABEL_" + best), p[best],
                                e.starts()[t], e.ends()[t]));
                    }
                    out.add(row);
                }
                return out;
            }
        } finally {
            guard.exit();
        }
    }

    /** {@return the model} */
    public EncoderModel model() {
        return model;
    }

    /** {@return the tokenizer, which {@link #labelEncoded} expects encodings from} */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Entities of the text: B-X starts one, I-X continues one of type X, anything else ends it.
     *
     * @param text the text
     * @return its entities, in order
     */
    public List<Entity> entities(String text) {
        return merge(labelTokens(text), text);
    }

    /**
     * Merges token labels into entities (the "simple" aggregation of Hugging Face pipelines).
     *
     * @param tokens the token labels of the text, in order
     * @param text the text they were made from
     * @return the entities, in order
     */
    public static List<Entity> merge(List<TokenLabel> tokens, String text) {
        List<Entity> out = new ArrayList<>();
        String type = null;
        int start = 0, end = 0, count = 0;
        double score = 0;
        for (TokenLabel t : tokens) {
            String l = t.label();
            boolean begins = l.startsWith("B-") || (l.startsWith("I-") && !l.substring(2).equals(type));
            boolean continues = l.startsWith("I-") && l.substring(2).equals(type);
            if (continues) {
                end = t.end();
                score += t.score();
                count++;
                continue;
            }
            if (type != null) {
                out.add(new Entity(type, score / count, text.substring(start, end), start, end));
                type = null;
            }
            if (begins) {
                type = l.substring(2);
                start = t.start();
                end = t.end();
                score = t.score();
                count = 1;
            }
        }
        if (type != null) {
            out.add(new Entity(type, score / count, text.substring(start, end), start, end));
        }
        return out;
    }

    /**
     * Frees the model and the tokenizer once the calls in flight have finished; later calls fail
     * with IllegalStateException. A second close does nothing.
     */
    @Override
    public void close() {
        guard.close();
    }

    private void release() {
        try {
            model.close();
        } finally {
            tokenizer.close();
        }
    }
}
