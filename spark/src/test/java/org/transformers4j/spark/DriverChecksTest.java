package org.transformers4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.spark.SqlFunctionsTest.messages;
import static org.transformers4j.spark.TestSpark.folder;
import static org.transformers4j.spark.TestSpark.scratch;
import static org.transformers4j.spark.TestSpark.texts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * A missing or wrong model, wrong columns and bad settings fail on the driver when the operation
 * is defined, with the library's messages, before any task runs; a failing row fails the job with
 * onError fail; and a folder the driver is told not to check fails in the tasks with the same
 * message.
 */
class DriverChecksTest {
    static final Dataset<Row> DOCS = texts(List.of("t5 t6", "", "t7"), 2);

    static String refusal(Task task, T4jOptions options) {
        return assertThrows(RuntimeException.class, () -> T4jSpark.apply(DOCS, task, "text", "out", options))
                .getMessage();
    }

    /** The message the library itself gives for what call does. */
    static String library(Executable call) {
        return assertThrows(RuntimeException.class, call).getMessage();
    }

    static Path without(String fixture, String file) throws Exception {
        Path dir = scratch().resolve(fixture + "-without-" + file);
        Files.createDirectories(dir);
        try (var files = Files.list(folder(fixture))) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals(file)) {
                    Files.copy(f, dir.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return dir;
    }

    @Test
    void aMissingOrIncompleteModelFailsAtOnceWithTheLibrarysMessage() throws Exception {
        Path nowhere = scratch().resolve("no-such-model");
        assertTrue(refusal(Task.EMBED, T4jOptions.defaults().withModel(nowhere.toString()))
                .contains(nowhere + " is not a folder on the driver"));
        Path noTokenizer = without("bert-mlm", "tokenizer.json");
        assertEquals(library(() -> Tokenizer.inDirectory(noTokenizer)),
                refusal(Task.EMBED, T4jOptions.defaults().withModel(noTokenizer.toString())));
        Path noWeights = without("bert-mlm", "model.safetensors");
        var e = assertThrows(CheckpointException.class, () -> T4jSpark.embed(DOCS, "text", "v",
                T4jOptions.defaults().withModel(noWeights.toString())));
        assertEquals(library(() -> Checkpoints.open(noWeights)), e.getMessage());
        assertTrue(e.getMessage().startsWith(noWeights + ": no model.safetensors"), e.getMessage());
        Path noConfig = without("bert-mlm", "config.json");
        assertEquals(library(() -> ModelConfig.read(noConfig.resolve("config.json"))),
                refusal(Task.EMBED, T4jOptions.defaults().withModel(noConfig.toString())));
        assertEquals(0, T4jSpark.modelLoads(Task.EMBED, noWeights.toString()));
    }

    @Test
    void aModelOfTheWrongKindOrHeadIsRefused() {
        String gpt2 = folder("gpt2").toString();
        assertTrue(refusal(Task.CLASSIFY, T4jOptions.defaults().withModel(gpt2))
                .contains("task classify needs an encoder model; config.json describes an decoder-only model"));
        assertTrue(refusal(Task.CLASSIFY, T4jOptions.defaults().withModel(folder("bert-mlm").toString()))
                .contains("needs a *ForSequenceClassification architecture; config.json names BertForMaskedLM"));
        assertTrue(refusal(Task.GENERATE, T4jOptions.defaults()).contains("the default model (all-MiniLM-L6-v2) only embeds"));
        assertTrue(refusal(Task.GENERATE, T4jOptions.defaults().withModel(gpt2).withNumBeams(2).withDoSample(true))
                .contains("beam search with sampling is not supported"));
    }

    @Test
    void columnsAreChecked() {
        T4jOptions o = T4jOptions.defaults();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> T4jSpark.embed(DOCS, "body", "v", o))
                .getMessage().contains("input column body is not among the columns [id, text]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> T4jSpark.embed(DOCS, "id", "v", o))
                .getMessage().contains("input column id must be a string, it is int"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> T4jSpark.embed(DOCS, "text", "id", o))
                .getMessage().contains("output column id must be a new column name"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> T4jSpark.embed(DOCS, "text", "v", o.withErrorCol("id")))
                .getMessage().contains("error column id must be a new column name"));
    }

    @Test
    void onErrorFailFailsTheJobWithTheRowsMessage() {
        T4jOptions o = T4jOptions.defaults().withModel(folder("bert-mlm").toString()).withOnError(T4jOptions.OnError.FAIL);
        Dataset<Row> out = T4jSpark.embed(DOCS, "text", "v", o);
        assertEquals(List.of("id", "text", "v"), List.of(out.columns()), "no error column");
        Exception e = assertThrows(Exception.class, out::collectAsList);
        assertTrue(messages(e).matches("(?s).*embed failed on row \\d of partition \\d \\(text \"\"\\): "
                + Runners.NO_TOKENS + ".*"), messages(e));
    }

    @Test
    void aFolderNotCheckedOnTheDriverFailsInTheTasks() throws Exception {
        Path noWeights = without("bert-seqcls", "model.safetensors");
        Dataset<Row> out = T4jSpark.classify(DOCS, "text", "v",
                T4jOptions.defaults().withModel(noWeights.toString()).withCheckOnDriver(false));
        Exception e = assertThrows(Exception.class, out::collectAsList);
        assertTrue(messages(e).contains(noWeights + ": no model.safetensors"), messages(e));
    }
}
