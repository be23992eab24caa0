package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.nn.LayerStep;
import org.transformers4j.nn.PackedTokens;
import org.transformers4j.tensor.SimulatedGpuBackend;
import org.transformers4j.tensor.TensorArena;

/**
 * A pass over the real tokens only (packed, no padding) against the padded pass, which the
 * fixture tests check against transformers: the same hidden states and logits at every position
 * the mask keeps, zeros in the hidden states where it hides one, and each sequence as it is alone.
 */
class UnpaddedEncoderTest {
    static final double BOUND = 1e-5;
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    /** The fixtures' own inputs (right-padded batches) with a second, shorter copy of each row. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bert-mlm", "bert-seqcls", "bert-tokcls", "bert-qa", "roberta-mlm", "distilbert-mlm",
        "electra-disc", "modernbert-mlm"})
    void equalsThePaddedPassAtRealPositions(String name) {
        Path dir = Fixtures.model(name);
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu)) {
            EncoderInput in = withShorterRows(fixtureInput(dir));
            assertSamePass(model, in, true);
        }
    }

    /**
     * Left padding, a hole in the middle of a row, and a row the mask hides entirely. ModernBERT
     * runs such a mask padded (its band counts positions in the row), without zeros at padding.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"roberta-mlm, true", "modernbert-mlm, false"})
    void anyMaskPattern(String name, boolean packs) {
        Path dir = Fixtures.model(name);
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu)) {
            EncoderInput base = fixtureInput(dir);
            int s = base.seq();
            long[] ids = Arrays.copyOf(base.ids(), 3 * s), mask = new long[3 * s];
            System.arraycopy(base.ids(), 0, ids, s, s);
            System.arraycopy(base.ids(), 0, ids, 2 * s, s);
            for (int j = 0; j < s; j++) {
                mask[j] = j >= 2 ? 1 : 0;
                mask[s + j] = j == 3 ? 0 : 1;
                mask[2 * s + j] = 0;
            }
            assertSamePass(model, new EncoderInput(3, s, ids, mask, null), packs);
        }
    }

    /**
     * The same on a device (the simulated GPU: device zeros, copies into the padded rows,
     * attention on views at offsets into the packed row) and with int8 weights and bfloat16
     * products on the CPU (each row's activations quantized or rounded by themselves, so packing
     * changes no row; bfloat16's products may block rows differently, hence its bound).
     */
    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({"bert-seqcls, simulated-gpu", "modernbert-mlm, simulated-gpu", "roberta-mlm, int8",
        "bert-tokcls, bf16"})
    void equalsThePaddedPassOnOtherBackends(String name, String backend) {
        Path dir = Fixtures.model(name);
        try (Backend other = switch (backend) {
            case "simulated-gpu" -> SimulatedGpuBackend.create();
            case "int8" -> CpuBackend.withInt8Weights();
            default -> CpuBackend.withBf16Compute();
        }; EncoderModel model = ModelRegistry.loadEncoder(dir, other)) {
            assertSamePass(model, withShorterRows(fixtureInput(dir)), true, backend.equals("bf16") ? 1e-3 : BOUND);
        }
    }

    /** Each packed sequence gives what it gives alone, in a batch of one with no padding. */
    @Test
    void eachSequenceAsAlone() {
        Path dir = Fixtures.model("bert-seqcls");
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu); TensorArena arena = TensorArena.confined()) {
            EncoderInput in = withShorterRows(fixtureInput(dir));
            int s = in.seq(), c = model.hiddenSize();
            float[] packed = model.forwardUnpadded(in, arena).lastHiddenState().toFloatArray();
            for (int b = 0; b < in.batch(); b++) {
                int n = 0;
                while (n < s && in.attentionMask()[b * s + n] == 1) {
                    n++;
                }
                long[] ids = Arrays.copyOfRange(in.ids(), b * s, b * s + n);
                long[] types = in.tokenTypeIds() == null ? null : Arrays.copyOfRange(in.tokenTypeIds(), b * s, b * s + n);
                float[] alone = model.forward(new EncoderInput(1, n, ids, null, types), false, arena).lastHiddenState()
                        .toFloatArray();
                assertClose(Arrays.copyOf(alone, n * c),
                        Arrays.copyOfRange(packed, b * s * c, (b * s + n) * c), "row " + b + " alone");
            }
        }
    }

    @Test
    void refusesMaskValuesOtherThanZeroOrOne() {
        Path dir = Fixtures.model("bert-mlm");
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu); TensorArena arena = TensorArena.confined()) {
            var e = assertThrows(IllegalArgumentException.class, () -> model.forwardUnpadded(
                    new EncoderInput(1, 3, new long[] {1, 2, 3}, new long[] {1, 2, 0}, null), arena));
            assertTrue(e.getMessage().contains("attention mask[0, 1] = 2"), e.getMessage());
        }
    }

    @Test
    void packingChecksItsArguments() {
        var lengths = assertThrows(IllegalArgumentException.class, () -> PackedTokens.of(2, 3, new long[6],
                new long[] {1, 1, 0, 1, 0, 0, 1}, null, new long[6]));
        assertTrue(lengths.getMessage().contains("mask must have batch x seq = 6 entries, has 7"), lengths.getMessage());
        var packed = new LayerStep.Packed(new int[] {0, 2}, new int[] {2, 1});
        assertEquals(3, packed.total());
        var overlap = assertThrows(IllegalArgumentException.class,
                () -> new LayerStep.Packed(new int[] {0, 1}, new int[] {2, 1}));
        assertTrue(overlap.getMessage().contains("packed sequence 1 (start 1, length 1) overlaps"), overlap.getMessage());
        assertEquals(3, LayerStep.packedEncoder(packed, AttentionOptions.scaled(1f)).seq());
        var rows = assertThrows(IllegalArgumentException.class, () -> new LayerStep(2, 3, null,
                AttentionOptions.scaled(1f), null, null, null, null, null, packed));
        assertTrue(rows.getMessage().contains("a packed step runs one row of all 3 positions"), rows.getMessage());
    }

    private static void assertSamePass(EncoderModel model, EncoderInput in, boolean packs) {
        assertSamePass(model, in, packs, BOUND);
    }

    private static void assertSamePass(EncoderModel model, EncoderInput in, boolean packs, double bound) {
        try (TensorArena arena = TensorArena.confined()) {
            EncoderOutput padded = model.forward(in, false, arena);
            EncoderOutput packed = model.forwardUnpadded(in, arena);
            int b = in.batch(), s = in.seq(), c = model.hiddenSize();
            assertArrayEquals(padded.lastHiddenState().shape().toArray(), packed.lastHiddenState().shape().toArray());
            float[] want = padded.lastHiddenState().toFloatArray(), got = packed.lastHiddenState().toFloatArray();
            long[] mask = in.attentionMask();
            for (int i = 0; i < b * s; i++) {
                float[] w = Arrays.copyOfRange(want, i * c, (i + 1) * c), g = Arrays.copyOfRange(got, i * c, (i + 1) * c);
                if (mask[i] == 1) {
                    assertClose(w, g, bound, "hidden state at [" + i / s + ", " + i % s + "]");
                } else if (packs) {
                    assertArrayEquals(new float[c], g, "hidden state at the padding [" + i / s + ", " + i % s + "]");
                }
            }
            if (padded.logits() == null) {
                return;
            }
            float[] wl = padded.logits().toFloatArray(), gl = packed.logits().toFloatArray();
            assertEquals(wl.length, gl.length);
            boolean perToken = padded.logits().rank() == 3 || model.head() == EncoderModel.Head.REPLACED_TOKEN_DETECTION;
            int per = wl.length / (perToken ? b * s : b);
            for (int r = 0; r < wl.length / per; r++) {
                if (!perToken || mask[r] == 1) {
                    assertClose(Arrays.copyOfRange(wl, r * per, (r + 1) * per), Arrays.copyOfRange(gl, r * per, (r + 1) * per),
                            bound, "logits of " + (perToken ? "position " : "row ") + r);
                }
            }
        }
    }

    /**
     * logitsAt: the rows of the unpadded pass's logits at the positions asked for (real ones, out
     * of order, one twice), from the head run over those rows alone; the interface's default
     * (every position computed, the rows kept) gives the same.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bert-mlm", "bert-tokcls", "bert-qa", "roberta-mlm", "distilbert-mlm", "electra-disc",
        "modernbert-mlm"})
    void logitsAtAreTheRowsOfTheUnpaddedLogits(String name) {
        Path dir = Fixtures.model(name);
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu); TensorArena arena = TensorArena.confined()) {
            EncoderInput in = withShorterRows(fixtureInput(dir));
            long[] positions = realPositionsShuffled(in);
            assertLogitsAt(model, in, positions, model.forwardUnpadded(in, arena).logits(),
                    model.logitsAt(in, positions, arena), name);
            assertLogitsAt(model, in, positions, model.forwardUnpadded(in, arena).logits(),
                    new PlainEncoder(model).logitsAt(in, positions, arena), name + " (interface default)");
        }
    }

    /** ModernBERT with a hole in a row's mask runs padded; the device path gathers on the device. */
    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({"modernbert-mlm, cpu-hole", "bert-mlm, simulated-gpu", "modernbert-mlm, simulated-gpu"})
    void logitsAtOnOtherPaths(String name, String path) {
        Path dir = Fixtures.model(name);
        try (Backend backend = path.equals("cpu-hole") ? CpuBackend.create() : SimulatedGpuBackend.create();
             EncoderModel model = ModelRegistry.loadEncoder(dir, backend);
             EncoderModel onCpu = ModelRegistry.loadEncoder(dir, cpu);
             TensorArena arena = TensorArena.confined()) {
            EncoderInput in = withShorterRows(fixtureInput(dir));
            if (path.equals("cpu-hole")) {
                long[] mask = in.attentionMask().clone();
                mask[2] = 0;
                in = new EncoderInput(in.batch(), in.seq(), in.ids(), mask, in.tokenTypeIds());
            }
            long[] positions = realPositionsShuffled(in);
            assertLogitsAt(model, in, positions, onCpu.forwardUnpadded(in, arena).logits(),
                    model.logitsAt(in, positions, arena), name + " " + path);
        }
    }

    @Test
    void logitsAtRefusesAHeadWithoutTokenScoresAndPositionsOutsideTheInputOrAtPadding() {
        try (EncoderModel seqcls = ModelRegistry.loadEncoder(Fixtures.model("bert-seqcls"), cpu);
             EncoderModel mlm = ModelRegistry.loadEncoder(Fixtures.model("bert-mlm"), cpu);
             TensorArena arena = TensorArena.confined()) {
            EncoderInput in = new EncoderInput(2, 3, new long[] {1, 2, 3, 4, 5, 6}, null, null);
            var e = assertThrows(IllegalArgumentException.class, () -> seqcls.logitsAt(in, new long[] {0}, arena));
            assertTrue(e.getMessage().contains("SEQUENCE_CLASSIFICATION"), e.getMessage());
            for (long bad : new long[] {-1, 6}) {
                var p = assertThrows(IllegalArgumentException.class, () -> mlm.logitsAt(in, new long[] {0, bad}, arena));
                assertTrue(p.getMessage().contains("position " + bad + " (index 1)"), p.getMessage());
            }
            var n = assertThrows(NullPointerException.class, () -> mlm.logitsAt(in, null, arena));
            assertEquals("positions", n.getMessage());
            EncoderInput padded = new EncoderInput(2, 3, in.ids(), new long[] {1, 1, 1, 1, 1, 0}, null);
            var pad = assertThrows(IllegalArgumentException.class, () -> mlm.logitsAt(padded, new long[] {5}, arena));
            assertTrue(pad.getMessage().contains("position 5 (index 0, row 1, token 2) is padding"), pad.getMessage());
            assertArrayEquals(new long[] {0, mlm.vocabSize()}, mlm.logitsAt(in, new long[0], arena).shape().toArray());
        }
    }

    /** The positions the mask keeps, every other one, last first, and the first of them again. */
    private static long[] realPositionsShuffled(EncoderInput in) {
        java.util.List<Long> real = new java.util.ArrayList<>();
        for (int i = in.ids().length - 1; i >= 0; i--) {
            if (in.attentionMask()[i] == 1 && i % 2 == 0) {
                real.add((long) i);
            }
        }
        real.add(real.get(0));
        return real.stream().mapToLong(Long::longValue).toArray();
    }

    private static void assertLogitsAt(EncoderModel model, EncoderInput in, long[] positions,
                                       org.transformers4j.tensor.Tensor all, org.transformers4j.tensor.Tensor got,
                                       String what) {
        long[] shape = all.shape().toArray();
        long[] want = Arrays.copyOfRange(shape, 1, shape.length);
        want[0] = positions.length;
        assertArrayEquals(want, got.shape().toArray(), what);
        float[] a = all.toFloatArray(), g = got.toFloatArray();
        int per = a.length / (in.batch() * in.seq());
        for (int i = 0; i < positions.length; i++) {
            assertClose(Arrays.copyOfRange(a, (int) positions[i] * per, (int) (positions[i] + 1) * per),
                    Arrays.copyOfRange(g, i * per, (i + 1) * per), what + " position " + positions[i]);
        }
    }

    private static EncoderInput fixtureInput(Path dir) {
        try (SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"))) {
            var shape = ref.shape("input_ids");
            int b = (int) shape.dim(0), s = (int) shape.dim(1);
            long[] ids = ref.loadLongs("input_ids");
            long[] mask = ref.has("attention_mask") ? ref.loadLongs("attention_mask") : new long[b * s];
            if (!ref.has("attention_mask")) {
                Arrays.fill(mask, 1);
            }
            long[] types = ref.has("token_type_ids") ? ref.loadLongs("token_type_ids") : null;
            return new EncoderInput(b, s, ids, mask, types);
        }
    }

    /** The input's rows, then each row again with its last real tokens hidden (right padding). */
    private static EncoderInput withShorterRows(EncoderInput in) {
        int b = in.batch(), s = in.seq();
        long[] ids = Arrays.copyOf(in.ids(), 2 * b * s), mask = Arrays.copyOf(in.attentionMask(), 2 * b * s);
        long[] types = in.tokenTypeIds() == null ? null : Arrays.copyOf(in.tokenTypeIds(), 2 * b * s);
        System.arraycopy(in.ids(), 0, ids, b * s, b * s);
        if (types != null) {
            System.arraycopy(in.tokenTypeIds(), 0, types, b * s, b * s);
        }
        for (int r = 0; r < b; r++) {
            int kept = 0;
            for (int j = 0; j < s; j++) {
                kept += (int) in.attentionMask()[r * s + j];
            }
            for (int j = 0; j < s; j++) {
                mask[(b + r) * s + j] = j < Math.max(1, kept - 1 - r % 3) ? 1 : 0;
            }
        }
        return new EncoderInput(2 * b, s, ids, mask, types);
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertClose(want, got, BOUND, what);
    }

    private static void assertClose(float[] want, float[] got, double bound, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            double tolerance = bound * Math.max(1, Math.abs(want[i]));
            assertTrue(Math.abs(want[i] - got[i]) <= tolerance,
                    what + "[" + i + "]: padded " + want[i] + ", packed " + got[i]);
        }
    }
}
