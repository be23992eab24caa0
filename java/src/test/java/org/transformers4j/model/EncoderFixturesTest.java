package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.verify.ParityCheck;

/**
 * Every hidden state and the logits of the encoder fixtures (outputs of Hugging Face
 * transformers in float64 from the same float32 weights) within 1e-4 relative error at
 * positions whose attention mask is 1.
 */
class EncoderFixturesTest {
    static final double BOUND = 1e-4;
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"bert-mlm, MASKED_LM, 4", "bert-seqcls, SEQUENCE_CLASSIFICATION, 4",
        "bert-tokcls, TOKEN_CLASSIFICATION, 4", "roberta-mlm, MASKED_LM, 4", "distilbert-mlm, MASKED_LM, 4",
        "electra-disc, TOKEN_CLASSIFICATION, 4", "modernbert-mlm, MASKED_LM, 5", "bert-qa, QUESTION_ANSWERING, 5"})
    void matchesTransformers(String name, EncoderModel.Head head, int expectedTensors) {
        Path dir = Fixtures.model(name);
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu)) {
            assertEquals(head, model.head());
            List<ParityCheck.Result> results = ParityCheck.encoder(model, dir.resolve("reference.safetensors"));
            Fixtures.assertParity(name, results, expectedTensors, BOUND);
        }
    }
}
