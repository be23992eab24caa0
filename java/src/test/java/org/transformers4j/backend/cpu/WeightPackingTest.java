package org.transformers4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.Activation;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Weight matrices the weight policy made are packed once and the packing kept; any other matrix
 * passed to linear may change between calls, and each call uses its values then (a packing
 * cached by identity once gave the old weights after they changed).
 */
class WeightPackingTest {

    @Test
    void aModelsWeightsArePackedOnce() {
        try (CpuBackend cpu = CpuBackend.create();
             EncoderModel model = ModelRegistry.loadEncoder(Fixtures.model("bert-mlm"), cpu);
             TensorArena arena = TensorArena.confined()) {
            long[] ids = new long[2 * 7];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = 5 + i;
            }
            model.forward(new EncoderInput(2, 7, ids, null, null), false, arena);
            int packed = cpu.packedWeights();
            assertTrue(packed >= 8, "2 layers x 4 products at least, packed " + packed);
            model.forward(new EncoderInput(2, 7, ids, null, null), false, arena);
            assertEquals(packed, cpu.packedWeights(), "packed again");
        }
    }

    /**
     * A closed model's packings are freed when the next model packs its own (a service that
     * reloads a model must not pile up native memory until the garbage collector runs).
     */
    @Test
    void aClosedModelsPackingsAreFreedByTheNextModel() {
        for (CpuBackend cpu : new CpuBackend[] {CpuBackend.create(), CpuBackend.withInt8Weights()}) {
            try (cpu; TensorArena arena = TensorArena.confined()) {
                long[] ids = new long[2 * 7];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = 5 + i;
                }
                int[] kept = new int[3];
                for (int round = 0; round < 3; round++) {
                    try (EncoderModel model = ModelRegistry.loadEncoder(Fixtures.model("bert-mlm"), cpu)) {
                        model.forward(new EncoderInput(2, 7, ids, null, null), false, arena);
                        kept[round] = cpu.packedWeights() + cpu.int8Packings();
                    }
                }
                assertTrue(kept[0] > 0, cpu + ": nothing packed");
                assertEquals(kept[0], kept[1], cpu + ": the first model's packings are still kept");
                assertEquals(kept[0], kept[2], cpu + ": packings pile up");
            }
        }
    }

    @Test
    void aMatrixThatChangesIsReadAtEachCall() {
        for (CpuBackend cpu : new CpuBackend[] {CpuBackend.create(), CpuBackend.withInt8Weights(),
            CpuBackend.withBf16Compute()}) {
            try (cpu; TensorArena arena = TensorArena.confined()) {
                for (int rows : new int[] {1, 4, 300}) {
                    Random rnd = new Random(rows);
                    Tensor x = random(arena, rnd, rows, 64), w = random(arena, rnd, 48, 64);
                    Tensor y = arena.zeros(rows, 48);
                    cpu.linear(x, w, null, Activation.NONE, y);
                    Tensor changed = random(arena, rnd, 48, 64);
                    cpu.copy(changed, w);
                    cpu.linear(x, w, null, Activation.NONE, y);
                    float[] got = y.toFloatArray(), xs = x.toFloatArray(), ws = changed.toFloatArray();
                    for (int r = 0; r < rows; r++) {
                        for (int o = 0; o < 48; o++) {
                            double want = 0;
                            for (int k = 0; k < 64; k++) {
                                want += (double) xs[r * 64 + k] * ws[o * 64 + k];
                            }
                            assertEquals(want, got[r * 48 + o], 1e-4, cpu + ", " + rows + " rows, [" + r + ", " + o
                                    + "]");
                        }
                    }
                }
            }
        }
    }

    private static Tensor random(TensorArena arena, Random rnd, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return arena.of(v, rows, cols);
    }
}
