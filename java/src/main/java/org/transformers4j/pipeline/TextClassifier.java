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

/** Text classification: label probabilities per text, names from the config's id2label. Thread-safe. */
public final class TextClassifier implements AutoCloseable {
    /**
     * A label and its probability.
     *
     * @param label the label's name (id2label), or LABEL_i without one
     * @param score its probability
     */
    public record Label(String label, double score) {
    }

    private final EncoderModel model;
    private final Tokenizer tokenizer;
    private final CloseGuard guard;
    private final Map<Integer, String> labels;

    /**
     * A classifier that takes the model and the tokenizer over (close frees them).
     *
     * @param model an encoder with a sequence-classification head
     * @param tokenizer its tokenizer
     */
    public TextClassifier(EncoderModel model, Tokenizer tokenizer) {
        if (model.head() != EncoderModel.Head.SEQUENCE_CLASSIFICATION) {
            throw new IllegalArgumentException("text classification needs a sequence-classification model, "
                    + model.config().source() + " has head " + model.head());
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.labels = model.config().id2label();
        this.guard = new CloseGuard("TextClassifier", this::release);
    }

    /**
     * {@return every label with its probability, most likely first, for each text}
     *
     * @param texts the texts
     */
    public List<List<Label>> classify(List<String> texts) {
        guard.enter();
        try {
            if (texts.isEmpty()) {
                throw new IllegalArgumentException("texts is empty");
            }
            return classifyEncoded(texts.stream().map(tokenizer::encode).toList());
        } finally {
            guard.exit();
        }
    }

    /**
     * As {@link #classify(List)}, for texts this classifier's tokenizer encoded: one forward pass.
     *
     * @param encodings the encoded texts
     * @return every label with its probability, most likely first, for each text
     */
    public List<List<Label>> classifyEncoded(List<Encoding> encodings) {
        guard.enter();
        try {
            BatchEncoding enc = BatchEncoding.pad(encodings, tokenizer.padId());
            try (TensorArena arena = TensorArena.confined()) {
                var logits = model.forwardUnpadded(new EncoderInput(enc.batch(), enc.seq(), enc.ids(), enc.attentionMask(),
                        enc.typeIds()), arena).logits();
                int n = (int) logits.dim(1);
                float[] v = logits.toFloatArray();
                List<List<Label>> out = new ArrayList<>();
                for (int b = 0; b < enc.batch(); b++) {
                    double[] p = Scores.softmax(v, b * n, n);
                    List<Label> ranked = new ArrayList<>();
                    for (int id : Scores.topK(p, n)) {
                        ranked.add(new Label(labels.getOrDefault(id, "LABEL_" + id), p[id]));
                    }
                    out.add(ranked);
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

    /** {@return the tokenizer, which {@link #classifyEncoded} expects encodings from} */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * {@return the labels of one text, most likely first}
     *
     * @param text the text
     */
    public List<Label> classify(String text) {
        return classify(List.of(text)).get(0);
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
