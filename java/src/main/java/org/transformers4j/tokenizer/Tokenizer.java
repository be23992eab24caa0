package org.transformers4j.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face tokenizer.json, run by the Rust tokenizers library. Padding and truncation
 * settings stored in the file are ignored: batches are padded here to their longest text, and
 * truncation happens only when asked for ({@link #withTruncation}). Thread-safe.
 */
public final class Tokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer hf;
    private final String json;
    private final int maxTokens;
    private final long padId;

    private Tokenizer(String json, int maxTokens) {
        this.json = json;
        this.maxTokens = maxTokens;
        Map<String, String> options = maxTokens > 0
                ? Map.of("padding", "false", "truncation", "true", "maxLength", Integer.toString(maxTokens))
                : Map.of("padding", "false", "truncation", "false");
        try (InputStream in = new java.io.ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))) {
            this.hf = HuggingFaceTokenizer.newInstance(in, options);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot load tokenizer: " + e.getMessage(), e);
        }
        this.padId = findPadId(json);
    }

    /** Loads a tokenizer.json file. */
    public static Tokenizer load(Path file) {
        try {
            return new Tokenizer(Files.readString(file), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer " + file, e);
        }
    }

    /** Loads the tokenizer.json of a model directory; the message names the directory when there is none. */
    public static Tokenizer inDirectory(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json");
        }
        return load(file);
    }

    /** Loads tokenizer.json text. */
    public static Tokenizer fromJson(String json) {
        return new Tokenizer(json, 0);
    }

    /** The same tokenizer truncating every encoding to at most maxTokens (special tokens included). */
    public Tokenizer withTruncation(int maxTokens) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        return new Tokenizer(json, maxTokens);
    }

    /** The truncation length, or 0 for none. */
    public int maxTokens() {
        return maxTokens;
    }

    /** The id used to pad batches: the file's padding pad_id, else [PAD] or &lt;pad&gt;, else 0. */
    public long padId() {
        return padId;
    }

    /** Tokenizes one text with the model's special tokens. */
    public Encoding encode(String text) {
        return convert(text, null, hf.encode(text, true, false));
    }

    /** Tokenizes a text pair (sentence-pair tasks) with the model's template. */
    public Encoding encode(String text, String pair) {
        return convert(text, pair, hf.encode(text, pair, true, false));
    }

    /** Tokenizes texts and pads them to the longest, with the attention mask. */
    public BatchEncoding encodeBatch(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("texts is empty");
        }
        List<Encoding> encodings = new ArrayList<>(texts.size());
        int seq = 1;
        for (String t : texts) {
            Encoding e = encode(t);
            encodings.add(e);
            seq = Math.max(seq, e.length());
        }
        int b = texts.size();
        long[] ids = new long[b * seq], mask = new long[b * seq], types = new long[b * seq];
        java.util.Arrays.fill(ids, padId);
        for (int i = 0; i < b; i++) {
            Encoding e = encodings.get(i);
            System.arraycopy(e.ids(), 0, ids, i * seq, e.length());
            System.arraycopy(e.typeIds(), 0, types, i * seq, e.length());
            java.util.Arrays.fill(mask, i * seq, i * seq + e.length(), 1L);
        }
        return new BatchEncoding(b, seq, ids, mask, types, List.copyOf(encodings));
    }

    /** Turns ids back into text. */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        return hf.decode(ids, skipSpecialTokens);
    }

    private static Encoding convert(String text, String pair, ai.djl.huggingface.tokenizers.Encoding e) {
        long[] ids = e.getIds();
        CharSpan[] spans = e.getCharTokenSpans();
        long[] seqIds = e.getSequenceIds();
        long[] special = e.getSpecialTokenMask();
        int[] starts = new int[ids.length], ends = new int[ids.length];
        boolean[] isSpecial = new boolean[ids.length];
        int[] sequence = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            isSpecial[i] = special[i] != 0;
            sequence[i] = isSpecial[i] ? -1 : (int) seqIds[i];
            if (spans[i] == null || isSpecial[i]) {
                continue;
            }
            String source = sequence[i] == 1 ? pair : text;
            // the library counts Unicode code points; Java strings index UTF-16 units
            starts[i] = utf16Index(source, spans[i].getStart());
            ends[i] = utf16Index(source, spans[i].getEnd());
        }
        return new Encoding(ids, e.getTypeIds(), e.getTokens(), starts, ends, isSpecial, sequence);
    }

    private static int utf16Index(String s, int codePoints) {
        int cp = Math.min(codePoints, s.codePointCount(0, s.length()));
        return s.offsetByCodePoints(0, cp);
    }

    private static long findPadId(String json) {
        try {
            JsonObject root = JsonParser.parseString(json).getAsJsonObject();
            if (root.has("padding") && root.get("padding").isJsonObject()) {
                return root.getAsJsonObject("padding").get("pad_id").getAsLong();
            }
            if (root.has("added_tokens")) {
                for (var t : root.getAsJsonArray("added_tokens")) {
                    String content = t.getAsJsonObject().get("content").getAsString();
                    if (content.equals("[PAD]") || content.equals("<pad>")) {
                        return t.getAsJsonObject().get("id").getAsLong();
                    }
                }
            }
        } catch (RuntimeException e) {
            // a tokenizer.json without the usual fields pads with 0
        }
        return 0;
    }

    @Override
    public void close() {
        hf.close();
    }
}
