package org.transformers4j;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** The reference fixtures copied into the test resources (see shared/fixtures/README.md). */
public final class Fixtures {
    private Fixtures() {
    }

    /** fixtures/models/NAME: config.json, model.safetensors, reference.safetensors. */
    public static Path model(String name) {
        return folderOf("/fixtures/models/" + name + "/config.json");
    }

    /** fixtures/tokenizers/NAME: tokenizer.json and cases.json. */
    public static Path tokenizer(String name) {
        return folderOf("/fixtures/tokenizers/" + name + "/cases.json");
    }

    /** Prints each compared tensor and asserts there are {@code expected} of them, each within bound. */
    /** Greedy and beam search of a fixture reproduced token for token (GenerationCheck results). */
    public static void assertIdenticalGeneration(String name,
                                                 java.util.List<org.transformers4j.verify.GenerationCheck.Result> results) {
        org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of("generate.greedy", "generate.beam3"),
                results.stream().map(org.transformers4j.verify.GenerationCheck.Result::tensor).toList());
        org.junit.jupiter.api.Assertions.assertEquals(16, results.get(0).total());
        org.junit.jupiter.api.Assertions.assertEquals(24, results.get(1).total());
        results.forEach(r -> org.junit.jupiter.api.Assertions.assertTrue(r.identical(), name + " " + r));
    }

    public static void assertParity(String name, java.util.List<org.transformers4j.verify.ParityCheck.Result> results,
                                    int expected, double bound) {
        org.junit.jupiter.api.Assertions.assertEquals(expected, results.size(), "compared tensors: " + results);
        for (var r : results) {
            System.out.printf("%s %s relative error %.2e%n", name, r.tensor(), r.relativeError());
            org.junit.jupiter.api.Assertions.assertTrue(r.relativeError() <= bound,
                    name + " " + r.tensor() + ": relative error " + r.relativeError());
        }
    }

    private static Path folderOf(String resource) {
        var url = Fixtures.class.getResource(resource);
        if (url == null) {
            throw new IllegalStateException("test resource " + resource + " is missing");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
