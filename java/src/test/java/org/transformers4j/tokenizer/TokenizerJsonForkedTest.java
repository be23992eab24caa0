package org.transformers4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.transformers4j.testing.ForkedJvm;

/**
 * Every tokenizer.json case through the native library, in a JVM of its own: the malformed ones
 * (the 16-byte {"decoder": {x}} among them, which aborted the JVM before these checks) are
 * refused with a message naming the JSON path, the well-formed ones load, encode and decode, and
 * the JVM exits normally: a panic that got through would end it with an abort instead.
 */
class TokenizerJsonForkedTest {

    @Test
    void malformedFilesAreRefusedAndNoneCrashesTheJvm() {
        ForkedJvm.Result r = ForkedJvm.main(TokenizerJsonCases.class).timeout(Duration.ofMinutes(3)).run();
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.output().contains("DONE"), r.describe());
        Map<String, String> outcome = new HashMap<>();
        for (String line : r.output().split("\n")) {
            if (line.startsWith("ACCEPTED ")) {
                outcome.put(line.substring("ACCEPTED ".length()), null);
            } else if (line.startsWith("REFUSED ")) {
                String[] parts = line.substring("REFUSED ".length()).split(" :: ", 2);
                outcome.put(parts[0], parts[1]);
            }
        }
        List<TokenizerJsonCases.Case> accepted = TokenizerJsonCases.accepted();
        List<TokenizerJsonCases.Case> refused = new java.util.ArrayList<>(TokenizerJsonCases.refused());
        refused.addAll(TokenizerJsonCases.refusedAfterNormalizing());
        assertEquals(accepted.size() + refused.size(), outcome.size(), r.describe());
        for (TokenizerJsonCases.Case c : accepted) {
            assertTrue(outcome.containsKey(c.name()) && outcome.get(c.name()) == null,
                    c.name() + " must load, encode and decode; got: " + outcome.get(c.name()));
        }
        for (TokenizerJsonCases.Case c : refused) {
            String message = outcome.get(c.name());
            assertTrue(message != null && message.startsWith("tokenizer.json: ") && message.contains(c.refusedAt()),
                    c.name() + " must be refused naming tokenizer.json and " + c.refusedAt() + "; got: " + message);
        }
    }
}
