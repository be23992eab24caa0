package org.transformers4j.backend;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** Bad input gives an IllegalArgumentException naming the argument, before any native call. */
class BadInputTest {
    CpuBackend cpu;
    TensorArena arena;

    @BeforeEach
    void open() {
        cpu = CpuBackend.create();
        arena = TensorArena.confined();
    }

    @AfterEach
    void close() {
        if (arena.isOpen()) {
            arena.close();
        }
    }

    static void rejects(String expectedInMessage, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expectedInMessage),
                "message should name '" + expectedInMessage + "': " + e.getMessage());
    }

    @Test
    void wrongShapes() {
        Tensor x = arena.zeros(3, 10), g = arena.zeros(9), y = arena.zeros(3, 10);
        rejects("gamma", () -> cpu.layerNorm(x, null, null, g, null, 1e-5f, y));
        rejects("y", () -> cpu.layerNorm(x, null, null, arena.zeros(10), null, 1e-5f, arena.zeros(3, 11)));
        rejects("residual", () -> cpu.rmsNorm(x, arena.zeros(2, 10), null, arena.zeros(10), 1e-5f, y));
        rejects("inner dimension of b", () -> cpu.matmul(arena.zeros(4, 5), false, arena.zeros(6, 7), false,
                arena.zeros(4, 7), 1, 0));
        rejects("columns of c", () -> cpu.matmul(arena.zeros(4, 5), false, arena.zeros(5, 7), false,
                arena.zeros(4, 6), 1, 0));
        rejects("input features of w", () -> cpu.linear(arena.zeros(2, 5), arena.zeros(3, 4), null,
                Activation.NONE, arena.zeros(2, 3)));
        Tensor q = arena.zeros(1, 4, 6, 8), k = arena.zeros(1, 4, 4, 8);
        rejects("heads", () -> cpu.attention(q, k, k, AttentionOptions.scaled(1), arena.zeros(1, 4, 6, 8)));
        Tensor k2 = arena.zeros(1, 4, 2, 8);
        rejects("v", () -> cpu.attention(q, k2, arena.zeros(1, 5, 2, 8), AttentionOptions.scaled(1),
                arena.zeros(1, 4, 6, 8)));
        rejects("queries", () -> cpu.attention(arena.zeros(1, 5, 6, 8), k2, k2, AttentionOptions.scaled(1).withCausal(),
                arena.zeros(1, 5, 6, 8)));
        rejects("bias", () -> cpu.attention(q, k2, k2, AttentionOptions.scaled(1).withBias(arena.zeros(1, 6, 4, 3)),
                arena.zeros(1, 4, 6, 8)));
        rejects("mask", () -> cpu.softmax(arena.zeros(2, 2, 3, 3),
                SoftmaxOptions.scaled(1).withMask(arena.zeros(3, 1, 3, 3)), arena.zeros(2, 2, 3, 3)));
        rejects("invFreq must have 1 to D / 2 = 4 entries, has 5", () -> cpu.rope(q, new long[4], arena.zeros(5)));
        rejects("invFreq", () -> cpu.rope(q, new long[4], arena.zeros(2, 2)));
        rejects("positions", () -> cpu.rope(q, new long[3], arena.zeros(4)));
    }

    @Test
    void negativeOrOversizeLengths() {
        Tensor x = arena.zeros(2, 1, 3, 5), y = arena.zeros(2, 1, 3, 5);
        rejects("keyLength[1]", () -> cpu.softmax(x, SoftmaxOptions.scaled(1).withKeyLength(5, 6), y));
        rejects("keyStart[0]", () -> cpu.softmax(x, SoftmaxOptions.scaled(1).withKeyStart(-1, 0), y));
        rejects("keyLength has 3 entries", () -> cpu.softmax(x, SoftmaxOptions.scaled(1).withKeyLength(1, 2, 3), y));
        Tensor q = arena.zeros(2, 3, 2, 4), kv = arena.zeros(2, 5, 2, 4), out = arena.zeros(2, 3, 2, 4);
        rejects("keyLength[0]", () -> cpu.attention(q, kv, kv, AttentionOptions.scaled(1).withKeyLength(-1, 2), out));
        rejects("window", () -> cpu.attention(q, kv, kv, AttentionOptions.scaled(1).withWindow(-2), out));
        rejects("causal softmax", () -> cpu.softmax(arena.zeros(1, 1, 4, 3), SoftmaxOptions.scaled(1).withCausal(),
                arena.zeros(1, 1, 4, 3)));
        rejects("negative", () -> arena.zeros(3, -1));
        rejects("ids[1] = 7", () -> cpu.embedding(arena.zeros(7, 4), arena.ofLongs(new long[] {0, 7}, 2),
                arena.zeros(2, 4)));
        rejects("ids[0] = -1", () -> cpu.embedding(arena.zeros(7, 4), arena.ofLongs(new long[] {-1}, 1),
                arena.zeros(1, 4)));
        rejects("narrow", () -> arena.zeros(4, 4).narrow(0, 2, 3));
    }

    @Test
    void closedArena() {
        TensorArena other = TensorArena.shared();
        Tensor x = other.zeros(3, 8), g = arena.zeros(8), y = arena.zeros(3, 8);
        other.close();
        rejects("x belongs to a closed arena", () -> cpu.layerNorm(x, null, null, g, null, 1e-5f, y));
        rejects("closed arena", x::toFloatArray);
        rejects("a belongs to a closed arena", () -> cpu.matmul(x, false, arena.zeros(8, 2), false,
                arena.zeros(3, 2), 1, 0));
    }

    @Test
    void mismatchedDtypesAndDevices() {
        Tensor ints = arena.allocate(DType.I32, 3, 8), g = arena.zeros(8), y = arena.zeros(3, 8);
        rejects("x has dtype I32", () -> cpu.layerNorm(ints, null, null, g, null, 1e-5f, y));
        rejects("ids has dtype F32", () -> cpu.embedding(arena.zeros(7, 4), arena.zeros(2), arena.zeros(2, 4)));
        rejects("tensor is I32", () -> ints.getFloat(0, 0));
        rejects("bad device name", () -> Device.parse("tpu"));
        rejects("keeps weights in F32, BF16 or I8, not F16", () -> Backends.create(Device.CPU, DType.F16));
        Tensor half = arena.allocate(DType.F16, 3, 8);
        rejects("x has dtype F16", () -> cpu.layerNorm(half, null, null, g, null, 1e-5f, y));
    }

    @Test
    void badStridesAndOverlaps() {
        Tensor m = arena.zeros(6, 6);
        Tensor column = m.narrow(1, 2, 3).narrow(0, 0, 3);
        rejects("x must be contiguous", () -> cpu.layerNorm(column, null, null, arena.zeros(3), null, 1e-5f,
                arena.zeros(3, 3)));
        Tensor q = arena.zeros(1, 3, 2, 4), kv = arena.zeros(1, 3, 2, 4);
        rejects("out overlaps q", () -> cpu.attention(q, kv, kv, AttentionOptions.scaled(1), q));
        rejects("c overlaps a", () -> cpu.matmul(m, false, arena.zeros(6, 6), false, m, 1, 0));
        rejects("eps", () -> cpu.layerNorm(arena.zeros(2, 3), null, null, arena.zeros(3), null, Float.NaN,
                arena.zeros(2, 3)));
        rejects("scale", () -> cpu.attention(q, kv, kv, AttentionOptions.scaled(Float.POSITIVE_INFINITY),
                arena.zeros(1, 3, 2, 4)));
        rejects("cannot reshape", () -> m.narrow(1, 0, 3).reshape(18));
    }
    /**
     * Views whose bounds overflow a long cannot be made (one such view reached a kernel with a
     * size of 2^62 and crashed the JVM), nor any view reaching past its memory.
     */
    @Test
    void viewsOutsideTheirMemoryCannotBeMade() {
        long big = 1L << 62;
        Tensor x = arena.zeros(1, 4);
        rejects("outside dimension", () -> x.narrow(1, big, big));
        rejects("outside dimension", () -> x.narrow(1, 3, Long.MAX_VALUE));
        rejects("outside dimension", () -> x.narrow(1, 5, 0));
        rejects("transpose(0, 5)", () -> x.transpose(0, 5));
        rejects("transpose(-3, 0)", () -> x.transpose(-3, 0));
        rejects("out of range", () -> x.stride(5));
        Executable[] huge = {() -> arena.zeros(1L << 62, 4), () -> x.reshape(1L << 32, 1L << 32, 6)};
        for (Executable call : huge) {
            var e = assertThrows(ArithmeticException.class, call);
            assertTrue(e.getMessage().contains("more elements than a long"), e.getMessage());
        }
        Tensor ids = arena.allocate(DType.I64, 4);
        rejects("outside dimension", () -> ids.narrow(0, 3L << 61, big));
        // views with no elements reach nothing, wherever they start
        assertTrue(arena.empty(0, 8).narrow(1, 4, 4).shape().elements() == 0);
        assertTrue(arena.zeros(4, 8).narrow(0, 4, 0).narrow(1, 4, 4).shape().elements() == 0);
    }

    /**
     * An output may be its input exactly (in place) or share none of it; one that overlaps it
     * shifted gave silently wrong results, and so did outputs over a mask, a table or rotary
     * frequencies the operation reads.
     */
    @Test
    void outputsOverlappingTheirInputsOtherThanInPlaceAreRefused() {
        Tensor buf = arena.zeros(9), a = buf.narrow(0, 0, 8), shifted = buf.narrow(0, 1, 8);
        rejects("y overlaps a", () -> cpu.add(a, arena.zeros(8), shifted));
        rejects("y overlaps x", () -> cpu.scale(a, 2f, shifted));
        rejects("y overlaps x", () -> cpu.activation(Activation.GELU, a, shifted));
        Tensor rows = arena.zeros(25);
        rejects("y overlaps x", () -> cpu.layerNorm(rows.narrow(0, 0, 24).reshape(3, 8), null, null, arena.zeros(8),
                null, 1e-5f, rows.narrow(0, 1, 24).reshape(3, 8)));
        Tensor table = arena.zeros(4, 8);
        rejects("out overlaps table", () -> cpu.embedding(table, cpu.longs(new long[] {0, 1, 2}, arena, 3),
                table.narrow(0, 1, 3)));
        Tensor scores = arena.zeros(1, 1, 2, 4);
        rejects("y overlaps mask", () -> cpu.softmax(arena.zeros(1, 1, 2, 4), SoftmaxOptions.scaled(1f)
                .withMask(scores.narrow(2, 0, 1)), scores));
        Tensor q = arena.zeros(1, 2, 1, 8);
        rejects("x overlaps invFreq", () -> cpu.rope(q, new long[] {0, 1}, q.reshape(16).narrow(0, 0, 4)));
        // in place is fine, and computes what a separate output does
        Tensor x = arena.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 8), twice = arena.zeros(8);
        cpu.add(x, x, twice);
        cpu.add(x, x, x);
        org.junit.jupiter.api.Assertions.assertArrayEquals(twice.toFloatArray(), x.toFloatArray());
        var e = assertThrows(NullPointerException.class, () -> cpu.activation(null, x, x));
        org.junit.jupiter.api.Assertions.assertEquals("act", e.getMessage());
    }

    /** Empty tables and products over no input feature are named in Java, not refused by the library. */
    @Test
    void emptyTablesAndProductsOverNothingAreNamed() {
        rejects("an embedding table needs", () -> cpu.embedding(arena.zeros(0, 4), cpu.longs(new long[0], arena, 0),
                arena.zeros(0, 4)));
        rejects("an embedding table needs", () -> cpu.embedding(arena.zeros(3, 0), cpu.longs(new long[] {1}, arena, 1),
                arena.zeros(1, 0)));
        for (CpuBackend backend : new CpuBackend[] {cpu, CpuBackend.withInt8Weights()}) {
            for (int rows : new int[] {1, 5}) {
                rejects("at least one input feature", () -> backend.linear(arena.zeros(rows, 0),
                        backend.weightMatrix(arena.zeros(3, 0), arena), null, Activation.NONE, arena.zeros(rows, 3)));
            }
        }
    }
}
