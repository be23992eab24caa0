package org.transformers4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.OnnxCheckpointTest.Proto;
import org.transformers4j.nn.Weights;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/** The int8 layout of safetensors files and the quantized ONNX import: read as documented, faults named. */
class Int8LayoutTest {
    @TempDir
    Path tmp;

    static final Map<String, String> INT8 = Map.of(Int8Layout.QUANTIZATION, Int8Layout.INT8);

    Path file(Map<String, String> metadata, boolean withScale, long scaleLength, float badScale) {
        Path f = tmp.resolve("m" + System.nanoTime() + ".safetensors");
        try (TensorArena a = TensorArena.confined()) {
            Tensor q = a.allocate(DType.I8, 2, 3);
            byte[] v = {1, -2, 3, 127, -127, 0};
            for (int i = 0; i < v.length; i++) {
                TensorMemory.host(q).set(ValueLayout.JAVA_BYTE, i, v[i]);
            }
            float[] s = new float[(int) scaleLength];
            java.util.Arrays.fill(s, 0.5f);
            s[0] = badScale;
            Map<String, Tensor> tensors = withScale ? Map.of("w", q, "w_scale", a.of(s, scaleLength)) : Map.of("w", q);
            SafeTensorsWriter.write(f, tensors, metadata);
        }
        return f;
    }

    static void refused(String expected, Runnable r) {
        CheckpointException e = assertThrows(CheckpointException.class, r::run);
        assertTrue(e.getMessage().contains(expected), "message should mention '" + expected + "': " + e.getMessage());
    }

    @Test
    void anInt8FileIsViewedInPlaceAndDequantizedOnLoad() {
        try (SafeTensors f = SafeTensors.open(file(INT8, true, 2, 2f)); TensorArena a = TensorArena.confined()) {
            assertTrue(f.isInt8("w"));
            assertFalse(f.isInt8("w_scale"));
            assertFalse(f.int8PerTensorActivations());
            assertEquals(DType.I8, f.int8Values("w", a).dtype());
            assertArrayEquals(new float[] {2, -4, 6, 63.5f, -63.5f, 0}, f.load("w", a).toFloatArray());
        }
    }

    @Test
    void faultsOfTheLayoutAreNamed() {
        try (SafeTensors f = SafeTensors.open(file(Map.of(), true, 2, 1f)); TensorArena a = TensorArena.confined()) {
            assertFalse(f.isInt8("w"));
            refused("tensor w is I8 and the metadata declares no t4j.quantization = int8", () -> f.load("w", a));
            refused("parameter w is not stored in int8", () -> f.int8Values("w", a));
        }
        try (SafeTensors f = SafeTensors.open(file(INT8, false, 2, 1f))) {
            refused("int8 tensor w has no scales w_scale", () -> f.isInt8("w"));
        }
        try (SafeTensors f = SafeTensors.open(file(INT8, true, 3, 1f))) {
            refused("w_scale is F32[3], expected F32[2] for w[2, 3]", () -> f.isInt8("w"));
        }
        try (SafeTensors f = SafeTensors.open(file(Map.of(Int8Layout.QUANTIZATION, "int4"), true, 2, 1f))) {
            refused("metadata t4j.quantization is \"int4\", expected \"int8\"", () -> f.isInt8("w"));
        }
        Map<String, String> blocks = Map.of(Int8Layout.QUANTIZATION, Int8Layout.INT8, Int8Layout.ACTIVATIONS, "per-block");
        try (SafeTensors f = SafeTensors.open(file(blocks, true, 2, 1f))) {
            refused("metadata t4j.int8_activations is \"per-block\", expected \"per-row\" or \"per-tensor\"",
                    f::int8PerTensorActivations);
        }
        try (SafeTensors f = SafeTensors.open(file(INT8, true, 2, Float.NaN)); CpuBackend cpu = CpuBackend.create();
             TensorArena a = TensorArena.shared()) {
            Weights w = new Weights(f, a, cpu);
            refused("w_scale[0] is NaN, not finite", () -> w.get("w", 2, 3));
        }
    }

    @Test
    void tablesStayFloatAndConv1dWeightsAreKnown() {
        Shape m = Shape.of(4, 4);
        assertTrue(Int8Layout.quantizes("encoder.layer.0.attention.self.query.weight", m));
        assertTrue(Int8Layout.quantizes("lm_head.weight", m));
        for (String table : new String[] {"bert.embeddings.word_embeddings.weight", "transformer.wte.weight",
                "transformer.wpe.weight", "model.embed_tokens.weight", "shared.weight",
                "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "model.decoder.embed_positions.weight"}) {
            assertFalse(Int8Layout.quantizes(table, m), table);
        }
        assertFalse(Int8Layout.quantizes("encoder.layer.0.output.LayerNorm.weight", Shape.of(4)));
        assertTrue(Int8Layout.storedInputMajor("gpt2", "transformer.h.3.attn.c_attn.weight"));
        assertFalse(Int8Layout.storedInputMajor("gpt2", "lm_head.weight"));
        assertFalse(Int8Layout.storedInputMajor("gpt_neo", "transformer.h.3.mlp.c_fc.weight"));
    }

    @Test
    void quantizedOnnxGraphsItCannotRunAreRefused() {
        byte[] good = OnnxInt8LayerTest.layer(false, 1);
        try (OnnxCheckpoint c = OnnxCheckpoint.fromBytes(good, "m.onnx")) {
            assertTrue(c.isInt8("dense.weight"));
        }
        Proto staticGraph = new Proto().field(1, OnnxInt8LayerTest.node("QLinearMatMul", "/dense/MatMul_quant",
                new String[] {"x"}, new String[] {"y"}));
        OnnxCheckpointTest.refused("node /dense/MatMul_quant is QLinearMatMul: statically quantized graphs are not"
                + " supported", OnnxCheckpointTest.model(staticGraph));
        Proto fromInput = new Proto()
                .field(1, OnnxInt8LayerTest.node("MatMulInteger", "/d/MatMul_quant", new String[] {"x", "w_quantized"},
                        new String[] {"y"}))
                .field(5, new Proto().field(1, OnnxInt8LayerTest.dims(1, 1)).field(2, 3).field(8, "w_quantized")
                        .field(9, new byte[] {1}));
        OnnxCheckpointTest.refused("MatMulInteger node /d/MatMul_quant takes x from a graph input, not from"
                + " DynamicQuantizeLinear", OnnxCheckpointTest.model(fromInput));
    }

    @Test
    void unsignedWeightsFarFromTheirZeroPointAreRefused() {
        // uint8 values around 128 with zero point 0: differences above 127 do not fit int8
        try (OnnxCheckpoint c = OnnxCheckpoint.fromBytes(OnnxInt8LayerTest.layer(true, 2, 0), "m.onnx");
             TensorArena a = TensorArena.confined()) {
            refused("is outside int8", () -> c.int8Values("dense.weight", a));
            refused("is outside int8", () -> c.load("dense.weight", a));
        }
    }

    /** A quantized graph cut short or with bytes flipped: a model or a message naming the file, never anything else. */
    @Test
    void everyPrefixAndManyByteFlipsOfAQuantizedGraphGiveAModelOrAMessage() {
        byte[] good = OnnxInt8LayerTest.layer(true, 5);
        java.util.Random random = new java.util.Random(19);
        for (int i = 0; i < 3000; i++) {
            byte[] bad = i < 300 ? java.util.Arrays.copyOf(good, random.nextInt(good.length)) : good.clone();
            for (int flips = i < 300 ? 0 : 1 + random.nextInt(3); flips > 0; flips--) {
                bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
            }
            try (OnnxCheckpoint c = OnnxCheckpoint.fromBytes(bad, "m.onnx"); TensorArena a = TensorArena.confined()) {
                for (String n : c.names()) {
                    c.load(n, a);
                    if (c.isInt8(n)) {
                        c.int8Values(n, a);
                    }
                }
            } catch (CheckpointException expected) {
                assertTrue(expected.getMessage().startsWith("m.onnx: "), expected.getMessage());
            }
        }
    }
}
