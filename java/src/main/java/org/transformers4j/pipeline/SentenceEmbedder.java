package org.transformers4j.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
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
 * Feature extraction and sentence embeddings, as sentence-transformers computes them: the text
 * prepared as its {@link EmbeddingSettings} say (prompt, strip, lowercase, truncation), the last
 * hidden state pooled ({@link Pooling}: mean, CLS, max, last token, ...), optionally
 * L2-normalised. Texts are batched in order of length so that little padding is computed.
 * {@link EmbeddingModels} makes one from a model folder with the folder's settings. Thread-safe;
 * close it to free the model.
 */
public final class SentenceEmbedder implements AutoCloseable {
    private final EncoderModel model;
    private final Tokenizer tokenizer;
    private final CloseGuard guard;
    private final EmbeddingSettings settings;
    private final int promptLength;
    private int batchSize = 32;

    /**
     * Mean pooling, normalised or not, with the tokenizer as it is; takes both over (close frees them).
     *
     * @param model the encoder
     * @param tokenizer its tokenizer
     * @param normalize whether embeddings are scaled to length 1
     */
    public SentenceEmbedder(EncoderModel model, Tokenizer tokenizer, boolean normalize) {
        this(model, tokenizer, EmbeddingSettings.mean(normalize));
    }

    /**
     * An embedder with these settings; takes the model and the tokenizer over (close frees them).
     * A maxLength in the settings replaces the tokenizer's truncation (the tokenizer given is then
     * closed at once, a copy truncating kept); it may not exceed the model's positions. When this
     * throws, the caller still owns the model and the tokenizer.
     *
     * @param model the encoder
     * @param tokenizer its tokenizer
     * @param settings how texts are prepared, pooled and normalised
     */
    public SentenceEmbedder(EncoderModel model, Tokenizer tokenizer, EmbeddingSettings settings) {
        if (settings.maxLength() > model.maxPositions()) {
            throw new IllegalArgumentException("maxLength " + settings.maxLength() + " is more than the "
                    + model.maxPositions() + " positions of " + model.config().source());
        }
        Tokenizer t = settings.maxLength() == 0 || tokenizer.maxTokens() == settings.maxLength() ? tokenizer
                : tokenizer.withTruncation(settings.maxLength());
        try {
            this.promptLength = settings.pooling().includePrompt() ? 0 : promptTokens(t, settings);
        } catch (RuntimeException e) {
            if (t != tokenizer) {
                t.close();
            }
            throw e;
        }
        if (t != tokenizer) {
            tokenizer.close();
        }
        this.model = model;
        this.tokenizer = t;
        this.settings = settings;
        this.guard = new CloseGuard("SentenceEmbedder", this::release);
    }

    /**
     * The prompt's tokens that pooling leaves out: the prompt alone tokenized, without a special
     * token at its end (sentence-transformers' _get_prompt_length); 0 without a prompt.
     */
    private static int promptTokens(Tokenizer tokenizer, EmbeddingSettings settings) {
        if (settings.prompt().isEmpty()) {
            return 0;
        }
        Encoding e = tokenizer.encode(prepared(settings.prompt(), settings.lowercase()));
        int n = e.length();
        return n > 0 && e.specialTokens()[n - 1] ? n - 1 : n;
    }

    /**
     * Sets how many texts go into one forward pass (default 32).
     *
     * @param n texts per forward pass, at least 1
     * @return this embedder
     */
    public SentenceEmbedder batchSize(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + n);
        }
        this.batchSize = n;
        return this;
    }

    /** {@return the embedding size: the hidden size times the number of pooling modes} */
    public int dimension() {
        return settings.pooling().dimension(model.hiddenSize());
    }

    /** {@return how texts are prepared, pooled and normalised} */
    public EmbeddingSettings settings() {
        return settings;
    }

    /** {@return the encoder, owned by this embedder} */
    public EncoderModel model() {
        return model;
    }

    /** {@return the tokenizer, owned by this embedder} */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * {@return one embedding per text, in the order given; texts are tokenized once and batched by length}
     *
     * @param texts the texts, none null
     */
    public float[][] embed(List<String> texts) {
        guard.enter();
        try {
            List<Encoding> encodings = new ArrayList<>(texts.size());
            for (String t : texts) {
                encodings.add(encode(t));
            }
            Integer[] order = new Integer[texts.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, Comparator.comparingInt(i -> encodings.get(i).length()));
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

    /**
     * {@return the embedding of one text}
     *
     * @param text the text
     */
    public float[] embed(String text) {
        return embedBatch(List.of(text))[0];
    }

    /**
     * {@return texts embedded in one forward pass (padding skipped where the model can)}
     *
     * @param texts the texts, at most as many as one batch should hold
     */
    public float[][] embedBatch(List<String> texts) {
        guard.enter();
        try {
            return embedEncoded(texts.stream().map(this::encode).toList());
        } finally {
            guard.exit();
        }
    }

    /**
     * A text as this embedder tokenizes it: the prompt put before it, surrounding whitespace
     * stripped, lowercased where the settings say, truncated to the settings' maxLength.
     *
     * @param text the text
     * @return its token ids, attention mask and offsets
     */
    public Encoding encode(String text) {
        guard.enter();
        try {
            return tokenizer.encode(prepared(settings.prompt() + text, settings.lowercase()));
        } finally {
            guard.exit();
        }
    }

    /**
     * Texts that {@link #encode} encoded, embedded in one forward pass, padding skipped where the model can (what
     * a scheduler runs after tokenizing requests to size batches).
     *
     * @param encodings what {@link #encode} returned for each text
     * @return one embedding per encoding, in the order given
     */
    public float[][] embedEncoded(List<Encoding> encodings) {
        guard.enter();
        try {
            BatchEncoding enc = BatchEncoding.pad(encodings, tokenizer.padId());
            try (TensorArena arena = TensorArena.confined()) {
                Tensor h = model.forwardUnpadded(input(enc), arena).lastHiddenState();
                return settings.pooling().pool(h.toFloatArray(), enc.attentionMask(), enc.batch(), enc.seq(),
                        (int) h.dim(2), promptLength, settings.normalize());
            }
        } finally {
            guard.exit();
        }
    }

    /**
     * {@return token vectors [tokens][C] of one text (feature extraction), special tokens included}
     *
     * @param text the text
     */
    public float[][] tokenVectors(String text) {
        guard.enter();
        try {
            BatchEncoding enc = tokenizer.encodeBatch(List.of(text));
            try (TensorArena arena = TensorArena.confined()) {
                Tensor h = model.forward(input(enc), false, arena).lastHiddenState();
                float[] v = h.toFloatArray();
                int c = (int) h.dim(2);
                return IntStream.range(0, enc.seq())
                        .mapToObj(t -> Arrays.copyOfRange(v, t * c, (t + 1) * c)).toArray(float[][]::new);
            }
        } finally {
            guard.exit();
        }
    }

    private static EncoderInput input(BatchEncoding enc) {
        return new EncoderInput(enc.batch(), enc.seq(), enc.ids(), enc.attentionMask(), enc.typeIds());
    }

    /** The text as sentence-transformers' Transformer module gives it to the tokenizer: stripped, maybe lowercased. */
    static String prepared(String text, boolean lowercase) {
        String s = strip(text);
        return lowercase ? s.toLowerCase(Locale.ROOT) : s;
    }

    /** Python's str.strip(): the whitespace it removes includes no-break spaces, which String.strip() keeps. */
    static String strip(String s) {
        int from = 0, to = s.length();
        while (from < to && isPythonSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && isPythonSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    /** Python's str.isspace() for one character (all such characters are in the Basic Multilingual Plane). */
    static boolean isPythonSpace(char ch) {
        return (ch >= 0x09 && ch <= 0x0D) || (ch >= 0x1C && ch <= 0x20) || ch == 0x85 || ch == 0xA0 || ch == 0x1680
                || (ch >= 0x2000 && ch <= 0x200A) || ch == 0x2028 || ch == 0x2029 || ch == 0x202F || ch == 0x205F
                || ch == 0x3000;
    }

    /**
     * {@return the cosine similarity of two vectors}
     *
     * @param a a vector
     * @param b a vector of the same length
     */
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
