package org.transformers4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.transformers4j.testing.ForkedJvm;

/**
 * Every pipeline closed under 64 busy threads, 100 rounds each ({@link CloseUnderLoad}), in a JVM
 * of its own: a use of freed memory would crash that JVM and fail this test. Each call must
 * return the answer an unclosed pipeline gives or fail with IllegalStateException naming the
 * pipeline; every round must see both, and a second close must do nothing.
 */
class CloseUnderLoadTest {
    static final List<String> PIPELINES = List.of("SentenceEmbedder", "FillMask", "TextClassifier", "TokenClassifier",
            "TextGenerator", "Text2TextGenerator");

    @Test
    void closingUnderLoadNeverCrashesAndEveryCallIsRightOrRefused() {
        ForkedJvm.Result r = ForkedJvm.main(CloseUnderLoad.class).timeout(Duration.ofMinutes(8)).jvmArgs("-Xmx1g").args("100").run();
        assertEquals(0, r.exitCode(), r.describe());
        Pattern line = Pattern.compile("(\\w+) rounds (\\d+) answered (\\d+) refused (\\d+) wrong \\{(.*)} seconds");
        int seen = 0;
        for (String l : r.output().split("\n")) {
            Matcher m = line.matcher(l);
            if (!m.lookingAt()) {
                continue;
            }
            seen++;
            System.out.println(l);
            assertTrue(PIPELINES.contains(m.group(1)), l);
            assertEquals(100, Integer.parseInt(m.group(2)), l);
            assertTrue(Long.parseLong(m.group(3)) > 0, "no call was answered: " + l);
            assertEquals(100L * CloseUnderLoad.THREADS, Long.parseLong(m.group(4)), "each caller is refused once a round: " + l);
            assertEquals("", m.group(5), l);
        }
        assertEquals(PIPELINES.size(), seen, r.describe());
    }
}
