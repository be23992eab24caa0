package org.transformers4j.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.transformers4j.checkpoint.files.SafeFiles;
import org.transformers4j.util.CloseGuard;

/**
 * A Hugging Face tokenizer.json, run by the Rust tokenizers library. The file is checked first
 * ({@link TokenizerJson}): the library aborts the JVM on some malformed files rather than
 * failing, so only a checked file, written out again by gson, reaches it. Padding and truncation
 * settings stored in the file are ignored: batches are padded here to their longest text, and
 * truncation happens only when asked for ({@link #withTruncation}). Thread-safe; {@link #close()}
 * waits for calls in flight, and calls after it fail with {@code IllegalStateException("tokenizer
 * is closed")}.
 */
public final class Tokenizer implements AutoCloseable {
    /** DJL's switch for its telemetry, read from the environment or the system properties. */
    static final String TRACKING = "OPT_OUT_TRACKING";
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    static {
        // Making a tokenizer calls DJL's telemetry: an HTTP request to the EC2 metadata address, then
        // to DJL's servers. A library inside a service makes no network requests of its own accord:
        // off unless the environment or the application says otherwise.
        if (System.getenv(TRACKING) == null && System.getProperty(TRACKING) == null) {
            System.setProperty(TRACKING, "true");
        }
    }

    private final HuggingFaceTokenizer hf;
    private final String json;
    private final String source;
    private final int maxTokens;
    private final long padId;
    private final long clsId;
    private final CloseGuard guard;
    /** Instances that cut a pair into windows, by max length and stride (few: one per setting in use). */
    private final Map<List<Integer>, HuggingFaceTokenizer> windowers = new ConcurrentHashMap<>();
    /** An instance that does not truncate, where hf does (made on first use). */
    private volatile HuggingFaceTokenizer untruncated;

    /** json has passed {@link TokenizerJson#check}; source names it in messages. */
    private Tokenizer(String json, String source, int maxTokens, long padId, long clsId) {
        this.json = json;
        this.source = source;
        this.maxTokens = maxTokens;
        this.padId = padId;
        this.clsId = clsId;
        Map<String, String> options = maxTokens > 0
                ? Map.of("padding", "false", "truncation", "true", "maxLength", Integer.toString(maxTokens))
                : Map.of("padding", "false", "truncation", "false");
        this.hf = load(json, source, options);
        this.guard = new CloseGuard("tokenizer", this::release);
    }

    /**
     * Loads a tokenizer.json file: only a regular file of at most
     * {@code SafeFiles.MAX_TOKENIZER_BYTES}, valid UTF-8, that passes {@link TokenizerJson#check}.
     * Errors are {@link IllegalArgumentException}s naming the file.
     *
     * @param file the tokenizer.json file
     * @return the tokenizer
     */
    public static Tokenizer load(Path file) {
        return fromJson(SafeFiles.readText(file, "tokenizer", SafeFiles.MAX_TOKENIZER_BYTES), file.toString());
    }

    /**
     * Loads the tokenizer.json of a model directory; the message names the directory when there is none.
     *
     * @param dir the model directory
     * @return the tokenizer
     */
    public static Tokenizer inDirectory(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json");
        }
        return load(file);
    }

    /**
     * Loads tokenizer.json text (checked as {@link #load} checks a file).
     *
     * @param json the file's text
     * @return the tokenizer
     */
    public static Tokenizer fromJson(String json) {
        return fromJson(json, "tokenizer.json");
    }

    /**
     * Loads tokenizer.json text; source names it in messages.
     *
     * @param json the file's text
     * @param source what the text came from, for messages
     * @return the tokenizer
     */
    public static Tokenizer fromJson(String json, String source) {
        JsonObject root = TokenizerJson.check(json, source);
        NativeChecks.check(root, source);
        return new Tokenizer(GSON.toJson(root), source, 0, findPadId(root), findAddedToken(root, "[CLS]", "<s>"));
    }

    /** The native tokenizer of checked JSON; the library's refusal as an IllegalArgumentException naming source. */
    static HuggingFaceTokenizer load(String json, String source, Map<String, String> options) {
        try (InputStream in = new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))) {
            return HuggingFaceTokenizer.newInstance(in, options);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(source + ": the tokenizers library cannot load it: " + e.getMessage(), e);
        }
    }

    /**
     * {@return the same tokenizer truncating every encoding to at most maxTokens (special tokens included)}
     *
     * @param maxTokens the longest encoding, at least 1
     */
    public Tokenizer withTruncation(int maxTokens) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        guard.ensureOpen();
        return new Tokenizer(json, source, maxTokens, padId, clsId);
    }

    /** {@return the truncation length, or 0 for none} */
    public int maxTokens() {
        return maxTokens;
    }

    /** {@return the id used to pad batches: the file's padding pad_id, else [PAD] or &lt;pad&gt;, else 0} */
    public long padId() {
        return padId;
    }

    /**
     * Tokenizes one text with the model's special tokens.
     *
     * @param text the text
     * @return its ids, attention mask, special-token flags and offsets
     */
    public Encoding encode(String text) {
        guard.enter();
        try {
            return convert(text, null, hf.encode(text, true, false));
        } catch (RuntimeException e) {
            throw refused(e);
        } finally {
            guard.exit();
        }
    }

    /**
     * Tokenizes a text pair (sentence-pair tasks) with the model's template.
     *
     * @param text the first text
     * @param pair the second text
     * @return the pair's ids, attention mask, special-token flags and offsets
     */
    public Encoding encode(String text, String pair) {
        guard.enter();
        try {
            return convert(text, pair, hf.encode(text, pair, true, false));
        } catch (RuntimeException e) {
            throw refused(e);
        } finally {
            guard.exit();
        }
    }

    /**
     * {@return the id of the classification token, [CLS] or &lt;s&gt; among the added tokens (transformers'
     * cls_token of BERT-like and RoBERTa-like tokenizers), or -1 when there is neither}
     */
    public long clsId() {
        return clsId;
    }

    /**
     * A text pair whose pair is cut into overlapping windows, as transformers' tokenizer call with
     * truncation="only_second", max_length, stride and return_overflowing_tokens does for
     * question answering: each window holds the whole text (the question), the template's special
     * tokens and at most what remains of maxLength of the pair; consecutive windows share stride
     * tokens of the pair. One window when everything fits. The limits are checked here, before the
     * native library, which would abort the JVM on a stride that leaves a window no new token.
     *
     * @param text the text every window holds whole (the question)
     * @param pair the text cut into windows (the context)
     * @param maxLength tokens of a window, special tokens included
     * @param stride tokens of the pair consecutive windows share
     * @return the windows, in order
     * @throws IllegalArgumentException when the text with the special tokens leaves no room for
     *     the pair, or stride is not less than the room left
     */
    public List<Encoding> encodeWindows(String text, String pair, int maxLength, int stride) {
        if (maxLength < 1 || stride < 0) {
            throw new IllegalArgumentException("maxLength must be >= 1 and stride >= 0, got " + maxLength + " and "
                    + stride);
        }
        guard.enter();
        try {
            checkRoom(untruncated().encode(text, pair, true, false), maxLength, stride);
            var e = windower(maxLength, stride).encode(text, pair, true, true);
            List<Encoding> out = new ArrayList<>();
            out.add(convert(text, pair, e));
            for (var o : e.getOverflowing()) {
                out.add(convert(text, pair, o));
            }
            return out;
        } catch (RuntimeException e) {
            throw refused(e);
        } finally {
            guard.exit();
        }
    }

    /** Rust's truncation asserts stride &lt; room: an assertion there ends the process, so it is checked here. */
    private void checkRoom(ai.djl.huggingface.tokenizers.Encoding full, int maxLength, int stride) {
        long[] special = full.getSpecialTokenMask(), seq = full.getSequenceIds();
        int pairTokens = 0;
        for (int i = 0; i < special.length; i++) {
            pairTokens += special[i] == 0 && seq[i] == 1 ? 1 : 0;
        }
        int fixed = special.length - pairTokens;
        if (special.length <= maxLength) {
            return;
        }
        int room = maxLength - fixed;
        if (room < 1) {
            throw new IllegalArgumentException(source + ": the first text and the special tokens take " + fixed
                    + " tokens, leaving none of the " + maxLength + " for the second; shorten the first text");
        }
        if (stride >= room) {
            throw new IllegalArgumentException("stride " + stride + " must be less than the " + room + " tokens of the"
                    + " second text a window of " + maxLength + " holds beside the first text (" + fixed
                    + " tokens with the special ones)");
        }
    }

    private HuggingFaceTokenizer untruncated() {
        if (maxTokens == 0) {
            return hf;
        }
        HuggingFaceTokenizer u = untruncated;
        if (u == null) {
            synchronized (this) {
                if (untruncated == null) {
                    untruncated = load(json, source, Map.of("padding", "false", "truncation", "false"));
                }
                u = untruncated;
            }
        }
        return u;
    }

    private HuggingFaceTokenizer windower(int maxLength, int stride) {
        return windowers.computeIfAbsent(List.of(maxLength, stride), k -> load(json, source, Map.of("padding",
                "false", "truncation", "only_second", "maxLength", Integer.toString(maxLength), "modelMaxLength",
                Integer.toString(maxLength), "stride", Integer.toString(stride))));
    }

    private void release() {
        try {
            windowers.values().forEach(HuggingFaceTokenizer::close);
            if (untruncated != null) {
                untruncated.close();
            }
        } finally {
            hf.close();
        }
    }

    /**
     * Tokenizes texts and pads them to the longest, with the attention mask.
     *
     * @param texts the texts, at least one
     * @return the padded batch
     */
    public BatchEncoding encodeBatch(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("texts is empty");
        }
        List<Encoding> encodings = new ArrayList<>(texts.size());
        for (String t : texts) {
            encodings.add(encode(t));
        }
        return BatchEncoding.pad(encodings, padId);
    }

    /**
     * Turns ids back into text.
     *
     * @param ids token ids
     * @param skipSpecialTokens whether special tokens are left out
     * @return the text
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        guard.enter();
        try {
            return hf.decode(ids, skipSpecialTokens);
        } finally {
            guard.exit();
        }
    }

    /** The library's errors (a word without an unknown token to stand for it, say) as bad input. */
    private RuntimeException refused(RuntimeException e) {
        if (e instanceof IllegalArgumentException || e instanceof NullPointerException
                || e instanceof IllegalStateException) {
            return e;
        }
        return new IllegalArgumentException(source + ": the tokenizer cannot encode the text: " + e.getMessage(), e);
    }

    private static Encoding convert(String text, String pair, ai.djl.huggingface.tokenizers.Encoding e) {
        long[] ids = e.getIds();
        CharSpan[] spans = e.getCharTokenSpans();
        long[] seqIds = e.getSequenceIds();
        long[] special = e.getSpecialTokenMask();
        int[] starts = new int[ids.length], ends = new int[ids.length];
        boolean[] isSpecial = new boolean[ids.length];
        int[] sequence = new int[ids.length], words = new int[ids.length];
        long[] wordIds = e.getWordIds();
        for (int i = 0; i < ids.length; i++) {
            isSpecial[i] = special[i] != 0;
            sequence[i] = isSpecial[i] ? -1 : (int) seqIds[i];
            words[i] = isSpecial[i] ? -1 : (int) wordIds[i];
            if (spans[i] == null || isSpecial[i]) {
                continue;
            }
            // post-processors chained in a Sequence can number the parts of a single text 1 and up
            String source = sequence[i] == 1 && pair != null ? pair : text;
            // the library counts Unicode code points; Java strings index UTF-16 units
            starts[i] = utf16Index(source, spans[i].getStart());
            ends[i] = utf16Index(source, spans[i].getEnd());
        }
        return new Encoding(ids, e.getTypeIds(), e.getTokens(), starts, ends, isSpecial, sequence, words);
    }

    private static int utf16Index(String s, int codePoints) {
        int cp = Math.min(codePoints, s.codePointCount(0, s.length()));
        return s.offsetByCodePoints(0, cp);
    }

    /** The padding pad_id of the (checked) file, else the id of an added [PAD] or &lt;pad&gt;, else 0. */
    private static long findPadId(JsonObject root) {
        if (root.has("padding") && root.get("padding").isJsonObject()) {
            return root.getAsJsonObject("padding").get("pad_id").getAsLong();
        }
        return Math.max(0, findAddedToken(root, "[PAD]", "<pad>"));
    }

    /** The id of the first added token whose content is one of the names, else -1. */
    private static long findAddedToken(JsonObject root, String... names) {
        if (root.has("added_tokens")) {
            for (var t : root.getAsJsonArray("added_tokens")) {
                String content = t.getAsJsonObject().get("content").getAsString();
                if (List.of(names).contains(content)) {
                    return t.getAsJsonObject().get("id").getAsLong();
                }
            }
        }
        return -1;
    }

    /** Frees the native tokenizer once no call is in flight; a second close does nothing. */
    @Override
    public void close() {
        guard.close();
    }
}
