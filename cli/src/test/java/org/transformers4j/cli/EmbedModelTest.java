package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.cli.MainTest.run;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.util.ResourceCache;

/**
 * t4j embed --model on all-MiniLM-L6-v2's ONNX export converted by t4j convert --onnx, made a
 * sentence-transformers folder with mean and with CLS pooling: the vectors are what ONNX Runtime
 * gives on the same file, its token embeddings pooled and normalised as sentence-transformers does.
 */
class EmbedModelTest {
    static final List<String> TEXTS = List.of("How do transformers work?", "  A recipe for paella \u00a0",
            "Ünïcödé àccents: naïve café", "中文字符和日本語のテキスト", "a", "long text ".repeat(200));
    static final String MODULES = "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\":"
            + " \"sentence_transformers.models.Transformer\"}, {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\","
            + " \"type\": \"sentence_transformers.models.Pooling\"}, {\"idx\": 2, \"name\": \"2\", \"path\":"
            + " \"2_Normalize\", \"type\": \"sentence_transformers.models.Normalize\"}]";

    @TempDir
    static Path tmp;
    static Path converted;
    static OrtEnvironment env;
    static OrtSession session;
    static Tokenizer tokenizer;

    @BeforeAll
    static void convert() throws Exception {
        Path config = Files.writeString(tmp.resolve("config.json"), DefaultModels.miniLmConfig().json().toString());
        converted = tmp.resolve("converted");
        MainTest.Run r = run("convert", "--onnx", DefaultModels.miniLmOnnxFile().toString(), "--config",
                config.toString(), "--out", converted.toString());
        assertEquals(0, r.status(), r.err());
        Files.write(converted.resolve("tokenizer.json"), ResourceCache.read(DefaultModels.MINILM_TOKENIZER));
        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(2);
        session = env.createSession(DefaultModels.miniLmOnnxFile().toString(), opts);
        tokenizer = DefaultModels.miniLmTokenizer(); // truncating at 256, as the folder's max_seq_length
    }

    @AfterAll
    static void close() throws OrtException {
        session.close();
        tokenizer.close();
    }

    /** The converted model as a sentence-transformers folder with these pooling flags (its files linked). */
    static Path stFolder(String name, String pooling) throws IOException {
        Path dir = plainFolder(name);
        Files.writeString(dir.resolve("modules.json"), MODULES);
        Files.writeString(Files.createDirectories(dir.resolve("1_Pooling")).resolve("config.json"), pooling);
        Files.writeString(dir.resolve("sentence_bert_config.json"), "{\"max_seq_length\": 256, \"do_lower_case\": false}");
        return dir;
    }

    static Path plainFolder(String name) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            Files.createSymbolicLink(dir.resolve(f), converted.resolve(f));
        }
        return dir;
    }

    static String flags(boolean cls, boolean mean) {
        return "{\"word_embedding_dimension\": 384, \"pooling_mode_cls_token\": " + cls + ", \"pooling_mode_mean_tokens\": "
                + mean + ", \"pooling_mode_max_tokens\": false, \"pooling_mode_mean_sqrt_len_tokens\": false}";
    }

    /** ONNX Runtime's token embeddings [tokens][384] of a text, stripped and tokenized as sentence-transformers does. */
    static float[][] tokenEmbeddings(String text) throws OrtException {
        Encoding e = tokenizer.encode(text.strip());
        int n = e.length();
        long[] mask = new long[n];
        Arrays.fill(mask, 1);
        long[] shape = {1, n};
        try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(e.ids()), shape);
             OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(e.typeIds()), shape);
             OrtSession.Result r = session.run(Map.of("input_ids", ids, "attention_mask", m, "token_type_ids", types))) {
            return ((float[][][]) r.get(0).getValue())[0];
        }
    }

    /** sentence-transformers' Pooling (mean or CLS) and Normalize on ONNX Runtime's token embeddings. */
    static float[] reference(String text, boolean cls, boolean normalize) throws OrtException {
        float[][] h = tokenEmbeddings(text);
        float[] out = new float[h[0].length];
        if (cls) {
            out = h[0].clone();
        } else {
            for (float[] tok : h) {
                for (int k = 0; k < out.length; k++) {
                    out[k] += tok[k];
                }
            }
            for (int k = 0; k < out.length; k++) {
                out[k] /= h.length;
            }
        }
        if (normalize) {
            double norm = 0;
            for (float v : out) {
                norm += v * v;
            }
            for (int k = 0; k < out.length; k++) {
                out[k] /= (float) Math.max(Math.sqrt(norm), 1e-12);
            }
        }
        return out;
    }

    /** The vectors t4j embed writes for the texts. */
    static List<float[]> embed(String... args) {
        List<String> all = new ArrayList<>(List.of("embed"));
        all.addAll(List.of(args));
        MainTest.Run r = run(all.toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        List<float[]> out = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            JsonArray a = JsonParser.parseString(line).getAsJsonObject().getAsJsonArray("embedding");
            float[] v = new float[a.size()];
            for (int k = 0; k < v.length; k++) {
                v[k] = a.get(k).getAsFloat();
            }
            out.add(v);
        }
        return out;
    }

    static String[] withTexts(String... options) {
        List<String> all = new ArrayList<>(List.of(options));
        all.add("--");
        all.addAll(TEXTS);
        return all.toArray(String[]::new);
    }

    static void assertAgrees(List<float[]> ours, boolean cls, boolean normalize, List<String> texts) throws OrtException {
        assertEquals(texts.size(), ours.size());
        for (int i = 0; i < texts.size(); i++) {
            float[] theirs = reference(texts.get(i), cls, normalize);
            assertEquals(theirs.length, ours.get(i).length);
            double dot = 0, na = 0, nb = 0, abs = 0;
            for (int k = 0; k < theirs.length; k++) {
                dot += (double) theirs[k] * ours.get(i)[k];
                na += (double) theirs[k] * theirs[k];
                nb += (double) ours.get(i)[k] * ours.get(i)[k];
                abs = Math.max(abs, Math.abs(theirs[k] - ours.get(i)[k]));
            }
            double cos = dot / Math.sqrt(na * nb);
            String what = (cls ? "CLS" : "mean") + " pooling, text " + i;
            assertTrue(cos >= 0.99999, what + ": cosine " + cos);
            assertTrue(abs <= 1e-4 * (normalize ? 1 : 10), what + ": max abs difference " + abs);
        }
    }

    @Test
    void meanPooledFolderMatchesOnnxRuntime() throws Exception {
        Path dir = stFolder("st-mean", flags(false, true));
        assertAgrees(embed(withTexts("--model", dir.toString())), false, true, TEXTS);
        // and it is the default model's embedding, which is this folder on the Hub
        List<float[]> dflt = embed(withTexts());
        List<float[]> folder = embed(withTexts("--model", dir.toString()));
        for (int i = 0; i < TEXTS.size(); i++) {
            for (int k = 0; k < 384; k++) {
                assertEquals(dflt.get(i)[k], folder.get(i)[k], 1e-6, "text " + i);
            }
        }
    }

    @Test
    void clsPooledFolderMatchesOnnxRuntime() throws Exception {
        Path dir = stFolder("st-cls", flags(true, false));
        assertAgrees(embed(withTexts("--model", dir.toString())), true, true, TEXTS);
        Path mean = stFolder("st-mean-2", flags(false, true));
        assertAgrees(embed(withTexts("--model", mean.toString(), "--pooling", "cls")), true, true, TEXTS);
        assertAgrees(embed(withTexts("--model", dir.toString(), "--no-normalize")), true, false, TEXTS);
    }

    @Test
    void aPlainFolderIsMeanPooledAndNotNormalised() throws Exception {
        Path dir = plainFolder("plain");
        List<String> shortTexts = TEXTS.subList(0, 5); // the long one would run to the model's 512 positions
        String[] args = {"--model", dir.toString(), "--", shortTexts.get(0), shortTexts.get(1), shortTexts.get(2),
            shortTexts.get(3), shortTexts.get(4)};
        assertAgrees(embed(args), false, false, shortTexts);
        String[] cls = {"--model", dir.toString(), "--pooling", "cls", "--normalize", "--max-length", "256", "--",
            TEXTS.get(0), TEXTS.get(5)};
        assertAgrees(embed(cls), true, true, List.of(TEXTS.get(0), TEXTS.get(5)));
    }

    @Test
    void similarityUsesTheFoldersPoolingAndSimilarityFunction() throws Exception {
        Path dir = stFolder("st-cls-dot", flags(true, false));
        Files.writeString(dir.resolve("config_sentence_transformers.json"), "{\"similarity_fn_name\": \"dot\"}");
        Files.delete(dir.resolve("modules.json"));
        Files.writeString(dir.resolve("modules.json"), MODULES.replace(", {\"idx\": 2, \"name\": \"2\", \"path\":"
                + " \"2_Normalize\", \"type\": \"sentence_transformers.models.Normalize\"}", ""));
        MainTest.Run r = run("similarity", "--model", dir.toString(), "--json", TEXTS.get(0), TEXTS.get(2), TEXTS.get(4));
        assertEquals(0, r.status(), r.err());
        float[] q = reference(TEXTS.get(0), true, false);
        for (String line : r.out().lines().toList()) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            float[] v = reference(o.get("text").getAsString(), true, false);
            double dot = 0;
            for (int k = 0; k < q.length; k++) {
                dot += (double) q[k] * v[k];
            }
            assertEquals(dot, o.get("score").getAsDouble(), 1e-3 * Math.abs(dot), line);
        }
        assertEquals(-5.0, SimilarityCommand.score("euclidean", new float[] {0, 0}, new float[] {3, 4}), 1e-12);
        assertEquals(-7.0, SimilarityCommand.score("manhattan", new float[] {0, 0}, new float[] {3, 4}), 1e-12);
    }

    @Test
    void badEmbeddingOptionsAreUsageErrors() throws IOException {
        Path dir = stFolder("st-bad", flags(false, true));
        MainTest.Run r = run("embed", "--model", dir.toString(), "--max-length", "0", "x");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--max-length must be between 1 and"), r.err());
        r = run("embed", "--model", dir.toString(), "--max-length", "600", "x");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("a maximum length of 600 tokens is more than the 512 positions"), r.err());
        r = run("embed", "--model", dir.toString(), "--prompt", "passage", "x");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("prompt 'passage' is not one of the prompts") && r.err().contains("[query, document]"),
                r.err());
        r = run("similarity", "--pooling", "avg", "a", "b");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("'avg' is not a pooling mode"), r.err());
        Files.writeString(dir.resolve("modules.json"), MODULES.replace("Normalize", "Dense"));
        r = run("embed", "--model", dir.toString(), "x");
        assertEquals(2, r.status(), r.err());
        CliTest.assertMessageOnly(r);
        assertTrue(r.err().contains("sentence_transformers.models.Dense"), r.err());
    }
}
