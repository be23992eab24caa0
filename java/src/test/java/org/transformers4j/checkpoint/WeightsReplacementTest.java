package org.transformers4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.transformers4j.testing.ForkedJvm;

/**
 * Replacing a loaded model's weights file while requests run, in a forked JVM (a SIGBUS would kill
 * it, not the build): no crash, and every request answered from the old weights bit for bit.
 */
class WeightsReplacementTest {
    private static final String SECONDS = System.getProperty("t4j.replace.seconds", "3");

    static ForkedJvm.Result serve(String mode, String how) {
        ForkedJvm.Result r = ForkedJvm.main(ReplaceWeightsWhileServing.class).args(mode, how, SECONDS)
                .timeout(Duration.ofSeconds(120)).run();
        System.out.println(r.output().strip());
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(count(r, "answered") > 0 && count(r, "replacements") > 0, r.describe());
        assertEquals(0, count(r, "mismatched"), r.describe());
        assertEquals(0, count(r, "failed"), "owned or renamed weights leave every request answerable: " + r.describe());
        assertEquals(0, count(r, "reloadMixed"), r.describe());
        return r;
    }

    static long count(ForkedJvm.Result r, String name) {
        Matcher m = Pattern.compile("\\b" + name + "=(\\d+)").matcher(r.output());
        assertTrue(m.find(), "no " + name + " in the output: " + r.describe());
        return Long.parseLong(m.group(1));
    }

    @Test
    void rewritingTheFileInPlaceCannotReachALoadedModel() {
        ForkedJvm.Result r = serve("copy", "inplace");
        assertTrue(count(r, "reloadRefused") + count(r, "reloadedOld") + count(r, "reloadedNew") > 0, r.describe());
    }

    @Test
    void replacingTheFileByRenameIsSafeCopiedOrMapped() {
        serve("copy", "rename");
        serve("mapped", "rename");
    }
}
