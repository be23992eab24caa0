package org.transformers4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tokenizer.Encoding;

/**
 * all-MiniLM-L6-v2 imported from its ONNX export and run on our kernels, against ONNX Runtime
 * running the same file on the same token ids: cosine >= 0.99999 and max abs difference <= 1e-4.
 */
class MiniLmTest {
    static final List<String> SENTENCES = sentences();
    static CpuBackend cpu;
    static SentenceEmbedder embedder;

    static List<String> sentences() {
        List<String> s = new ArrayList<>(List.of(
                "How do transformers work?", "What is attention?", "A recipe for paella",
                "The quick brown fox jumps over the lazy dog.", "", "a",
                "Ünïcödé àccents: naïve café résumé Øresund ß", "中文字符和日本語のテキスト、한국어",
                "emoji 🤗🚀👩‍👩‍👧 and symbols ©®™ ∑∫√", "numbers 1234567890 3.14159 1e-9 0x7f",
                "code: def f(x): return x**2  # comment", "URLs https://example.com/path?q=1&r=2 and e-mail a.b@c.org",
                "It's, I'm, we'll, they've, she'd, don't — contractions.",
                "Multiple   spaces\tand\ttabs\nand newlines\n\n", "[CLS] [SEP] [MASK] literal special-looking text",
                "supercalifragilisticexpialidocious antidisestablishmentarianism",
                "Transformer architecture se introdujo primero en junio de 2017.",
                "Der Hund bellt den Briefträger an.", "    ", "OK"));
        s.add("long text ".repeat(200)); // truncated at 256 tokens
        s.add(String.join(" ", java.util.Collections.nCopies(60, "Semantic search ranks documents by meaning.")));
        return s;
    }

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
        embedder = DefaultModels.miniLmEmbedder(cpu);
    }

    @AfterAll
    static void close() {
        embedder.close();
        cpu.close();
    }

    @Test
    void agreesWithOnnxRuntime() throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(DefaultModels.miniLmOnnxFile().toString(), opts)) {
                double worstCos = 1, worstAbs = 0;
                for (String text : SENTENCES) {
                    float[] ours = embedder.embed(text);
                    float[] theirs = onnxRuntime(env, session, embedder.tokenizer().encode(text));
                    double cos = SentenceEmbedder.cosine(ours, theirs);
                    double abs = 0;
                    for (int i = 0; i < ours.length; i++) {
                        abs = Math.max(abs, Math.abs(ours[i] - theirs[i]));
                    }
                    worstCos = Math.min(worstCos, cos);
                    worstAbs = Math.max(worstAbs, abs);
                    assertTrue(cos >= 0.99999, "cosine " + cos + " for: " + text);
                    assertTrue(abs <= 1e-4, "max abs difference " + abs + " for: " + text);
                }
                System.out.printf("MiniLM vs ONNX Runtime over %d sentences: worst cosine %.8f, worst max-abs %.2e%n",
                        SENTENCES.size(), worstCos, worstAbs);
            }
        }
    }

    /** ONNX Runtime's last hidden state, mean-pooled and normalised like sentence-transformers. */
    static float[] onnxRuntime(OrtEnvironment env, OrtSession session, Encoding e) throws OrtException {
        int n = e.length();
        long[] mask = new long[n];
        java.util.Arrays.fill(mask, 1);
        long[] shape = {1, n};
        try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(e.ids()), shape);
             OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(e.typeIds()), shape);
             OrtSession.Result r = session.run(Map.of("input_ids", ids, "attention_mask", m, "token_type_ids", types))) {
            float[][][] h = (float[][][]) r.get(0).getValue();
            float[] out = new float[h[0][0].length];
            for (float[] tok : h[0]) {
                for (int k = 0; k < out.length; k++) {
                    out[k] += tok[k] / n;
                }
            }
            double norm = 0;
            for (float v : out) {
                norm += v * v;
            }
            for (int k = 0; k < out.length; k++) {
                out[k] /= (float) Math.max(Math.sqrt(norm), 1e-12);
            }
            return out;
        }
    }

    @Test
    void aPaddedBatchGivesWhatEachSentenceGivesAlone() {
        float[][] batch = embedder.embedBatch(SENTENCES);
        for (int i = 0; i < SENTENCES.size(); i++) {
            float[] alone = embedder.embed(SENTENCES.get(i));
            for (int k = 0; k < alone.length; k++) {
                assertEquals(alone[k], batch[i][k], 1e-5, "sentence " + i + " dimension " + k);
            }
        }
    }

    @Test
    void oneEmbedderServesManyThreads() throws Exception {
        float[][] sequential = embedder.embed(SENTENCES);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            List<java.util.concurrent.Future<float[][]>> futures = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> embedder.embed(SENTENCES)));
            }
            for (var f : futures) {
                float[][] got = f.get();
                for (int i = 0; i < got.length; i++) {
                    for (int k = 0; k < got[i].length; k++) {
                        assertEquals(sequential[i][k], got[i][k], 1e-6, "sentence " + i);
                    }
                }
            }
        }
    }

    @Test
    void similarSentencesScoreHigher() {
        float[][] e = embedder.embed(List.of("How do transformers work?", "What is attention?", "A recipe for paella"));
        assertTrue(SentenceEmbedder.cosine(e[0], e[1]) > SentenceEmbedder.cosine(e[0], e[2]));
        assertEquals(384, e[0].length);
    }
}
