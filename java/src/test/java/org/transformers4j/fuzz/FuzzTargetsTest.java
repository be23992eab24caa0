package org.transformers4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every fuzz target (docs/fuzzing.md): its committed seed corpus replayed in this JVM, then Jazzer
 * for a few seconds in a forked JVM ({@code -Dt4j.fuzz.seconds}, default 3; 0 skips it) on a fresh
 * working corpus seeded from the committed one. Executions per target go to target/fuzz-report.txt.
 */
class FuzzTargetsTest {
    private static final int SECONDS = Integer.getInteger("t4j.fuzz.seconds", 3);
    private static final List<FuzzRunner.Outcome> OUTCOMES = new CopyOnWriteArrayList<>();

    @Test
    void theTargetsAreFound() {
        List<String> names = FuzzRunner.targets().stream().map(FuzzRunner.Target::name).toList();
        assertTrue(names.containsAll(List.of("OnnxTarget", "SafeTensorsTarget", "ShardedIndexTarget")), names.toString());
    }

    @TestFactory
    Stream<DynamicTest> seedCorporaRunWithoutEscapes() {
        return FuzzRunner.targets().stream().map(t -> DynamicTest.dynamicTest(t.name(),
                () -> assertTrue(FuzzRunner.runSeeds(t) > 0, t.name())));
    }

    @TestFactory
    Stream<DynamicTest> jazzerFindsNothingInAFewSeconds() {
        return FuzzRunner.targets().stream().map(t -> DynamicTest.dynamicTest(t.name(), () -> {
            assumeTrue(SECONDS > 0, "t4j.fuzz.seconds is 0");
            Path work = Files.createTempDirectory("fuzz-" + t.name());
            try {
                FuzzRunner.Outcome o = FuzzRunner.fuzz(t, Duration.ofSeconds(SECONDS), work.resolve("corpus"),
                        work.resolve("findings"));
                OUTCOMES.add(o);
                assertEquals(List.of(), o.findings(), o.run().describe());
                assertEquals(0, o.run().exitCode(), o.run().describe());
                assertTrue(o.executions() > 0, "no \"Done N runs\" line: " + o.run().describe());
            } finally {
                FuzzRunner.deleteTree(work);
            }
        }));
    }

    @AfterAll
    static void report() throws IOException {
        if (!OUTCOMES.isEmpty()) {
            Files.writeString(Files.createDirectories(Path.of("target")).resolve("fuzz-report.txt"),
                    FuzzRunner.table(OUTCOMES));
        }
    }
}
