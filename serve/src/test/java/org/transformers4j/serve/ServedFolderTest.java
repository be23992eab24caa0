package org.transformers4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.pipeline.EmbeddingModels;
import org.transformers4j.pipeline.EmbeddingOptions;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.scheduler.SchedulerOptions;

/**
 * A sentence-transformers folder served: its pooling, prompt and length as the library's
 * embedder applies them; OpenAI's /v1/embeddings normalised, TEI's /embed as asked.
 */
class ServedFolderTest {
    @TempDir
    Path dir;

    /** bert-mlm with CLS pooling, a Normalize module, a default prompt "t5 " and at most 4 tokens. */
    Path stFolder() throws Exception {
        Path resources = Path.of(System.getProperty("t4j.test.resources", "../java/src/test/resources"));
        Path src = resources.resolve("fixtures/models/bert-mlm"), out = Files.createDirectories(dir.resolve("st"));
        Files.copy(src.resolve("config.json"), out.resolve("config.json"));
        Files.copy(src.resolve("model.safetensors"), out.resolve("model.safetensors"));
        Files.copy(resources.resolve("tokenizers/numbered-1000.json"), out.resolve("tokenizer.json"));
        Files.writeString(out.resolve("modules.json"), "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\":"
                + " \"sentence_transformers.models.Transformer\"}, {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\","
                + " \"type\": \"sentence_transformers.models.Pooling\"}, {\"idx\": 2, \"name\": \"2\", \"path\":"
                + " \"2_Normalize\", \"type\": \"sentence_transformers.models.Normalize\"}]");
        Files.writeString(Files.createDirectories(out.resolve("1_Pooling")).resolve("config.json"),
                "{\"word_embedding_dimension\": 48, \"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}");
        Files.writeString(out.resolve("sentence_bert_config.json"), "{\"max_seq_length\": 4, \"do_lower_case\": false}");
        Files.writeString(out.resolve("config_sentence_transformers.json"),
                "{\"prompts\": {\"query\": \"t5 \"}, \"default_prompt_name\": \"query\"}");
        return out;
    }

    static float[][] vectors(JsonArray rows) {
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonArray row = rows.get(i).isJsonObject() ? rows.get(i).getAsJsonObject().getAsJsonArray("embedding")
                    : rows.get(i).getAsJsonArray();
            out[i] = new float[row.size()];
            for (int k = 0; k < out[i].length; k++) {
                out[i][k] = row.get(k).getAsFloat();
            }
        }
        return out;
    }

    static void assertClose(float[] want, float[] have) {
        assertEquals(want.length, have.length);
        for (int k = 0; k < want.length; k++) {
            assertEquals(want[k], have[k], 1e-6, "component " + k);
        }
    }

    @Test
    void servesTheFoldersPoolingPromptAndLength() throws Exception {
        Path st = stFolder();
        List<String> texts = List.of("t7 t8", "t9 t10 t11 t12 t13 t14"); // the second cut to 4 tokens with the prompt
        try (CpuBackend cpu = CpuBackend.create()) {
            float[][] normalised, raw;
            try (SentenceEmbedder e = EmbeddingModels.load(st, cpu)) {
                normalised = e.embed(texts);
            }
            try (SentenceEmbedder e = EmbeddingModels.load(st, cpu, EmbeddingOptions.defaults().withNormalize(false))) {
                raw = e.embed(texts);
            }
            T4jServer server = T4jServer.start(List.of(ServedModel.load("st", st, cpu, SchedulerOptions.defaults())),
                    ServerOptions.defaults().withPort(0));
            try {
                String base = "http://127.0.0.1:" + server.port();
                HttpResponse<String> openAi = post(base + "/v1/embeddings", "{\"model\": \"st\", \"input\": [\"t7 t8\","
                        + " \"t9 t10 t11 t12 t13 t14\"]}");
                assertEquals(200, openAi.statusCode(), openAi.body());
                var body = JsonParser.parseString(openAi.body()).getAsJsonObject();
                float[][] v = vectors(body.getAsJsonArray("data"));
                assertClose(normalised[0], v[0]);
                assertClose(normalised[1], v[1]);
                assertEquals(3 + 4, body.getAsJsonObject("usage").get("prompt_tokens").getAsInt(),
                        "the prompt's token counted, the long text cut to 4");
                HttpResponse<String> tei = post(base + "/embed", "{\"inputs\": [\"t7 t8\", \"t9 t10 t11 t12 t13 t14\"],"
                        + " \"normalize\": false}");
                assertEquals(200, tei.statusCode(), tei.body());
                float[][] w = vectors(JsonParser.parseString(tei.body()).getAsJsonArray());
                assertClose(raw[0], w[0]);
                assertClose(raw[1], w[1]);
            } finally {
                server.stop();
            }
        }
    }

    static HttpResponse<String> post(String url, String json) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
