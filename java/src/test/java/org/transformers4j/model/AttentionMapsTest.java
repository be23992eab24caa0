package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.SimulatedGpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * output_attentions: the probabilities of BERT against those transformers computes (float64,
 * eager attention), and for decoders (causal, grouped-query, sliding window) probabilities whose
 * rows sum to 1, that see no later key, and whose P·V gives the fused kernel's hidden states.
 */
class AttentionMapsTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @Test
    void bertProbabilitiesMatchTransformersAtRealQueries() {
        Path dir = Fixtures.model("bert-mlm");
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu);
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
             SafeTensors want = SafeTensors.open(dir.resolve("attentions.safetensors"));
             TensorArena arena = TensorArena.confined()) {
            int b = (int) ref.shape("input_ids").dim(0), s = (int) ref.shape("input_ids").dim(1);
            long[] mask = ref.loadLongs("attention_mask");
            EncoderInput in = new EncoderInput(b, s, ref.loadLongs("input_ids"), mask, ref.loadLongs("token_type_ids"));
            EncoderOutput unfused = model.forward(in, true, true, arena);
            EncoderOutput fused = model.forward(in, true, arena);
            assertEquals(fused.hiddenStates().size() - 1, unfused.attentions().size());
            for (int l = 0; l < unfused.attentions().size(); l++) {
                Tensor got = unfused.attentions().get(l), expected = want.load("attentions." + l, arena);
                assertEquals(expected.shape(), got.shape(), "attentions." + l);
                double err = relativeError(got.toFloatArray(), expected.toFloatArray(), mask, b, (int) got.dim(1), s);
                System.out.printf("bert-mlm attentions.%d relative error %.2e%n", l, err);
                assertTrue(err <= 1e-4, "attentions." + l + ": relative error " + err);
            }
            assertSameHiddenStates("bert-mlm", fused.hiddenStates(), unfused.hiddenStates(), mask, s);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt2, 0", "llama, 0", "gpt-neo, 4"})
    void decoderProbabilitiesAreCausalRowsOfOneThatGiveTheFusedHiddenStates(String name, int window) {
        Path dir = Fixtures.model(name);
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu);
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
             TensorArena arena = TensorArena.confined()) {
            int b = (int) ref.shape("input_ids").dim(0), s = (int) ref.shape("input_ids").dim(1);
            long[] mask = ref.loadLongs("attention_mask");
            DecoderInput in = new DecoderInput(b, s, ref.loadLongs("input_ids"), mask, null);
            DecoderOutput fused = model.forward(in, true, arena);
            DecoderOutput unfused;
            try (KvCache cache = model.newCache(b, s)) {
                unfused = model.forward(in, cache, true, false, true, arena);
            }
            assertEquals(fused.hiddenStates().size() - 1, unfused.attentions().size());
            for (int l = 0; l < unfused.attentions().size(); l++) {
                Tensor p = unfused.attentions().get(l);
                int h = (int) p.dim(1);
                assertEquals(List.of((long) b, (long) h, (long) s, (long) s), List.of(p.dim(0), p.dim(1), p.dim(2),
                        p.dim(3)));
                assertCausalRowsOfOne(name + " layer " + l, p.toFloatArray(), mask, b, h, s,
                        name.equals("gpt-neo") && l % 2 == 1 ? window : 0);
            }
            assertSameHiddenStates(name, fused.hiddenStates(), unfused.hiddenStates(), mask, s);
        }
    }

    /**
     * On a backend whose tensors are device memory (no host read of them allowed), with a mask
     * that is not one range per row (an additive bias) under GPT-Neo's window: the same
     * probabilities as on the CPU, and the fused kernel's hidden states.
     */
    @Test
    void aHoleyMaskUnderAWindowOnTheSimulatedGpuGivesTheCpusProbabilities() {
        Path dir = Fixtures.model("gpt-neo");
        int b = 2, s = 9;
        long[] ids = new long[b * s], mask = new long[b * s];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 5 + (i * 37) % 300;
            mask[i] = i % s == 3 || i == s + 6 ? 0 : 1;
        }
        DecoderInput in = new DecoderInput(b, s, ids, mask, null);
        try (SimulatedGpuBackend gpu = SimulatedGpuBackend.create();
             DecoderModel onGpu = ModelRegistry.loadDecoder(dir, gpu);
             DecoderModel onCpu = ModelRegistry.loadDecoder(dir, cpu);
             TensorArena arena = TensorArena.confined()) {
            DecoderOutput fused = onCpu.forward(in, true, arena);
            DecoderOutput cpuMaps, gpuMaps;
            try (KvCache cache = onCpu.newCache(b, s)) {
                cpuMaps = onCpu.forward(in, cache, true, false, true, arena);
            }
            try (KvCache cache = onGpu.newCache(b, s)) {
                gpuMaps = onGpu.forward(in, cache, true, false, true, arena);
            }
            for (int l = 0; l < cpuMaps.attentions().size(); l++) {
                float[] want = cpuMaps.attentions().get(l).toFloatArray();
                float[] got = gpuMaps.attentions().get(l).toFloatArray();
                assertEquals(want.length, got.length);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-6, "layer " + l + " [" + i + "]");
                }
                assertCausalRowsOfOne("gpt-neo holey layer " + l, want, mask, b, (int) cpuMaps.attentions().get(l)
                        .dim(1), s, l % 2 == 1 ? 4 : 0);
            }
            assertSameHiddenStates("gpt-neo holey", fused.hiddenStates(), cpuMaps.hiddenStates(), mask, s);
            assertSameHiddenStates("gpt-neo holey (simulated GPU)", fused.hiddenStates(), gpuMaps.hiddenStates(), mask,
                    s);
        }
    }

    @Test
    void aModelWithoutTheUnfusedPathRefusesNamingItself() {
        Path dir = Fixtures.model("modernbert-mlm");
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu); TensorArena arena = TensorArena.confined()) {
            var e = assertThrows(UnsupportedOperationException.class,
                    () -> model.forward(new EncoderInput(1, 2, new long[] {1, 2}, null, null), false, true, arena));
            assertTrue(e.getMessage().contains(model.config().source().toString()), e.getMessage());
        }
    }

    /** Max |got - want| / max |want| over rows [b, h, i, :] whose query i is real. */
    private static double relativeError(float[] got, float[] want, long[] mask, int b, int h, int s) {
        double err = 0, mag = 0;
        for (int i = 0; i < got.length; i++) {
            int row = i / s, query = row % s, batch = row / (h * s);
            if (mask[batch * s + query] == 0) {
                continue;
            }
            err = Math.max(err, Math.abs((double) got[i] - want[i]));
            mag = Math.max(mag, Math.abs(want[i]));
        }
        return err / mag;
    }

    /** Each real query's row sums to 1, and no later key, padded key or key outside the window gets weight. */
    private static void assertCausalRowsOfOne(String what, float[] p, long[] mask, int b, int h, int s, int window) {
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                for (int i = 0; i < s; i++) {
                    if (mask[bi * s + i] == 0) {
                        continue;
                    }
                    double sum = 0;
                    for (int j = 0; j < s; j++) {
                        float v = p[((bi * h + hi) * s + i) * s + j];
                        boolean hidden = j > i || mask[bi * s + j] == 0 || (window > 0 && i - j >= window);
                        if (hidden) {
                            assertEquals(0f, v, what + ": query " + i + " gives key " + j + " weight " + v);
                        }
                        sum += v;
                    }
                    assertEquals(1.0, sum, 1e-5, what + ": row " + bi + "/" + hi + "/" + i);
                }
            }
        }
    }

    /** The unfused pass's hidden states equal the fused kernel's at real positions (1e-5 relative). */
    private static void assertSameHiddenStates(String name, List<Tensor> fused, List<Tensor> unfused, long[] mask,
                                               int s) {
        assertEquals(fused.size(), unfused.size());
        for (int l = 0; l < fused.size(); l++) {
            float[] f = fused.get(l).toFloatArray(), u = unfused.get(l).toFloatArray();
            int c = f.length / mask.length;
            double err = 0, mag = 0;
            for (int i = 0; i < f.length; i++) {
                if (mask[i / c] == 0) {
                    continue;
                }
                err = Math.max(err, Math.abs((double) f[i] - u[i]));
                mag = Math.max(mag, Math.abs(f[i]));
            }
            assertTrue(err / mag <= 1e-5, name + " hidden_states." + l + ": unfused differs by " + err / mag);
        }
    }
}
