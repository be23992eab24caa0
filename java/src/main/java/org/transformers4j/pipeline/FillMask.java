package org.transformers4j.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.BatchEncoding;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.util.CloseGuard;

/** Fill-mask: the most likely tokens at each mask token of a text, with probabilities. Thread-safe. */
public final class FillMask implements AutoCloseable {
    /**
     * One candidate for a mask: token id and text, its probability, and the text with it filled in.
     *
     * @param tokenId the candidate token's id
     * @param token its text
     * @param score its probability
     * @param sequence the text with the mask replaced by it
     */
    public record Prediction(long tokenId, String token, double score, String sequence) {
    }

    private final EncoderModel model;
    private final Tokenizer tokenizer;
    private final CloseGuard guard;
    private final String maskToken;

    /**
     * A fill-mask pipeline that takes the model and the tokenizer over (close frees them).
     *
     * @param model an encoder with a masked-language-model head
     * @param tokenizer its tokenizer
     * @param maskToken the tokenizer's mask ("[MASK]" for BERT, "&lt;mask&gt;" for RoBERTa)
     */
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

    /**
     * For each mask token in the text (in order), its topK candidates, most likely first.
     *
     * @param text a text with at least one mask token
     * @param topK candidates per mask, at least 1
     * @return one list of candidates per mask token
     */
    public List<List<Prediction>> fill(String text, int topK) {
        guard.enter();
        try {
            Encoding e = tokenizer.encode(text);
            masks(e, text);
            return fillEncoded(List.of(e), topK).get(0);
        } finally {
            guard.exit();
        }
    }

    /**
     * As {@link #fill}, for texts this pipeline's tokenizer encoded (each with a mask token), in
     * one forward pass (padding skipped where the model can, the vocabulary projection at the mask tokens
     * only).
     *
     * @param encodings the encoded texts
     * @param topK candidates per mask, at least 1
     * @return for each text, one list of candidates per mask token
     */
    public List<List<List<Prediction>>> fillEncoded(List<Encoding> encodings, int topK) {
        guard.enter();
        try {
            if (topK < 1) {
                throw new IllegalArgumentException("topK must be >= 1, got " + topK);
            }
            BatchEncoding enc = BatchEncoding.pad(encodings, tokenizer.padId());
            List<List<Integer>> masks = new ArrayList<>();
            List<Long> at = new ArrayList<>();
            for (int b = 0; b < enc.batch(); b++) {
                masks.add(masks(encodings.get(b), null));
                for (int pos : masks.get(b)) {
                    at.add((long) b * enc.seq() + pos);
                }
            }
            try (TensorArena arena = TensorArena.confined()) {
                // the vocabulary projection runs over the mask tokens alone, not every token
                Tensor scores = model.logitsAt(new EncoderInput(enc.batch(), enc.seq(), enc.ids(), enc.attentionMask(),
                        enc.typeIds()), at.stream().mapToLong(Long::longValue).toArray(), arena);
                if (scores.rank() != 2 || scores.dim(0) != at.size()) {
                    throw new IllegalStateException("the masked LM head of " + model.config().source() + " gave logits "
                            + scores.shape() + " for " + at.size() + " masks");
                }
                int v = (int) scores.dim(1);
                float[] logits = scores.toFloatArray();
                List<List<List<Prediction>>> out = new ArrayList<>();
                int row = 0;
                for (int b = 0; b < enc.batch(); b++) {
                    Encoding e = encodings.get(b);
                    List<List<Prediction>> predictions = new ArrayList<>();
                    for (int pos : masks.get(b)) {
                        predictions.add(predictions(logits, (long) row++ * v, v, e, pos, topK));
                    }
                    out.add(predictions);
                }
                return out;
            }
        } finally {
            guard.exit();
        }
    }

    /**
     * {@return the positions of the mask tokens; refused when there is none (text, if given, named)}
     *
     * @param e an encoded text
     * @param text the text, for the error message, or null
     */
    public List<Integer> masks(Encoding e, String text) {
        List<Integer> masks = new ArrayList<>();
        for (int i = 0; i < e.length(); i++) {
            if (e.tokens()[i].equals(maskToken)) {
                masks.add(i);
            }
        }
        if (masks.isEmpty()) {
            throw new IllegalArgumentException("the text has no mask token " + maskToken
                    + (text == null ? "" : ": " + text));
        }
        return masks;
    }

    private List<Prediction> predictions(float[] logits, long at, int v, Encoding e, int pos, int topK) {
        double[] p = Scores.softmax(logits, Math.toIntExact(at), v);
        List<Prediction> preds = new ArrayList<>();
        for (int id : Scores.topK(p, topK)) {
            String token = tokenizer.decode(new long[] {id}, false).strip();
            long[] filled = e.ids().clone();
            filled[pos] = id;
            preds.add(new Prediction(id, token, p[id], tokenizer.decode(filled, true)));
        }
        return preds;
    }

    /** {@return the model} */
    public EncoderModel model() {
        return model;
    }

    /** {@return the tokenizer, which {@link #fillEncoded} expects encodings from} */
    public Tokenizer tokenizer() {
        return tokenizer;
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
