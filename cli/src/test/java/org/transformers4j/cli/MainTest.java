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
        for (String m : new String[] {"bert-mlm", "bert-seqcls", "bert-tokcls", "roberta-mlm", "distilbert-mlm",
            "electra-disc", "modernbert-mlm", "bert-qa"}) {
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
    void timeMeasuresAnEncoderPassOrADecodersGeneration() {
        Run pass = run("time", "--model", FIXTURES.resolve("bert-mlm").toString(), "--batch", "2", "--seq", "5",
                "--runs", "2", "--warmup", "0", "--json");
        assertEquals(0, pass.status(), pass.err());
        var p = com.google.gson.JsonParser.parseString(pass.out().strip()).getAsJsonObject();
        assertEquals(2, p.get("batch").getAsInt());
        assertTrue(p.get("median_ms").getAsDouble() > 0, pass.out());

        Run gen = run("time", "--model", FIXTURES.resolve("gpt2").toString(), "--generate", "7", "--batch", "3",
                "--seq", "4", "--runs", "2", "--warmup", "0", "--json");
        assertEquals(0, gen.status(), gen.err());
        var g = com.google.gson.JsonParser.parseString(gen.out().strip()).getAsJsonObject();
        assertEquals(7, g.get("new_tokens").getAsInt()); // exactly: the command checks each row's count itself
        assertEquals(3 * 7 * 1000.0 / g.get("median_ms").getAsDouble(), g.get("new_tokens_per_s").getAsDouble(), 1e-6);

        Run encoder = run("time", "--model", FIXTURES.resolve("bert-mlm").toString(), "--generate", "2");
        assertEquals(2, encoder.status(), encoder.err());
        assertTrue(encoder.err().contains("decoder-only"), encoder.err());
        Run tooLong = run("time", "--model", FIXTURES.resolve("gpt2").toString(), "--generate", "64", "--seq", "8");
        assertEquals(2, tooLong.status(), tooLong.err());
        assertTrue(tooLong.err().contains("--generate 64") && tooLong.err().contains("positions"), tooLong.err());
        Run tooMany = run("time", "--model", "m", "--generate", "896", "--batch", "8192", "--seq", "128");
        assertEquals(2, tooMany.status(), tooMany.err()); // 8 Mi cached positions: refused before anything loads
        assertTrue(tooMany.err().contains("cached positions"), tooMany.err());
    }

    @Test
    void verifyCoversDecoderFixturesWithTheirGeneratedTokens() throws IOException {
        for (String m : new String[] {"gpt2", "gpt-neo", "llama", "qwen2", "gemma", "phi3"}) {
            Path dir = FIXTURES.resolve(m);
            Run r = run("verify", "--model", dir.toString(), "--reference", dir.resolve("reference.safetensors").toString());
            assertEquals(0, r.status(), r.out());
            assertTrue(r.out().contains("logits") && r.out().contains("generate.greedy      16 of 16 new tokens identical")
                    && r.out().contains("generate.beam3       24 of 24"), r.out());
        }
    }

    /** Decoder-only classifiers verify as encoders: hidden states and the pooled labels (references of fixtures/ported). */
    @Test
    void verifyCoversDecoderSequenceClassifiers() throws IOException {
        for (String m : new String[] {"qwen2-seqcls", "gemma-seqcls"}) {
            Path dir = FIXTURES.resolveSibling("ported").resolve(m);
            Run r = run("verify", "--model", dir.toString(), "--reference", dir.resolve("reference.safetensors").toString());
            assertEquals(0, r.status(), r.out());
            assertTrue(r.out().contains("logits") && r.out().contains("hidden_states.3")
                    && r.out().contains("all outputs within"), r.out());
        }
    }

    @Test
    void verifyCoversEncoderDecoderFixtures() throws IOException {
        for (String m : new String[] {"bart", "t5", "t5-gated", "marian", "mbart", "pegasus"}) {
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

    /**
     * Linear layers in int8 (GPT-2's Conv1D weights turned output channels first): a smaller file,
     * loaded in place by --dtype int8, the same top-1 logits.
     */
    @Test
    void convertWritesInt8Matrices(@TempDir Path tmp) throws IOException {
        Path src = FIXTURES.resolve("gpt2"), out = tmp.resolve("int8");
        assertEquals(0, run("convert", "--model", src.toString(), "--out", out.toString(), "--dtype", "int8").status());
        long before = Files.size(src.resolve("model.safetensors")), after = Files.size(out.resolve("model.safetensors"));
        assertTrue(after < 0.9 * before, "int8 file " + after + " bytes against " + before);
        Run r = run("verify", "--model", out.toString(), "--reference", src.resolve("reference.safetensors").toString(),
                "--dtype", "int8");
        assertTrue(r.out().contains("top-1 agrees at 100.0%"), r.out() + r.err());
        r = run("verify", "--model", src.toString(), "--reference", src.resolve("reference.safetensors").toString(),
                "--dtype", "bf16", "--compute", "bf16");
        assertTrue(r.out().contains("top-1 agrees at 100.0%"), r.out());
        r = run("verify", "--model", src.toString(), "--reference", src.resolve("reference.safetensors").toString(),
                "--dtype", "f32", "--compute", "bf16");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("compute type BF16 does not go with F32 weights"), r.err());
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
        assertTrue(r.err().contains("Invalid value for option '--dtype': must be f32, f16, bf16 or int8, got 'f8'"), r.err());
    }
}
