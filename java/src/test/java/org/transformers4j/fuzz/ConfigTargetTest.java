package org.transformers4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The config fuzz target over its committed seed corpus (valid configs and near-valid ones): nothing escapes it. */
class ConfigTargetTest {

    @Test
    void theSeedCorpusRunsClean() throws IOException, URISyntaxException {
        Path corpus = Path.of(ConfigTargetTest.class.getResource("/fuzz/ConfigTarget").toURI());
        List<Path> inputs;
        try (Stream<Path> files = Files.list(corpus)) {
            inputs = files.sorted().toList();
        }
        assertTrue(inputs.size() >= 30, "corpus of " + inputs.size());
        for (Path input : inputs) {
            byte[] data = Files.readAllBytes(input);
            assertDoesNotThrow(() -> ConfigTarget.fuzzerTestOneInput(data), input.getFileName().toString());
        }
    }
}
