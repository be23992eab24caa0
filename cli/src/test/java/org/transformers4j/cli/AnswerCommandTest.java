package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.cli.MainTest.run;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.cli.MainTest.Run;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.QuestionAnswerer;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * t4j answer on the bert-qa fixture with a word-level BERT tokenizer: the answers of the
 * QuestionAnswerer pipeline, as text or JSON lines, with the window and selection options passed
 * through, and bad options refused as usage errors.
 */
class AnswerCommandTest {
    static final String QUESTION = "w17 w230 w5";
    static final String CONTEXT = "w428 w603 w230 w127 w522 w99 w613 w77 w801 w356 w12 w940 w530 w61 w205 w888 w17"
            + " w702 w410 w33 w66 w914 w250 w251 w252 w253 w254 w255 w256 w257 w258 w259 w260 w261 w262 w263 w264"
            + " w265 w266 w267 w268 w269 w270 w271 w272 w273 w274 w275 w276 w277 w278 w279 w280";

    @Test
    void printsThePipelinesAnswers(@TempDir Path tmp) throws IOException {
        Path dir = JsonOutputTest.withBertTokenizer(tmp, "bert-qa");
        List<QuestionAnswerer.Answer> want;
        try (CpuBackend cpu = CpuBackend.create(); QuestionAnswerer qa = new QuestionAnswerer(
                ModelRegistry.loadEncoder(dir, cpu), Tokenizer.inDirectory(dir), 40, 10)) {
            want = qa.answer(QUESTION, CONTEXT, new QuestionAnswerer.Options(3, 4, true));
        }
        assertEquals(3, want.size());
        Run r = run("answer", "--model", dir.toString(), "--question", QUESTION, "--context", CONTEXT, "--top-k", "3",
                "--max-answer-len", "4", "--handle-impossible-answer", "--max-seq-len", "40", "--doc-stride", "10");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.out());
        for (int i = 0; i < 3; i++) {
            var a = want.get(i);
            assertEquals(String.format(Locale.ROOT, "%.4f  [%d, %d)  %s", a.score(), a.start(), a.end(), a.answer()),
                    lines.get(i));
        }
        List<JsonObject> json = JsonOutputTest.json("answer", "--json", "--model", dir.toString(), "--question",
                QUESTION, "--context", CONTEXT, "--top-k", "3", "--max-answer-len", "4", "--handle-impossible-answer",
                "--max-seq-len", "40", "--doc-stride", "10");
        for (int i = 0; i < 3; i++) {
            var a = want.get(i);
            assertEquals(a.answer(), json.get(i).get("answer").getAsString());
            assertEquals(a.start(), json.get(i).get("start").getAsInt());
            assertEquals(a.end(), json.get(i).get("end").getAsInt());
            assertEquals(a.score(), json.get(i).get("score").getAsDouble(), 1e-12);
            assertEquals(CONTEXT.substring(a.start(), a.end()), a.answer());
        }
        Run one = run("answer", "--model", dir.toString(), "--question", QUESTION, "--context", CONTEXT);
        assertEquals(0, one.status(), one.err());
        assertEquals(1, one.out().lines().count(), one.out());
    }

    @Test
    void badOptionsAreUsageErrors(@TempDir Path tmp) throws IOException {
        Path dir = JsonOutputTest.withBertTokenizer(tmp, "bert-qa");
        String[][] bad = {{"--top-k", "0"}, {"--max-answer-len", "0"}, {"--max-seq-len", "65"},
            {"--doc-stride", "500"}};
        String[] messages = {"--top-k must be between 1", "--max-answer-len must be between 1",
            "--max-seq-len must be between 1 and 64", "--doc-stride must be between 0"};
        for (int i = 0; i < bad.length; i++) {
            Run r = run("answer", "--model", dir.toString(), "--question", QUESTION, "--context", CONTEXT, bad[i][0],
                    bad[i][1]);
            assertEquals(2, r.status(), String.join(" ", bad[i]) + ": " + r.err());
            assertTrue(r.err().contains(messages[i]), r.err());
        }
        Run empty = run("answer", "--model", dir.toString(), "--question", "", "--context", CONTEXT);
        assertEquals(2, empty.status(), empty.err());
        assertTrue(empty.err().contains("--question and --context must not be empty"), empty.err());
        // a question that leaves no room for the context in a window
        Run r = run("answer", "--model", dir.toString(), "--question", CONTEXT + " " + CONTEXT, "--context", "w5 w6");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("leaving none of the 64"), r.err());
        Run noModel = run("answer", "--model", tmp.resolve("absent").toString(), "--question", "w5", "--context", "w6");
        assertTrue(noModel.status() != 0 && !noModel.err().contains("\tat "), noModel.err());
        Run mlm = run("answer", "--model", JsonOutputTest.withBertTokenizer(tmp, "bert-mlm").toString(), "--question",
                "w5", "--context", "w6 w7");
        assertEquals(2, mlm.status(), mlm.err());
        assertTrue(mlm.err().contains("has head MASKED_LM"), mlm.err());
    }
}
