package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.cli.MainTest.run;

import com.google.gson.JsonParser;
import java.io.PrintStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.cli.MainTest.Run;

/** The command line's contract: help, version, typos, numbers, '--', exit codes and messages. */
class CliTest {
    /** Every command, as t4j help lists it. */
    static List<String> commands() {
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        return Main.commandLine(new Io(System.in, nowhere, nowhere, Progress.Mode.OFF)).getSubcommands().keySet()
                .stream().filter(c -> !c.equals("help") && !c.equals("text2text")).toList();
    }

    static void assertMessageOnly(Run r) {
        assertTrue(r.err().startsWith("t4j: "), r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "a stack trace or exception name:\n" + r.err());
    }

    @Test
    void everyCommandHasHelpFromTheSameDefinitionsAsTheHelpCommand() {
        List<String> commands = commands();
        assertEquals(List.of("similarity", "embed", "verify", "generate", "translate", "convert", "fill-mask", "classify",
                "ner", "answer", "attention", "time", "demo", "serve"), commands);
        Run list = run("help");
        assertEquals(0, list.status());
        for (String c : commands) {
            Run help = run(c, "--help");
            assertEquals(0, help.status(), c + ": " + help.err());
            assertTrue(help.out().startsWith("Usage: t4j " + c + " "), help.out());
            // every command that prints results takes --json; serve answers over HTTP instead
            assertTrue((c.equals("serve") || help.out().contains("--json")) && help.out().contains("-h, --help"),
                    help.out());
            assertEquals(help.out(), run(c, "-h").out());
            assertEquals(help.out(), run("help", c).out());
            assertTrue(list.out().contains("\n  " + c), c + " missing from t4j help:\n" + list.out());
        }
        assertEquals(run("translate", "--help").out(), run("text2text", "--help").out()); // an alias
    }

    @Test
    void versionIsTheProjectsOnEveryCommand() {
        Run r = run("--version");
        assertEquals(0, r.status());
        assertTrue(r.out().matches("(?s)t4j \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\nJava .*linux-.*\n"), r.out());
        assertEquals(r.out(), run("embed", "--version").out());
        assertEquals(r.out(), run("-V").out());
    }

    @Test
    void aMisspelledOptionIsRefusedWithTheRightOneSuggested() {
        Run r = run("generate", "--model", "m", "--max-new-token", "5", "hello");
        assertEquals(2, r.status());
        assertMessageOnly(r);
        assertTrue(r.err().contains("Unknown option") && r.err().contains("'--max-new-token'"), r.err());
        assertTrue(r.err().contains("Possible solutions: --max-new-tokens"), r.err());
        assertTrue(r.err().contains("see 't4j generate --help'"), r.err());
        Run command = run("simlarity", "a", "b");
        assertEquals(2, command.status());
        assertTrue(command.err().startsWith("t4j: unknown command 'simlarity'") && command.err().contains("similarity"),
                command.err());
    }

    @Test
    void aBadNumberNamesItsOption() {
        Run r = run("generate", "--model", "m", "--max-new-tokens", "abc", "hello");
        assertEquals(2, r.status());
        assertMessageOnly(r);
        assertTrue(r.err().startsWith("t4j: Invalid value for option '--max-new-tokens': 'abc' is not an int"), r.err());
        Run beams = run("translate", "--model", "m", "--beams", "0", "hello");
        assertEquals(2, beams.status());
        assertTrue(beams.err().startsWith("t4j: --beams must be between 1 and"), beams.err());
    }

    @Test
    void doubleDashEndsTheOptions() {
        Run help = run("embed", "-h");
        assertTrue(help.out().startsWith("Usage: t4j embed"), help.out());
        Run r = run("embed", "--", "-h", "--json");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r.out());
        assertEquals("-h", JsonParser.parseString(lines.get(0)).getAsJsonObject().get("text").getAsString());
        assertEquals("--json", JsonParser.parseString(lines.get(1)).getAsJsonObject().get("text").getAsString());
    }

    /** issue 15's bad numbers: refused with a message naming the option, before anything loads. */
    @Test
    void unboundedOrOverflowingValuesAreRefused() {
        String[][] cases = {
            {"time", "--model", "m", "--warmup", "Infinity"},
            {"time", "--model", "m", "--warmup", "1e300"},
            {"time", "--model", "m", "--warmup", "NaN"},
            {"time", "--model", "m", "--batch", "2147483647"},
            {"time", "--model", "m", "--batch", "65536", "--seq", "65536"},
            {"time", "--model", "m", "--runs", "2147483647"},
            {"verify", "--model", "m", "--reference", "r", "--tolerance", "NaN"},
            {"verify", "--model", "m", "--reference", "r", "--tolerance", "-1"},
            {"generate", "--model", "m", "--temperature", "NaN", "x"},
            {"generate", "--model", "m", "--repetition-penalty", "Infinity", "x"},
            {"embed", "--batch-size", "0", "x"},
        };
        for (String[] c : cases) {
            Run r = run(c);
            assertEquals(2, r.status(), String.join(" ", c) + "\n" + r.err());
            assertMessageOnly(r);
            String option = c[c.length - 2].startsWith("--") ? c[c.length - 2] : c[c.length - 3];
            assertTrue(r.err().contains(option), String.join(" ", c) + ": " + r.err());
        }
    }

    @Test
    void exitCodesSayWhatKindOfFailure(@TempDir Path tmp) throws Exception {
        Path src = MainTest.FIXTURES.resolve("distilbert-mlm");
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Run existing = run("convert", "--model", src.toString(), "--out", file.toString());
        assertEquals(1, existing.status(), existing.err());
        assertMessageOnly(existing);
        assertTrue(existing.err().contains(file.toString()) && existing.err().contains("not a folder"), existing.err());

        Run missing = run("verify", "--model", tmp.resolve("absent").toString(), "--reference", "r");
        assertEquals(2, missing.status(), missing.err());
        assertMessageOnly(missing);
        assertTrue(missing.err().contains(tmp.resolve("absent").toString()), missing.err());

        assertEquals(3, Errors.classify(new UnsatisfiedLinkError("libt4j_cpu.so")).code());
        assertEquals(3, Errors.classify(new ExceptionInInitializerError(new UnsatisfiedLinkError("x"))).code());
        assertEquals(1, Errors.classify(new UncheckedIOException("cannot write f", new java.io.IOException("disk full")))
                .code());
        assertEquals(1, Errors.classify(new OutOfMemoryError("Java heap space")).code());
        assertTrue(Errors.classify(new NullPointerException()).bug());
    }

    @Test
    void convertIntoAFolderItCannotWriteFailsWithAMessage(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("read-only"));
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        // root writes anywhere it has a mode for: then a sysfs folder stands for the read-only one
        Path out = Files.isWritable(dir) ? Path.of("/sys/kernel/t4j-convert-test") : dir.resolve("converted");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(out.getParent()), "no " + out.getParent());
        Run r = run("convert", "--model", MainTest.FIXTURES.resolve("distilbert-mlm").toString(), "--out", out.toString());
        assertEquals(1, r.status(), r.err());
        assertMessageOnly(r);
        assertTrue(r.err().contains(out.getParent().toString()), r.err());
        assertFalse(Files.exists(out.resolve("model.safetensors")));
    }
}
