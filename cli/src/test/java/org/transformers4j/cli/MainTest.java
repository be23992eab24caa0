package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The t4j commands, run in-process on the fixtures of the library module and on the default model. */
class MainTest {
    static final Path FIXTURES = Path.of("../java/src/test/resources/fixtures/models");

    /** A command's exit code, standard output and standard error. */
    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        return runWithInput(new ByteArrayInputStream(new byte[0]), args);
    }

    /** Runs t4j in-process with the given standard input. */
    static Run runWithInput(InputStream in, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            int status = Main.run(args, in, o, e);
            return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
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
    void verifyCoversDecoderFixturesWithTheirGeneratedTokens() throws IOException {
        for (String m : new String[] {"gpt2", "gpt-neo", "llama"}) {
            Path dir = FIXTURES.resolve(m);
            Run r = run("verify", "--model", dir.toString(), "--reference", dir.resolve("reference.safetensors").toString());
            assertEquals(0, r.status(), r.out());
            assertTrue(r.out().contains("logits") && r.out().contains("generate.greedy      16 of 16 new tokens identical")
                    && r.out().contains("generate.beam3       24 of 24"), r.out());
        }
    }

    @Test
    void verifyCoversEncoderDecoderFixtures() throws IOException {
        for (String m : new String[] {"bart", "t5", "t5-gated", "marian"}) {
            Path dir = FIXTURES.resolve(m);
            Run r = run("verify", "--model", dir.toString(), "--reference", dir.resolve("reference.safetensors").toString());
            assertEquals(0, r.status(), r.out());
            assertTrue(r.out().contains("encoder_hidden_states.2") && r.out().contains("decoder_hidden_states.2")
                    && r.out().contains("generate.beam3       24 of 24"), r.out());
        }
    }

    @Test
    void translateStreamsOneLinePerText(@TempDir Path tmp) throws IOException {
        Path dir = withWordTokenizer(tmp, "t5");
        Run r = run("translate", "--model", dir.toString(), "--max-new-tokens", "3", "w513 w344 w726", "w770 w126");
        assertEquals(0, r.status(), r.out());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length, r.out());
        for (String line : lines) {
            assertEquals(3, line.strip().split(" ").length, r.out());
        }
        assertEquals(r.out(), run("text2text", "--model", dir.toString(), "--max-new-tokens", "3", "w513 w344 w726",
                "w770 w126").out());
    }

    /** The GPT-2 fixture with a word-level tokenizer "w0" .. "w999" written beside it. */
    static Path gpt2WithTokenizer(Path tmp) throws IOException {
        return withWordTokenizer(tmp, "gpt2");
    }

    /** A fixture model with a word-level tokenizer "w0" .. "w999" written beside it. */
    static Path withWordTokenizer(Path tmp, String model) throws IOException {
        Path dir = tmp.resolve(model);
        Files.createDirectories(dir);
        for (String f : new String[] {"config.json", "model.safetensors", "generation_config.json"}) {
            Files.copy(FIXTURES.resolve(model).resolve(f), dir.resolve(f));
        }
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            vocab.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":").append(i);
        }
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\":\"1.0\",\"truncation\":null,"
                + "\"padding\":null,\"added_tokens\":[],\"normalizer\":null,"
                + "\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"w0\"}}");
        return dir;
    }

    @Test
    void generateStreamsTheGreedyContinuation(@TempDir Path tmp) throws IOException {
        Path dir = gpt2WithTokenizer(tmp);
        Run r = run("generate", "--model", dir.toString(), "--max-new-tokens", "4", "w428 w603 w230 w127 w522");
        assertEquals(0, r.status(), r.out());
        assertEquals("w428 w603 w230 w127 w522w252 w252 w252 w954", r.out().strip());
        Run beams = run("generate", "--model", dir.toString(), "--max-new-tokens", "8", "--beams", "3",
                "w428 w603 w230 w127 w522");
        assertTrue(beams.out().strip().endsWith("w794 w794 w794 w794 w794 w794 w794 w794"), beams.out());
        Run sampled = run("generate", "--model", dir.toString(), "--max-new-tokens", "6", "--seed", "3",
                "--temperature", "1.3", "w428");
        assertEquals(sampled.out(), run("generate", "--model", dir.toString(), "--max-new-tokens", "6", "--seed", "3",
                "--temperature", "1.3", "w428").out());
        Run bad = run("generate", "--model", dir.toString(), "--top-p", "1.5", "w428");
        assertEquals(2, bad.status(), bad.err());
        assertTrue(bad.err().startsWith("t4j: --top-p must be in (0, 1], got 1.5"), bad.err());
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

    /** Matrices in bfloat16: half the file, viewed in place by --dtype bf16, the same top-1 logits. */
    @Test
    void convertWritesBfloat16Matrices(@TempDir Path tmp) throws IOException {
        Path src = FIXTURES.resolve("gpt2"), out = tmp.resolve("bf16");
        assertEquals(0, run("convert", "--model", src.toString(), "--out", out.toString(), "--dtype", "bf16").status());
        long before = Files.size(src.resolve("model.safetensors")), after = Files.size(out.resolve("model.safetensors"));
        assertTrue(after < 0.6 * before, "bfloat16 file " + after + " bytes against " + before);
        Run r = run("verify", "--model", out.toString(), "--reference", src.resolve("reference.safetensors").toString(),
                "--dtype", "bf16");
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("top-1 agrees at 100.0%"), r.out());
    }

    @Test
    void badArgumentsAreNamed() {
        Run r = run("verify", "--model", "x");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("Missing required option: '--reference=FILE'"), r.err());
        r = run("frobnicate");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("unknown command 'frobnicate'"), r.err());
        r = run("similarity", "only one");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("at least one"), r.err());
        r = run("verify", "--model", "x", "--reference", "y", "--dtype", "f8");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("Invalid value for option '--dtype': must be f32, f16 or bf16, got 'f8'"), r.err());
    }
}
