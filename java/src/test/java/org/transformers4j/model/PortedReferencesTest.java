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
import org.transformers4j.generation.GenerationCheck;
import org.transformers4j.tensor.SimulatedGpuBackend;

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
        gpu = new SimulatedGpuBackend();
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
