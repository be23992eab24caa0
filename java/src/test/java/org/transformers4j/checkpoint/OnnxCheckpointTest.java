package org.transformers4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.tensor.TensorArena;

/** The ONNX reader on hand-built protobuf: renamed MatMul weights, and corrupt input refused with a message. */
class OnnxCheckpointTest {
    @TempDir
    Path tmp;

    /** Protobuf wire format, enough to build ONNX models by hand. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
            return this;
        }

        Proto key(int field, int wireType) {
            return varint(((long) field << 3) | wireType);
        }

        Proto field(int field, long value) {
            return key(field, 0).varint(value);
        }

        Proto field(int field, byte[] bytes) {
            key(field, 2).varint(bytes.length);
            out.writeBytes(bytes);
            return this;
        }

        Proto field(int field, String text) {
            return field(field, text.getBytes(StandardCharsets.UTF_8));
        }

        Proto field(int field, Proto message) {
            return field(field, message.bytes());
        }

        Proto raw(byte... bytes) {
            out.writeBytes(bytes);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static Proto tensor(String name, long[] dims, byte[] raw) {
        Proto dimsPacked = new Proto();
        for (long d : dims) {
            dimsPacked.varint(d);
        }
        return new Proto().field(1, dimsPacked).field(2, 1).field(8, name).field(9, raw);
    }

    static byte[] model(Proto... graphFields) {
        Proto graph = new Proto();
        for (Proto f : graphFields) {
            graph.raw(f.bytes());
        }
        return new Proto().field(1, 8).field(7, graph).bytes();
    }

    /** A MatMul weight the exporter renamed (stored [in 2, out 3]) and a bias under its Hub name. */
    static byte[] goodModel() {
        Proto node = new Proto().field(1, "x").field(1, "onnx::MatMul_7").field(3, "/enc/dense/MatMul").field(4, "MatMul");
        return model(new Proto().field(1, node),
                new Proto().field(5, tensor("onnx::MatMul_7", new long[] {2, 3}, floats(1, 2, 3, 4, 5, 6))),
                new Proto().field(5, tensor("enc.dense.bias", new long[] {3}, floats(7, 8, 9))));
    }

    static void refused(String expected, byte[] bytes) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> OnnxCheckpoint.fromBytes(bytes, "m.onnx").close());
        assertTrue(e.getMessage().startsWith("m.onnx: ") && e.getMessage().contains(expected),
                "message should mention '" + expected + "': " + e.getMessage());
    }

    @Test
    void renamedMatMulWeightsGetTheirHubNameTransposed() throws IOException {
        Path f = Files.write(tmp.resolve("m.onnx"), goodModel());
        for (LoadMode mode : LoadMode.values()) {
            try (OnnxCheckpoint c = OnnxCheckpoint.open(f, mode); TensorArena a = TensorArena.confined()) {
                assertEquals(List.of("enc.dense.weight", "enc.dense.bias"), List.copyOf(c.names()));
                assertEquals("[3, 2]", c.shape("enc.dense.weight").toString());
                assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, c.load("enc.dense.weight", a).toFloatArray());
                assertArrayEquals(new float[] {7, 8, 9}, c.load("enc.dense.bias", a).toFloatArray());
                assertEquals(f.toString(), c.source());
            }
        }
        OnnxCheckpoint c = OnnxCheckpoint.fromBytes(goodModel(), "m.onnx");
        c.close();
        c.close();
        assertEquals("m.onnx: closed", assertThrows(IllegalStateException.class, () -> c.shape("enc.dense.bias")).getMessage());
    }

    @Test
    void dimsWhoseByteSizeOverflowsAreRefused() {
        // 2^61 x 2 floats is 2^64 bytes: wraps to 0, the length of the empty raw_data
        refused("initializer w has dims [2305843009213693952, 2], more float bytes than a 64-bit size",
                model(new Proto().field(5, tensor("w", new long[] {1L << 61, 2}, new byte[0]))));
        refused("initializer w has dims [4294967296, 4294967296], more float bytes",
                model(new Proto().field(5, tensor("w", new long[] {1L << 32, 1L << 32}, new byte[0]))));
        refused("initializer w has dims [-1, 2], one of them negative",
                model(new Proto().field(5, tensor("w", new long[] {-1, 2}, new byte[0]))));
        refused("initializer w has 8 bytes of raw_data for dims [3] (12 bytes of float32)",
                model(new Proto().field(5, tensor("w", new long[] {3}, floats(1, 2)))));
    }

    @Test
    void corruptProtobufIsRefused() {
        byte[] good = goodModel();
        refused("truncated protobuf varint", new Proto().raw((byte) 0x08, (byte) 0x80).bytes());
        refused("runs past the end of its message", new Proto().key(7, 2).varint(1000).raw((byte) 0).bytes());
        refused("runs past the end of its message", new Proto().key(7, 2).varint(Long.MAX_VALUE).raw((byte) 0).bytes());
        refused("runs past the end of its message", new Proto().key(7, 2).varint(-1L).raw((byte) 0).bytes());
        refused("malformed protobuf varint", new Proto().raw((byte) 0x08).raw(filled(11, (byte) 0xff)).bytes());
        refused("field number 0", new Proto().raw((byte) 0x00).bytes());
        refused("wire type 3", new Proto().key(7, 3).bytes());
        refused("field 7 has wire type 0 where a message belongs", new Proto().field(7, 5).bytes());
        refused("field 8 has wire type 0 where a string belongs",
                model(new Proto().field(5, new Proto().field(8, 5))));
        refused("field 2 has wire type 2 where a varint belongs",
                model(new Proto().field(5, new Proto().field(2, "x"))));
        refused("no graph", new Proto().field(1, 8).bytes());
        refused("external data is not supported", model(new Proto().field(5, new Proto().field(2, 1).field(13, "x"))));
        refused("initializer w has no raw_data", model(new Proto().field(5, new Proto().field(2, 1).field(8, "w"))));
        refused("two initializers map to w", model(new Proto().field(5, tensor("w", new long[] {1}, floats(1))),
                new Proto().field(5, tensor("w", new long[] {1}, floats(2)))));
        assertTrue(good.length > 40);
    }

    private static byte[] filled(int n, byte b) {
        byte[] a = new byte[n];
        Arrays.fill(a, b);
        return a;
    }

    @Test
    void everyPrefixAndManyByteFlipsGiveAModelOrAMessage() {
        byte[] good = goodModel();
        for (int n = 0; n < good.length; n++) {
            tryOpen(Arrays.copyOf(good, n));
        }
        Random random = new Random(15);
        for (int i = 0; i < 3000; i++) {
            byte[] bad = good.clone();
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
            }
            tryOpen(bad);
        }
    }

    /** Opens and loads every initializer; only a CheckpointException may escape. */
    private static void tryOpen(byte[] bytes) {
        try (OnnxCheckpoint c = OnnxCheckpoint.fromBytes(bytes, "m.onnx"); TensorArena a = TensorArena.confined()) {
            for (String n : c.names()) {
                c.load(n, a);
            }
        } catch (CheckpointException expected) {
            assertTrue(expected.getMessage().startsWith("m.onnx: "), expected.getMessage());
        }
    }
}
