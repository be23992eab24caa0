package org.transformers4j.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import java.nio.file.Path;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.OnnxCheckpoint;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.tokenizer.BatchEncoding;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.util.ResourceCache;

/**
 * Sentence embedding with all-MiniLM-L6-v2: Transformers4J on its kernels beside ONNX Runtime
 * running the same ONNX file, both with 2 threads, on the same texts (tokenized by the same
 * tokenizer, mean-pooled and normalised the same way). One operation embeds one batch;
 * sentences/s = batch / time. "varied" cycles 32 sentences of mixed length; "tokens128" is 32
 * texts of exactly 128 tokens.
 *
 * <p>Int8: the file ONNX Runtime quantized (all-minilm-l6-v2-q.onnx, MatMulInteger after
 * DynamicQuantizeLinear) on our int8 kernels ({@code transformers4jInt8}) beside ONNX Runtime on the
 * same file ({@code onnxRuntimeInt8}). Bfloat16: our bfloat16 products on the float file
 * ({@code transformers4jBf16}) beside ONNX Runtime's float32 ({@code onnxRuntime}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class EmbeddingBench {

    /** The inputs, shared by both engines. */
    @State(Scope.Benchmark)
    public static class Texts {
        @Param({"1", "8", "32"})
        public int batch;

        @Param({"varied", "tokens128"})
        public String texts;

        List<String> input;

        @Setup(Level.Trial)
        public void setup() {
            input = texts.equals("tokens128") ? Sentences.tokens128(batch) : Sentences.varied(batch);
        }
    }

    /** Transformers4J's pipeline. */
    @State(Scope.Benchmark)
    public static class Ours {
        CpuBackend cpu;
        SentenceEmbedder embedder;

        @Setup(Level.Trial)
        public void setup() {
            cpu = backend();
            cpu.setThreads(2);
            embedder = embedder(cpu);
        }

        CpuBackend backend() {
            return CpuBackend.create();
        }

        SentenceEmbedder embedder(CpuBackend backend) {
            return DefaultModels.miniLmEmbedder(backend);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            embedder.close();
            cpu.close();
        }
    }

    /** The quantized file, copied once from the class path into the cache folder. */
    static Path quantizedOnnxFile() {
        byte[] onnx = ResourceCache.read("all-minilm-l6-v2-q.onnx");
        return ResourceCache.extract(ResourceCache.root().resolve("all-minilm-l6-v2-q-" + ResourceCache.hash(onnx)),
                "model.onnx", onnx);
    }

    /** Transformers4J on the quantized file, its products on the int8 kernels. */
    @State(Scope.Benchmark)
    public static class OursInt8 extends Ours {
        @Override
        CpuBackend backend() {
            return CpuBackend.withInt8Weights();
        }

        @Override
        SentenceEmbedder embedder(CpuBackend backend) {
            OnnxCheckpoint checkpoint = OnnxCheckpoint.open(quantizedOnnxFile());
            return new SentenceEmbedder(ModelRegistry.loadEncoder(DefaultModels.miniLmConfig(), checkpoint, backend),
                    DefaultModels.miniLmTokenizer(), true);
        }
    }

    /** Transformers4J on the float file with bfloat16 products. */
    @State(Scope.Benchmark)
    public static class OursBf16 extends Ours {
        @Override
        CpuBackend backend() {
            return CpuBackend.withBf16Compute();
        }
    }

    /** ONNX Runtime with the same file and tokenizer. */
    @State(Scope.Benchmark)
    public static class OnnxRuntime {
        OrtEnvironment env;
        OrtSession session;
        Tokenizer tokenizer;

        @Setup(Level.Trial)
        public void setup() throws OrtException {
            open(file());
        }

        Path file() {
            return DefaultModels.miniLmOnnxFile();
        }

        void open(Path file) throws OrtException {
            env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
            opts.setIntraOpNumThreads(2);
            opts.setInterOpNumThreads(1);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(file.toString(), opts);
            tokenizer = DefaultModels.miniLmTokenizer();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws OrtException {
            session.close();
            tokenizer.close();
        }

        float[][] embed(List<String> texts) throws OrtException {
            BatchEncoding enc = tokenizer.encodeBatch(texts);
            long[] shape = {enc.batch(), enc.seq()};
            try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(enc.ids()), shape);
                 OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(enc.attentionMask()), shape);
                 OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(enc.typeIds()), shape);
                 OrtSession.Result r = session.run(Map.of("input_ids", ids, "attention_mask", mask,
                         "token_type_ids", types))) {
                float[][][] h = (float[][][]) r.get(0).getValue();
                return pool(h, enc.attentionMask(), enc.seq());
            }
        }

        private static float[][] pool(float[][][] h, long[] mask, int seq) {
            float[][] out = new float[h.length][h[0][0].length];
            for (int b = 0; b < h.length; b++) {
                int n = 0;
                for (int t = 0; t < seq; t++) {
                    if (mask[b * seq + t] == 1) {
                        n++;
                        for (int k = 0; k < out[b].length; k++) {
                            out[b][k] += h[b][t][k];
                        }
                    }
                }
                double norm = 0;
                for (int k = 0; k < out[b].length; k++) {
                    out[b][k] /= n;
                    norm += out[b][k] * out[b][k];
                }
                for (int k = 0; k < out[b].length; k++) {
                    out[b][k] /= (float) Math.max(Math.sqrt(norm), 1e-12);
                }
            }
            return out;
        }
    }

    /** ONNX Runtime on the quantized file. */
    @State(Scope.Benchmark)
    public static class OnnxRuntimeInt8 extends OnnxRuntime {
        @Override
        Path file() {
            return quantizedOnnxFile();
        }
    }

    @Benchmark
    public float[][] transformers4jInt8(Texts t, OursInt8 ours) {
        return ours.embedder.embedBatch(t.input);
    }

    @Benchmark
    public float[][] onnxRuntimeInt8(Texts t, OnnxRuntimeInt8 ort) throws OrtException {
        return ort.embed(t.input);
    }

    @Benchmark
    public float[][] transformers4jBf16(Texts t, OursBf16 ours) {
        return ours.embedder.embedBatch(t.input);
    }

    @Benchmark
    public float[][] transformers4j(Texts t, Ours ours) {
        return ours.embedder.embedBatch(t.input);
    }

    @Benchmark
    public float[][] onnxRuntime(Texts t, OnnxRuntime ort) throws OrtException {
        return ort.embed(t.input);
    }
}
