package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.SimulatedGpuBackend;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.verify.GenerationCheck;
import org.transformers4j.verify.ParityCheck;

/**
 * Configurations no transformers fixture covers (sliding windows shorter than the input, Qwen3's
 * head norms, YaRN, LongRoPE's switch, decoder sequence classifiers), against the float64 port of
 * transformers' modeling code in fixtures/ported (see its README: a port, checked against the
 * transformers fixtures, not transformers itself): hidden states and logits within 1e-4 at real
 * positions and greedy generation token for token, on the CPU and on the simulated GPU.
 */
class PortedReferencesTest {
    static CpuBackend cpu;
    static SimulatedGpuBackend gpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
        gpu = SimulatedGpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
        gpu.close();
    }

    static Path ported(String name) {
        var url = Fixtures.class.getResource("/fixtures/ported/" + name + "/config.json");
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource fixtures/ported/" + name + " is missing", e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mistral-window", "mistral-yarn", "qwen3-window", "qwen2-window", "phi3-longrope"})
    void decodersAndTheirGreedyGeneration(String name) {
        Path dir = ported(name);
        for (Backend backend : List.<Backend>of(cpu, gpu)) {
            try (DecoderModel model = ModelRegistry.loadDecoder(dir, backend)) {
                Fixtures.assertParity(name + " on " + backend.name(),
                        ParityCheck.decoder(model, dir.resolve("reference.safetensors")), 5, 1e-4);
                var generated = GenerationCheck.run(model, dir.resolve("reference.safetensors"));
                assertEquals(1, generated.size(), name + ": " + generated);
                assertEquals(16, generated.get(0).total());
                assertTrue(generated.get(0).identical(), name + " on " + backend.name() + ": " + generated);
            }
        }
    }

    /**
     * The windowed models fed their reference batch (the second row right-padded) one token at a
     * time through the cache (the decode path of the window: a range of keys per row) give the
     * full pass's logits at every real position.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mistral-window", "qwen3-window", "qwen2-window", "mistral-yarn"})
    void tokenByTokenThroughTheCacheIsTheFullPass(String name) {
        Path dir = ported(name);
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu);
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
             TensorArena arena = TensorArena.confined()) {
            int b = (int) ref.shape("input_ids").dim(0), s = (int) ref.shape("input_ids").dim(1), v = model.vocabSize();
            long[] ids = ref.loadLongs("input_ids"), mask = ref.loadLongs("attention_mask");
            float[] want = model.forward(new DecoderInput(b, s, ids, mask, null), false, arena).logits().toFloatArray();
            try (KvCache cache = model.newCache(b, s)) {
                for (int t = 0; t < s; t++) {
                    long[] step = new long[b], stepMask = new long[b * (t + 1)];
                    for (int r = 0; r < b; r++) {
                        step[r] = ids[r * s + t];
                        System.arraycopy(mask, r * s, stepMask, r * (t + 1), t + 1);
                    }
                    float[] got = model.forward(new DecoderInput(b, 1, step, stepMask, null), cache, false, true, arena)
                            .logits().toFloatArray();
                    for (int r = 0; r < b; r++) {
                        if (mask[r * s + t] == 0) {
                            continue;
                        }
                        double err = 0, mag = 0;
                        for (int j = 0; j < v; j++) {
                            err = Math.max(err, Math.abs(got[r * v + j] - want[(r * s + t) * v + j]));
                            mag = Math.max(mag, Math.abs(want[(r * s + t) * v + j]));
                        }
                        assertTrue(err / mag <= 1e-5, name + " step " + t + " row " + r + ": " + err / mag);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"qwen2-seqcls", "gemma-seqcls"})
    void sequenceClassifiersPoolTheLastTokenThatIsNotPadding(String name) {
        Path dir = ported(name);
        for (Backend backend : List.<Backend>of(cpu, gpu)) {
            try (EncoderModel model = ModelRegistry.loadEncoder(dir, backend)) {
                assertEquals(EncoderModel.Head.SEQUENCE_CLASSIFICATION, model.head());
                Fixtures.assertParity(name + " on " + backend.name(),
                        ParityCheck.encoder(model, dir.resolve("reference.safetensors")), 5, 1e-4);
            }
        }
    }
}
