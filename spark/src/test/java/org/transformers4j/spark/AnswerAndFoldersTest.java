package org.transformers4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.spark.TestSpark.assertClose;
import static org.transformers4j.spark.TestSpark.collectById;
import static org.transformers4j.spark.TestSpark.cpu;
import static org.transformers4j.spark.TestSpark.floats;
import static org.transformers4j.spark.TestSpark.folder;
import static org.transformers4j.spark.TestSpark.numberedTexts;
import static org.transformers4j.spark.TestSpark.resources;
import static org.transformers4j.spark.TestSpark.scratch;
import static org.transformers4j.spark.TestSpark.spark;
import static org.transformers4j.spark.TestSpark.texts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.EmbeddingModels;
import org.transformers4j.pipeline.QuestionAnswerer;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * Question answering over two columns (DataFrame, SQL) on the bert-qa fixture, each row equal to
 * the library's QuestionAnswerer on its pair, nulls and empty strings included; and embedding
 * with a sentence-transformers folder, whose pooling and normalisation come from the folder as the
 * library reads it.
 */
class AnswerAndFoldersTest {
    static final int ROWS = 24;

    /** bert-qa with a word-level tokenizer over its 1000 ids and BERT's pair template. */
    static synchronized Path qaFolder() throws IOException {
        Path out = scratch().resolve("bert-qa-words");
        if (Files.isDirectory(out)) {
            return out;
        }
        Path src = resources().resolve("fixtures/models/bert-qa");
        Files.createDirectories(out);
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(src.resolve(f), out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        StringBuilder vocab = new StringBuilder("\"[PAD]\":0,\"[CLS]\":1,\"[SEP]\":2");
        for (int i = 3; i < 1000; i++) {
            vocab.append(",\"w").append(i).append("\":").append(i);
        }
        StringBuilder added = new StringBuilder();
        String[] specials = {"[PAD]", "[CLS]", "[SEP]"};
        for (int i = 0; i < specials.length; i++) {
            added.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"content\":\"").append(specials[i])
                    .append("\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,"
                            + "\"special\":true}");
        }
        Files.writeString(out.resolve("tokenizer.json"), "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                + "\"added_tokens\":[" + added + "],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
                + "\"post_processor\":{\"type\":\"BertProcessing\",\"sep\":[\"[SEP]\",2],\"cls\":[\"[CLS]\",1]},"
                + "\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"w3\"}}");
        return out;
    }

    static String words(int n, int seed) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : " ").append('w').append(3 + (seed + 37 * i) % 997);
        }
        return b.toString();
    }

    /** Rows (id, question, context), with null and empty questions and contexts, some contexts long. */
    static List<String[]> pairs() {
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            String q = i % 9 == 4 ? null : i % 10 == 7 ? "" : words(1 + i % 5, i);
            String c = i % 8 == 6 ? null : i % 11 == 2 ? "" : words(5 + 13 * (i % 6), 100 + i);
            out.add(new String[] {q, c});
        }
        return out;
    }

    static Dataset<Row> frame(List<String[]> pairs, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            rows.add(RowFactory.create(i, pairs.get(i)[0], pairs.get(i)[1]));
        }
        StructType schema = new StructType().add("id", DataTypes.IntegerType, false)
                .add("question", DataTypes.StringType, true).add("context", DataTypes.StringType, true);
        return spark().createDataFrame(rows, schema).repartition(partitions).sortWithinPartitions("id");
    }

    @Test
    void answersEqualTheLibrarys() throws IOException {
        Path dir = qaFolder();
        List<String[]> pairs = pairs();
        T4jOptions o = T4jOptions.defaults().withModel(dir.toString()).withBatchSize(3);
        Dataset<Row> out = T4jSpark.answer(frame(pairs, 3), "question", "context", "answer", o);
        assertEquals(List.of("id", "question", "context", "answer", "answer_error"), List.of(out.columns()));
        List<Row> rows = collectById(out, ROWS);
        T4jSpark.register(spark(), Task.ANSWER, o);
        frame(pairs, 2).createOrReplaceTempView("qa");
        List<Row> sql = collectById(spark().sql("SELECT id, t4j_answer(question, context) AS a, "
                + "t4j_answer_result(question, context) AS r FROM qa"), ROWS);
        int answered = 0;
        try (QuestionAnswerer lib = new QuestionAnswerer(ModelRegistry.loadEncoder(dir, cpu()),
                Tokenizer.inDirectory(dir))) {
            for (int i = 0; i < ROWS; i++) {
                String q = pairs.get(i)[0], c = pairs.get(i)[1];
                Row r = rows.get(i);
                if (q == null || c == null) {
                    assertTrue(r.isNullAt(3) && r.isNullAt(4) && sql.get(i).isNullAt(1), "row " + i);
                    continue;
                }
                QuestionAnswerer.Answer want;
                try {
                    want = lib.answer(q, c).get(0);
                } catch (IllegalArgumentException refused) {
                    assertTrue(r.isNullAt(3) && sql.get(i).isNullAt(1), "row " + i);
                    assertEquals(refused.getMessage(), r.getString(4), "row " + i);
                    assertEquals(refused.getMessage(), sql.get(i).getStruct(2).getString(1), "row " + i);
                    continue;
                }
                for (Row have : List.of(r.getStruct(3), sql.get(i).getStruct(1), sql.get(i).getStruct(2).getStruct(0))) {
                    assertEquals(List.of(want.answer(), want.start(), want.end()),
                            List.of(have.getString(0), have.getInt(2), have.getInt(3)), "row " + i);
                    assertEquals(want.score(), have.getDouble(1), 1e-5, "row " + i);
                }
                assertNull(r.get(4), "row " + i);
                answered++;
            }
        }
        assertTrue(answered >= ROWS / 2, "answered " + answered);
        assertEquals(1, T4jSpark.modelLoads(Task.ANSWER, dir.toString()), "one model for the jobs and SQL");
    }

    @Test
    void questionAnsweringNeedsTwoColumns() throws IOException {
        Path dir = qaFolder();
        T4jOptions o = T4jOptions.defaults().withModel(dir.toString());
        var e = assertThrows(IllegalArgumentException.class,
                () -> T4jSpark.apply(frame(pairs(), 1), Task.ANSWER, "question", "a", o));
        assertTrue(e.getMessage().contains("T4jSpark.answer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new T4jTransformer().setTask("answer"));
        assertTrue(e.getMessage().contains("t4j_answer(question, context)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> T4jSpark.answer(frame(pairs(), 1), "question", "question", "a", o));
        assertTrue(e.getMessage().contains("two columns"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> T4jSpark.answer(frame(pairs(), 1), "question", "nope", "a", o));
        assertTrue(e.getMessage().contains("input column nope"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> T4jSpark.answer(frame(pairs(), 1), "question",
                "context", "a", T4jOptions.defaults().withModel(folder("bert-mlm").toString())));
        assertTrue(e.getMessage().contains("ForQuestionAnswering"), e.getMessage());
    }

    /** bert-mlm as a sentence-transformers folder: CLS pooling, then Normalize. */
    static Path clsFolder() throws IOException {
        return clsFolder("bert-mlm-st-cls", "");
    }

    /** The same with the Transformer module in a subfolder (transformer: its path, "" for the folder itself). */
    static synchronized Path clsFolder(String name, String transformer) throws IOException {
        Path src = folder("bert-mlm");
        Path out = scratch().resolve(name);
        if (Files.isDirectory(out)) {
            return out;
        }
        Files.createDirectories(out.resolve("1_Pooling"));
        Files.createDirectories(out.resolve("2_Normalize"));
        Files.createDirectories(out.resolve(transformer));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            Files.copy(src.resolve(f), out.resolve(transformer).resolve(f));
        }
        Files.writeString(out.resolve("modules.json"), "[{\"idx\":0,\"name\":\"0\",\"path\":\"" + transformer
                + "\",\"type\":"
                + "\"sentence_transformers.models.Transformer\"},{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\","
                + "\"type\":\"sentence_transformers.models.Pooling\"},{\"idx\":2,\"name\":\"2\",\"path\":"
                + "\"2_Normalize\",\"type\":\"sentence_transformers.models.Normalize\"}]");
        Files.writeString(out.resolve("1_Pooling/config.json"), "{\"word_embedding_dimension\": 48, "
                + "\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}");
        return out;
    }

    @Test
    void aTransformerModuleInASubfolderIsFoundOnTheDriverToo() throws IOException {
        Path dir = clsFolder("bert-mlm-st-sub", "0_Transformer");
        List<String> texts = List.of("t5 t6 t7", "t8 t9 t10 t11 t12");
        List<Row> rows = collectById(T4jSpark.embed(texts(texts, 2), "text", "e",
                T4jOptions.defaults().withModel(dir.toString())), 2);
        try (SentenceEmbedder lib = EmbeddingModels.load(dir, cpu())) {
            for (int i = 0; i < 2; i++) {
                assertClose(lib.embed(texts.get(i)), floats(rows.get(i), "e"), 1e-5, "row " + i);
            }
        }
    }

    @Test
    void aSentenceTransformersFolderEmbedsWithItsPooling() throws IOException {
        Path dir = clsFolder();
        List<String> texts = numberedTexts(ROWS);
        List<Row> rows = collectById(T4jSpark.embed(texts(texts, 3), "text", "e",
                T4jOptions.defaults().withModel(dir.toString()).withBatchSize(4)), ROWS);
        int differ = 0;
        try (SentenceEmbedder lib = EmbeddingModels.load(dir, cpu());
             SentenceEmbedder mean = new SentenceEmbedder(ModelRegistry.loadEncoder(dir, cpu()),
                     Tokenizer.inDirectory(dir), true)) {
            for (int i = 0; i < ROWS; i++) {
                String text = texts.get(i);
                if (text == null || text.isEmpty()) {
                    assertTrue(rows.get(i).isNullAt(2), "row " + i);
                    continue;
                }
                float[] have = floats(rows.get(i), "e");
                assertClose(lib.embed(text), have, 1e-5, "row " + i);
                float[] m = mean.embed(text);
                double gap = 0;
                for (int k = 0; k < m.length; k++) {
                    gap = Math.max(gap, Math.abs(m[k] - have[k]));
                }
                differ += gap > 1e-3 ? 1 : 0;
            }
        }
        assertTrue(differ > 0, "CLS pooling gave what mean pooling gives");
    }
}
