package org.transformers4j.pipeline;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.BatchEncoding;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.util.CloseGuard;

/**
 * Feature extraction and sentence embeddings, as sentence-transformers computes them: the mean of
 * the last hidden state over real tokens, optionally L2-normalised. Texts are batched in order of
 * length so that little padding is computed. Thread-safe; close it to free the model.
 */
public final class SentenceEmbedder implements AutoCloseable {
    private final EncoderModel model;
    private final Tokenizer tokenizer;
    private final CloseGuard guard;
    private final boolean normalize;
    private int batchSize = 32;

    public SentenceEmbedder(EncoderModel model, Tokenizer tokenizer, boolean normalize) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.normalize = normalize;
        this.guard = new CloseGuard("SentenceEmbedder", this::release);
    }

    /** Texts per forward pass (default 32). */
    public SentenceEmbedder batchSize(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + n);
        }
        this.batchSize = n;
        return this;
    }

    /** Embedding size. */
    public int dimension() {
        return model.hiddenSize();
    }

    public EncoderModel model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** One embedding per text, in the order given; texts are tokenized once and batched by length. */
    public float[][] embed(List<String> texts) {
        guard.enter();
        try {
            List<Encoding> encodings = new ArrayList<>(texts.size());
            for (String t : texts) {
                encodings.add(tokenizer.encode(t));
            }
            Integer[] order = new Integer[texts.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, Comparator.comparingInt(i -> encodings.get(i).length()));
            float[][] out = new float[texts.size()][];
            for (int from = 0; from < order.length; from += batchSize) {
                List<Encoding> chunk = new ArrayList<>();
                for (int i = from; i < Math.min(order.length, from + batchSize); i++) {
                    chunk.add(encodings.get(order[i]));
                }
                float[][] e = embedEncoded(chunk);
                for (int i = 0; i < chunk.size(); i++) {
                    out[order[from + i]] = e[i];
                }
            }
            return out;
        } finally {
            guard.exit();
        }
    }

    /** The embedding of one text. */
    public float[] embed(String text) {
        return embedBatch(List.of(text))[0];
    }

    /** Texts embedded in one forward pass, padded to the longest. */
    public float[][] embedBatch(List<String> texts) {
        guard.enter();
        try {
            return embedEncoded(texts.stream().map(tokenizer::encode).toList());
        } finally {
            guard.exit();
        }
    }

    /**
     * Texts that this embedder's {@link #tokenizer()} encoded, embedded in one forward pass
     * padded to the longest (what a scheduler runs after tokenizing requests to size batches).
     */
    public float[][] embedEncoded(List<Encoding> encodings) {
        guard.enter();
        try {
            BatchEncoding enc = BatchEncoding.pad(encodings, tokenizer.padId());
            try (TensorArena arena = TensorArena.confined()) {
                Tensor h = model.forward(input(enc), false, arena).lastHiddenState();
                return pool(h.toFloatArray(), enc.attentionMask(), enc.batch(), enc.seq(), (int) h.dim(2));
            }
        } finally {
            guard.exit();
        }
    }

    /** Token vectors [tokens][C] of one text (feature extraction), special tokens included. */
    public float[][] tokenVectors(String text) {
        guard.enter();
        try {
            BatchEncoding enc = tokenizer.encodeBatch(List.of(text));
            try (TensorArena arena = TensorArena.confined()) {
                Tensor h = model.forward(input(enc), false, arena).lastHiddenState();
                float[] v = h.toFloatArray();
                int c = (int) h.dim(2);
                return IntStream.range(0, enc.seq())
                        .mapToObj(t -> java.util.Arrays.copyOfRange(v, t * c, (t + 1) * c)).toArray(float[][]::new);
            }
        } finally {
            guard.exit();
        }
    }

    private static EncoderInput input(BatchEncoding enc) {
        return new EncoderInput(enc.batch(), enc.seq(), enc.ids(), enc.attentionMask(), enc.typeIds());
    }

    private float[][] pool(float[] h, long[] mask, int b, int s, int c) {
        float[][] out = new float[b][c];
        for (int i = 0; i < b; i++) {
            double[] sum = new double[c];
            int n = 0;
            for (int t = 0; t < s; t++) {
                if (mask[i * s + t] == 0) {
                    continue;
                }
                n++;
                for (int k = 0; k < c; k++) {
                    sum[k] += h[(i * s + t) * c + k];
                }
            }
            double norm = 0;
            for (int k = 0; k < c; k++) {
                sum[k] /= Math.max(n, 1);
                norm += sum[k] * sum[k];
            }
            double scale = normalize ? 1 / Math.max(Math.sqrt(norm), 1e-12) : 1;
            for (int k = 0; k < c; k++) {
                out[i][k] = (float) (sum[k] * scale);
            }
        }
        return out;
    }

    /** Cosine similarity of two vectors. */
    public static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
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
