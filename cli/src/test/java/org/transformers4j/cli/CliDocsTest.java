package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/cli.md holds the command reference as the picocli definitions make it: one source for both. */
class CliDocsTest {
    static final Path DOC = Path.of("../docs/cli.md");

    @Test
    void theCommandReferenceInDocsIsCurrent() throws IOException {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        String want = CliDocs.updated(doc);
        if (Boolean.getBoolean("t4j.docs.update") && !want.equals(doc)) {
            Files.writeString(DOC, want, StandardCharsets.UTF_8);
            doc = want;
        }
        assertEquals(want, doc, "docs/cli.md is stale: the command definitions changed. Regenerate it with\n"
                + "  mvn -B -q -pl cli -am test -Dtest=CliDocsTest -Dsurefire.failIfNoSpecifiedTests=false"
                + " -Dt4j.docs.update=true\nand commit it.");
    }

    @Test
    void theReferenceHasEveryCommandsHelp() {
        String ref = CliDocs.reference();
        for (String c : CliTest.commands()) {
            assertTrue(ref.contains("### t4j " + c + "\n") && ref.contains("| `" + c + "`"), c);
        }
    }
}
