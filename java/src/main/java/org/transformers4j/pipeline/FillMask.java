package org.transformers4j.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.BatchEncoding;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.util.CloseGuard;

/** Fill-mask: the most likely tokens at each mask token of a text, with probabilities. Thread-safe. */
public final class FillMask implements AutoCloseable {
    /** One candidate for a mask: token id and text, its probability, and the text with it filled in. */
    public record Prediction(long tokenId, String token, double score, String sequence) {
    }

    private final EncoderModel model;
    private final Tokenizer tokenizer;
    private final String maskToken;
    private final CloseGuard guard;

    /** maskToken is the tokenizer's mask ("[MASK]" for BERT, "&lt;mask&gt;" for RoBERTa). */
    public FillMask(EncoderModel model, Tokenizer tokenizer, String maskToken) {
        if (model.head() != EncoderModel.Head.MASKED_LM) {
            throw new IllegalArgumentException("fill-mask needs a masked-LM model, " + model.config().source()
                    + " has head " + model.head());
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.maskToken = maskToken;
        this.guard = new CloseGuard("FillMask", this::release);
    }

    /** For each mask token in the text (in order), its topK candidates, most likely first. */
    public List<List<Prediction>> fill(String text, int topK) {
        guard.enter();
        try {
            if (topK < 1) {
                throw new IllegalArgumentException("topK must be >= 1, got " + topK);
            }
            BatchEncoding enc = tokenizer.encodeBatch(List.of(text));
            Encoding e = enc.encodings().get(0);
            List<Integer> masks = new ArrayList<>();
            for (int i = 0; i < e.length(); i++) {
                if (e.tokens()[i].equals(maskToken)) {
                    masks.add(i);
                }
            }
            if (masks.isEmpty()) {
                throw new IllegalArgumentException("the text has no mask token " + maskToken + ": " + text);
            }
            try (TensorArena arena = TensorArena.confined()) {
                float[] logits = model.forward(new EncoderInput(1, enc.seq(), enc.ids(), enc.attentionMask(),
                        enc.typeIds()), false, arena).logits().toFloatArray();
                int v = model.vocabSize();
                List<List<Prediction>> out = new ArrayList<>();
                for (int pos : masks) {
                    double[] p = Scores.softmax(logits, pos * v, v);
                    List<Prediction> preds = new ArrayList<>();
                    for (int id : Scores.topK(p, topK)) {
                        String token = tokenizer.decode(new long[] {id}, false).strip();
                        long[] filled = e.ids().clone();
                        filled[pos] = id;
                        preds.add(new Prediction(id, token, p[id], tokenizer.decode(filled, true)));
                    }
                    out.add(preds);
                }
                return out;
            }
        } finally {
            guard.exit();
        }
    }

    /**
     * Closes the model and the tokenizer once the calls in flight have finished; calls after it
     * fail with IllegalStateException. A second close does nothing.
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
