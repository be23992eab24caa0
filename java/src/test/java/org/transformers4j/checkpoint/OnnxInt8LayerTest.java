package org.transformers4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.OnnxCheckpointTest.Proto;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * One dynamically quantized linear layer as ONNX Runtime's quantize_dynamic writes it
 * (DynamicQuantizeLinear, MatMulInteger with per-channel weights, Cast, the scales' product, Add of
 * the bias), built here, imported by {@link OnnxCheckpoint} and run on the CPU backend's int8
 * product, against ONNX Runtime running the same bytes on the same input: the same numbers.
 */
class OnnxInt8LayerTest {
    static final int K = 70, N = 37;

    /** int8 weights with zero point 0, or uint8 weights around 128 (imported as q - 128). */
    static byte[] layer(boolean unsigned, long seed) {
        return layer(unsigned, seed, unsigned ? 128 : 0);
    }

    /** As {@link #layer(boolean, long)} with the weights' zero point given (values still drawn around 128 or 0). */
    static byte[] layer(boolean unsigned, long seed, int zeroPoint) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] q = new byte[K * N];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) (unsigned ? 128 + rnd.nextInt(-127, 128) : rnd.nextInt(-127, 128));
        }
        float[] scale = new float[N], bias = new float[N];
        Proto zero = new Proto();
        for (int n = 0; n < N; n++) {
            scale[n] = (float) rnd.nextDouble(1e-3, 2e-2);
            bias[n] = (float) rnd.nextDouble(-1, 1);
            zero.varint(zeroPoint);
        }
        int type = unsigned ? 2 : 3;
        Proto graph = new Proto()
                .field(1, node("DynamicQuantizeLinear", "/dense/x/DynamicQuantizeLinear", new String[] {"x"},
                        new String[] {"xq", "xs", "xz"}))
                .field(1, node("MatMulInteger", "/dense/MatMul_quant", new String[] {"xq", "onnx::MatMul_5_quantized",
                        "xz", "onnx::MatMul_5_zero_point"}, new String[] {"acc"}))
                .field(1, node("Cast", "/dense/cast", new String[] {"acc"}, new String[] {"accf"})
                        .field(5, new Proto().field(1, "to").field(3, 1).field(20, 2)))
                .field(1, node("Mul", "/dense/scales", new String[] {"xs", "onnx::MatMul_5_scale"}, new String[] {"s"}))
                .field(1, node("Mul", "/dense/scaled", new String[] {"accf", "s"}, new String[] {"y0"}))
                .field(1, node("Add", "/dense/Add", new String[] {"dense.bias", "y0"}, new String[] {"y"}))
                .field(5, new Proto().field(1, dims(K, N)).field(2, type).field(8, "onnx::MatMul_5_quantized").field(9, q))
                .field(5, new Proto().field(1, dims(N)).field(2, 1).field(4, OnnxCheckpointTest.floats(scale))
                        .field(8, "onnx::MatMul_5_scale"))
                .field(5, new Proto().field(1, dims(N)).field(2, type).field(5, zero).field(8, "onnx::MatMul_5_zero_point"))
                .field(5, new Proto().field(1, dims(N)).field(2, 1).field(8, "dense.bias")
                        .field(9, OnnxCheckpointTest.floats(bias)))
                .field(11, valueInfo("x", true))
                .field(12, valueInfo("y", false));
        return new Proto().field(1, 7).field(8, new Proto().field(2, 13)).field(7, graph).bytes();
    }

    static Proto node(String op, String name, String[] inputs, String[] outputs) {
        Proto p = new Proto();
        for (String in : inputs) {
            p.field(1, in);
        }
        for (String out : outputs) {
            p.field(2, out);
        }
        return p.field(3, name).field(4, op);
    }

    static Proto dims(long... d) {
        Proto p = new Proto();
        for (long v : d) {
            p.varint(v);
        }
        return p;
    }

    /** A float tensor [M, K] (input) or of any shape (output). */
    static Proto valueInfo(String name, boolean input) {
        Proto tensor = new Proto().field(1, 1);
        if (input) {
            tensor.field(2, new Proto().field(1, new Proto().field(2, "M")).field(1, new Proto().field(1, K)));
        }
        return new Proto().field(1, name).field(2, new Proto().field(1, tensor));
    }

    @ParameterizedTest(name = "{0} rows, unsigned weights {1}")
    @CsvSource({"1, false", "7, false", "33, false", "7, true", "64, true"})
    void theLayerComputesWhatOnnxRuntimeComputes(int m, boolean unsigned) throws OrtException {
        byte[] model = layer(unsigned, 19 + m);
        float[] x = new float[m * K];
        SplittableRandom rnd = new SplittableRandom(m);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble(-2, 3) * (i % 11 == 0 ? 4 : 1)); // an asymmetric range: zero point not 128
        }
        float[] ours;
        try (OnnxCheckpoint c = OnnxCheckpoint.fromBytes(model, "layer.onnx"); CpuBackend cpu = CpuBackend.create();
             TensorArena a = TensorArena.confined()) {
            assertTrue(c.isInt8("dense.weight"));
            assertFalse(c.isInt8("dense.bias"));
            assertTrue(c.int8PerTensorActivations());
            assertEquals("[37, 70]", c.shape("dense.weight").toString());
            assertEquals(DType.I8, c.int8Values("dense.weight", a).dtype());
            Tensor w = cpu.int8Matrix(c.int8Values("dense.weight", a), c.load("dense.weight_scale", a), true, a);
            Tensor y = a.empty(m, N);
            cpu.linear(a.of(x, m, K), w, c.load("dense.bias", a), Activation.NONE, y);
            ours = y.toFloatArray();
        }
        float[] theirs = onnxRuntime(model, x, m);
        double scale = 0;
        for (float v : theirs) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < ours.length; i++) { // the same integers and float steps: equal up to the last bit
            assertEquals(theirs[i], ours[i], 1e-6 * scale, "element " + i);
        }
    }

    static float[] onnxRuntime(byte[] model, float[] x, int m) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model, opts);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {m, K});
                 OrtSession.Result r = s.run(Map.of("x", in))) {
                float[][] y = (float[][]) r.get(0).getValue();
                float[] flat = new float[m * N];
                for (int i = 0; i < m; i++) {
                    System.arraycopy(y[i], 0, flat, i * N, N);
                }
                return flat;
            }
        }
    }

    @Test
    void theImportNamesTheLayerAndDequantizesOnLoad() {
        try (OnnxCheckpoint c = OnnxCheckpoint.fromBytes(layer(true, 3), "layer.onnx");
             TensorArena a = TensorArena.confined()) {
            assertEquals(java.util.Set.of("dense.weight", "dense.weight_scale", "dense.bias"), c.names());
            Tensor q = c.int8Values("dense.weight", a), scale = c.load("dense.weight_scale", a);
            float[] w = c.load("dense.weight", a).toFloatArray();
            float[] expected = new float[N * K];
            for (int n = 0; n < N; n++) {
                for (int k = 0; k < K; k++) {
                    expected[n * K + k] = TensorMemory.host(q).get(java.lang.foreign.ValueLayout.JAVA_BYTE, (long) n * K + k)
                            * scale.getFloat(n);
                }
            }
            assertArrayEquals(expected, w);
        }
    }
}
