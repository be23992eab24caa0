package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.cli.MainTest.run;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.cli.MainTest.Run;

/** --json on every command that prints results: one JSON object per line, the same results as the text. */
class JsonOutputTest {
    /** Runs the command, checks it succeeded, and parses each line of its output as a JSON object. */
    static List<JsonObject> json(String... args) {
        Run r = run(args);
        assertEquals(0, r.status(), String.join(" ", args) + "\n" + r.err());
        assertTrue(r.out().isEmpty() || r.out().endsWith("\n"), r.out());
        return r.out().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
    }

    /** An encoder fixture with a word-level tokenizer: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4, w5 .. w999. */
    static Path withBertTokenizer(Path tmp, String model) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(model));
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(MainTest.FIXTURES.resolve(model).resolve(f), dir.resolve(f));
        }
        List<String> special = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
        String vocab = IntStream.range(0, 1000).mapToObj(i -> "\"" + (i < 5 ? special.get(i) : "w" + i) + "\":" + i)
                .collect(Collectors.joining(","));
        String added = IntStream.range(0, 5).mapToObj(i -> "{\"id\":" + i + ",\"content\":\"" + special.get(i)
                + "\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}")
                .collect(Collectors.joining(","));
        String cls = "{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}}", sep = "{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}}";
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                + "\"added_tokens\":[" + added + "],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
                + "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[" + cls
                + ",{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}," + sep + "],\"pair\":[" + cls
                + ",{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}," + sep + ",{\"Sequence\":{\"id\":\"B\",\"type_id\":1}},"
                + "{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":1}}],\"special_tokens\":{"
                + "\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[2],\"tokens\":[\"[CLS]\"]},"
                + "\"[SEP]\":{\"id\":\"[SEP]\",\"ids\":[3],\"tokens\":[\"[SEP]\"]}}},\"decoder\":null,"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"[UNK]\"}}");
        return dir;
    }

    @Test
    void similarityRanksAsTheTextDoes() {
        List<JsonObject> lines = json("similarity", "--json", "How do transformers work?", "A recipe for paella",
                "What is attention?");
        assertEquals(2, lines.size());
        assertEquals("What is attention?", lines.get(0).get("text").getAsString());
        assertEquals("How do transformers work?", lines.get(0).get("query").getAsString());
        assertTrue(lines.get(0).get("score").getAsDouble() > lines.get(1).get("score").getAsDouble());
        String text = run("similarity", "How do transformers work?", "A recipe for paella", "What is attention?").out();
        assertTrue(text.contains(String.format(java.util.Locale.ROOT, "%.4f  What is attention?",
                lines.get(0).get("score").getAsDouble())), text);
    }

    @Test
    void embedWritesJsonWithOrWithoutTheFlag() {
        List<JsonObject> lines = json("embed", "--json", "a", "b");
        assertEquals(2, lines.size());
        assertEquals(384, lines.get(1).getAsJsonArray("embedding").size());
        assertEquals(run("embed", "a", "b").out(), run("embed", "--json", "a", "b").out());
    }

    @Test
    void verifyGivesALinePerTensorAndAVerdict() {
        Path dir = MainTest.FIXTURES.resolve("gpt2");
        List<JsonObject> lines = json("verify", "--json", "--model", dir.toString(), "--reference",
                dir.resolve("reference.safetensors").toString());
        assertTrue(lines.stream().anyMatch(l -> l.has("tensor") && l.get("tensor").getAsString().equals("logits")
                && l.get("max_relative_error").getAsDouble() < 1e-4), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.has("tensor") && l.get("tensor").getAsString().equals("generate.greedy")
                && l.get("identical_tokens").getAsInt() == 16), lines.toString());
        assertTrue(lines.getLast().get("ok").getAsBoolean(), lines.toString());
    }

    @Test
    void generateAndTranslateGiveTheStreamedText(@TempDir Path tmp) throws IOException {
        String gpt2 = MainTest.withWordTokenizer(tmp, "gpt2").toString();
        List<JsonObject> g = json("generate", "--json", "--model", gpt2, "--max-new-tokens", "4", "w428 w603 w230 w127 w522");
        assertEquals(1, g.size());
        assertEquals("w252 w252 w252 w954", g.get(0).get("text").getAsString().strip());
        assertEquals(4, g.get(0).get("new_tokens").getAsInt());
        String t5 = MainTest.withWordTokenizer(tmp, "t5").toString();
        List<JsonObject> t = json("translate", "--json", "--model", t5, "--max-new-tokens", "3", "w513 w344 w726", "w770 w126");
        List<String> text = run("translate", "--model", t5, "--max-new-tokens", "3", "w513 w344 w726", "w770 w126").out()
                .lines().toList();
        assertEquals(2, t.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(text.get(i).strip(), t.get(i).get("output").getAsString().strip());
        }
        assertEquals("w770 w126", t.get(1).get("text").getAsString());
    }

    @Test
    void convertNamesWhatItWrote(@TempDir Path tmp) {
        Path out = tmp.resolve("converted");
        List<JsonObject> lines = json("convert", "--json", "--model", MainTest.FIXTURES.resolve("bert-mlm").toString(),
                "--out", out.toString());
        assertEquals(1, lines.size());
        assertEquals(out.resolve("model.safetensors").toString(), lines.get(0).get("safetensors").getAsString());
        assertTrue(lines.get(0).get("tensors").getAsInt() > 10);
        assertTrue(Files.isRegularFile(out.resolve("config.json")));
    }

    @Test
    void encoderPipelinesGiveOneObjectPerResult(@TempDir Path tmp) throws IOException {
        List<JsonObject> fill = json("fill-mask", "--json", "--top", "3", "--model",
                withBertTokenizer(tmp, "bert-mlm").toString(), "w10 [MASK] w12 [MASK]");
        assertEquals(6, fill.size());
        assertEquals(1, fill.get(5).get("mask").getAsInt());
        assertTrue(fill.get(0).get("score").getAsDouble() >= fill.get(1).get("score").getAsDouble());

        List<JsonObject> cls = json("classify", "--json", "--model", withBertTokenizer(tmp, "bert-seqcls").toString(),
                "w10 w11", "w500");
        assertEquals(2, cls.size());
        assertEquals(3, cls.get(0).getAsJsonArray("labels").size());
        double sum = 0;
        for (var l : cls.get(1).getAsJsonArray("labels")) {
            sum += l.getAsJsonObject().get("score").getAsDouble();
        }
        assertEquals(1.0, sum, 1e-4);

        Path tokcls = withBertTokenizer(tmp, "bert-tokcls");
        Run text = run("ner", "--model", tokcls.toString(), "w10 w11 w12 w13 w14 w15");
        assertEquals(0, text.status(), text.err());
        List<JsonObject> ner = json("ner", "--json", "--model", tokcls.toString(), "w10 w11 w12 w13 w14 w15");
        assertEquals(text.out().lines().count(), ner.size(), text.out());
        for (JsonObject e : ner) {
            assertTrue(e.get("start").getAsInt() < e.get("end").getAsInt(), e.toString());
        }
    }

    @Test
    void timeAndDemoReportAsObjects() {
        List<JsonObject> time = json("time", "--json", "--model", MainTest.FIXTURES.resolve("bert-mlm").toString(),
                "--batch", "2", "--seq", "8", "--runs", "3", "--warmup", "0");
        assertEquals(1, time.size());
        assertTrue(time.get(0).get("median_ms").getAsDouble() > 0);
        assertEquals("cpu", time.get(0).get("device").getAsString());
        List<JsonObject> demo = json("demo", "--json");
        assertEquals(6, demo.size(), demo.toString());
        assertTrue(demo.getLast().get("ok").getAsBoolean(), demo.toString());
        assertTrue(demo.get(0).get("relative_error").getAsDouble() < 1e-5, demo.toString());
    }
}
