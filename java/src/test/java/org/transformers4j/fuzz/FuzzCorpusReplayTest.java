package org.transformers4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.testing.ForkedJvm;

/**
 * Every committed input of a fuzz target's corpus (its seeds and the findings fixed since) runs
 * through the target in a JVM of its own: an input that crashed the JVM once fails this test if
 * it does again.
 */
class FuzzCorpusReplayTest {

    @ParameterizedTest
    @ValueSource(strings = {"TokenizerJsonTarget", "TokenizerPartsTarget", "GenerationConfigTarget"})
    void theCorpusReplaysWithoutAFinding(String target) throws URISyntaxException {
        Path corpus = Path.of(FuzzCorpusReplayTest.class.getResource("/fuzz/" + target).toURI());
        ForkedJvm.Result r = ForkedJvm.main(CorpusReplay.class).timeout(Duration.ofMinutes(3))
                .args("org.transformers4j.fuzz." + target, corpus.toString()).run();
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.output().contains("REPLAYED "), r.describe());
        assertTrue(corpus.toFile().list().length > 0);
    }
}
