package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.tensor.SimulatedGpuBackend;
import org.transformers4j.verify.GenerationCheck;
import org.transformers4j.verify.ParityCheck;

/**
 * Every model fixture, and generation, on a backend whose tensors are tagged as GPU memory (see
 * {@link SimulatedGpuBackend}): the same parity as on the CPU, and no host read of a device tensor
 * anywhere in the model, generation or cache code, which would throw here. This is the Java half of
 * the GPU path, checked where there is no GPU.
 */
class SimulatedGpuFixturesTest {
    static SimulatedGpuBackend gpu;

    @BeforeAll
    static void open() {
        gpu = SimulatedGpuBackend.create();
    }

    @AfterAll
    static void close() {
        gpu.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"bert-mlm, 4", "bert-seqcls, 4", "bert-tokcls, 4", "roberta-mlm, 4", "distilbert-mlm, 4",
        "electra-disc, 4", "modernbert-mlm, 5", "bert-qa, 5"})
    void encoders(String name, int tensors) {
        Path dir = Fixtures.model(name);
        long before = gpu.bytesAllocated();
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, gpu)) {
            assertTrue(gpu.bytesAllocated() - before > 100_000, "the weights went to the device");
            Fixtures.assertParity(name, ParityCheck.encoder(model, dir.resolve("reference.safetensors")), tensors,
                    1e-4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt-neo", "llama", "qwen2", "gemma", "phi3"})
    void decodersAndTheirGeneration(String name) {
        Path dir = Fixtures.model(name);
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, gpu)) {
            Fixtures.assertParity(name, ParityCheck.decoder(model, dir.resolve("reference.safetensors")), 4, 1e-4);
            Fixtures.assertIdenticalGeneration(name, GenerationCheck.run(model, dir.resolve("reference.safetensors")));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bart", "t5", "t5-gated", "marian", "mbart", "pegasus"})
    void encoderDecodersAndTheirGeneration(String name) {
        Path dir = Fixtures.model(name);
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(dir, gpu)) {
            List<ParityCheck.Result> results = ParityCheck.seq2seq(model, dir.resolve("reference.safetensors"));
            assertTrue(results.size() >= 4, name + ": " + results);
            Fixtures.assertParity(name, results, results.size(), 1e-4);
            Fixtures.assertIdenticalGeneration(name, GenerationCheck.run(model, dir.resolve("reference.safetensors")));
        }
    }
}
