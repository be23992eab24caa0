package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The t4j commands, run in-process on the fixtures of the library module and on the default model. */
class MainTest {
    static final Path FIXTURES = Path.of("../java/src/test/resources/fixtures/models");

    record Run(int status, String out) {
    }

    static Run run(String... args) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            int status = Main.run(args, ps);
            return new Run(status, bytes.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void verifyPassesOnEveryEncoderFixtureAndFailsAboveATinyTolerance() throws IOException {
        for (String m : new String[] {"bert-mlm", "bert-seqcls", "bert-tokcls", "roberta-mlm", "distilbert-mlm"}) {
            Path dir = FIXTURES.resolve(m);
            Run r = run("verify", "--model", dir.toString(), "--reference", dir.resolve("reference.safetensors").toString());
            assertEquals(0, r.status(), r.out());
            assertTrue(r.out().contains("logits") && r.out().contains("hidden_states.0"), r.out());
        }
        Path dir = FIXTURES.resolve("bert-mlm");
        Run r = run("verify", "--model", dir.toString(), "--reference", dir.resolve("reference.safetensors").toString(),
                "--tolerance", "1e-12");
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("ABOVE"), r.out());
    }

    @Test
    void similarityRanksTheCloserSentenceFirst() throws IOException {
        Run r = run("similarity", "How do transformers work?", "A recipe for paella", "What is attention?");
        assertEquals(0, r.status());
        String[] lines = r.out().strip().split("\n");
        assertEquals(3, lines.length, r.out());
        assertTrue(lines[1].endsWith("What is attention?"), r.out());
        assertTrue(lines[2].endsWith("A recipe for paella"), r.out());
    }

    @Test
    void embedPrintsJsonLines() throws IOException {
        Run r = run("embed", "hello \"world\"", "second");
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length);
        var first = JsonParser.parseString(lines[0]).getAsJsonObject();
        assertEquals("hello \"world\"", first.get("text").getAsString());
        assertEquals(384, first.getAsJsonArray("embedding").size());
    }

    @Test
    void convertWritesAReadableCheckpoint(@TempDir Path tmp) throws IOException {
        Path src = FIXTURES.resolve("distilbert-mlm"), out = tmp.resolve("converted");
        assertEquals(0, run("convert", "--model", src.toString(), "--out", out.toString()).status());
        assertTrue(Files.isRegularFile(out.resolve("config.json")));
        Run r = run("verify", "--model", out.toString(), "--reference", src.resolve("reference.safetensors").toString());
        assertEquals(0, r.status(), r.out());
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run("verify", "--model", "x"));
        assertTrue(e.getMessage().contains("missing option --reference"));
        e = assertThrows(IllegalArgumentException.class, () -> run("frobnicate"));
        assertTrue(e.getMessage().contains("unknown command frobnicate"));
        e = assertThrows(IllegalArgumentException.class, () -> run("similarity", "only one"));
        assertTrue(e.getMessage().contains("at least one"));
    }
}
