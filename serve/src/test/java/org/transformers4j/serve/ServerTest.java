package org.transformers4j.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.pipeline.TextGenerator;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.scheduler.BatchScheduler;
import org.transformers4j.scheduler.Embedding;
import org.transformers4j.scheduler.SchedulerOptions;
import org.transformers4j.scheduler.Schedulers;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * The server on a free port with three fixture models (an embedding, a classification and a
 * generation model), talked to by real clients: the OpenAI Java SDK, langchain4j's OpenAI
 * embedding model, and plain java.net.http for TEI's routes and the errors. Every answer is
 * compared with what the library gives in-process.
 */
class ServerTest {
    @TempDir
    static Path dir;
    static Backend cpu;
    static T4jServer server;
    static String base;
    // HTTP/1.1 as the server speaks it: the default (HTTP/2 over cleartext, by upgrade) may hold a
    // second request to a new origin until the first, which a test keeps waiting, is answered
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** A model folder as `t4j serve --model` takes it: a fixture's files and a test tokenizer. */
    static Path folder(String fixture, String tokenizer) throws Exception {
        Path resources = Path.of(System.getProperty("t4j.test.resources", "../java/src/test/resources"));
        Path src = resources.resolve("fixtures/models/" + fixture), out = dir.resolve(fixture);
        Files.createDirectories(out);
        for (String f : List.of("config.json", "model.safetensors", "generation_config.json")) {
            if (Files.exists(src.resolve(f))) {
                Files.copy(src.resolve(f), out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.copy(resources.resolve("tokenizers/" + tokenizer), out.resolve("tokenizer.json"),
                StandardCopyOption.REPLACE_EXISTING);
        return out;
    }

    @BeforeAll
    static void start() throws Exception {
        cpu = CpuBackend.create();
        SchedulerOptions scheduling = SchedulerOptions.defaults().withMaxRows(4).withMaxQueued(64);
        List<ServedModel> models = List.of(
                ServedModel.load("bert", folder("bert-mlm", "numbered-1000.json"), cpu, scheduling),
                ServedModel.load("seqcls", folder("bert-seqcls", "numbered-1000.json"), cpu, scheduling),
                ServedModel.load("gpt2", folder("gpt2", "numbered-1000.json"), cpu, scheduling));
        server = T4jServer.start(models, ServerOptions.defaults().withPort(0).withMaxInputs(8).withMaxBodyBytes(1 << 16));
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
        cpu.close();
    }

    static OpenAIClient openAi() {
        return OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("unused").maxRetries(0).build();
    }

    static float[] libraryEmbedding(String text) throws Exception {
        try (SentenceEmbedder e = new SentenceEmbedder(ModelRegistry.loadEncoder(dir.resolve("bert-mlm"), cpu),
                Tokenizer.inDirectory(dir.resolve("bert-mlm")), true)) {
            return e.embed(text);
        }
    }

    static void assertClose(float[] want, List<? extends Number> have) {
        assertEquals(want.length, have.size());
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], have.get(i).floatValue(), 1e-6, "component " + i);
        }
    }

    @Test
    void embeddingsThroughTheOpenAiSdkInFloatAndBase64() throws Exception {
        OpenAIClient client = openAi();
        for (var format : List.of(EmbeddingCreateParams.EncodingFormat.FLOAT, EmbeddingCreateParams.EncodingFormat.BASE64)) {
            CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder().model("bert")
                    .inputOfArrayOfStrings(List.of("t5 t6 t7", "t8")).encodingFormat(format).build());
            assertEquals(2, r.data().size());
            assertClose(libraryEmbedding("t5 t6 t7"), r.data().get(0).embedding());
            assertClose(libraryEmbedding("t8"), r.data().get(1).embedding());
            assertEquals(1, r.data().get(1).index());
            assertEquals(3 + 1, r.usage().promptTokens(), "tokens of both inputs (no special tokens in this tokenizer)");
        }
    }

    @Test
    void embeddingsThroughLangchain4j() throws Exception {
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().baseUrl(base + "/v1").apiKey("unused")
                .modelName("bert").maxRetries(0).build();
        var response = model.embedAll(List.of(TextSegment.from("t11 t12"), TextSegment.from("t13 t14 t15")));
        assertArrayEquals(libraryEmbedding("t11 t12"), response.content().get(0).vector(), 1e-6f);
        assertArrayEquals(libraryEmbedding("t13 t14 t15"), response.content().get(1).vector(), 1e-6f);
    }

    /** Settings relative to a pipeline's defaults. */
    @FunctionalInterface
    interface GenerationConfigFn {
        GenerationConfig apply(GenerationConfig defaults);
    }

    static List<String> libraryCompletion(String prompt, GenerationConfigFn cfg) {
        try (TextGenerator g = TextGenerator.load(dir.resolve("gpt2"), cpu)) {
            List<String> out = new ArrayList<>();
            g.generate(List.of(prompt), cfg.apply(g.defaults()), null).get(0).forEach(x -> out.add(x.text()));
            return out;
        }
    }

    @Test
    void completionsThroughTheOpenAiSdkPlainAndStreamed() {
        OpenAIClient client = openAi();
        List<String> greedy = libraryCompletion("t5 t6 t7", d -> d.withMaxNewTokens(12).withoutSampling());
        Completion c = client.completions().create(CompletionCreateParams.builder().model("gpt2").prompt("t5 t6 t7")
                .maxTokens(12).temperature(0).build());
        assertEquals(greedy.get(0), c.choices().get(0).text());
        assertEquals(3, c.usage().orElseThrow().promptTokens());

        StringBuilder streamed = new StringBuilder();
        String finish = null;
        try (StreamResponse<Completion> s = client.completions().createStreaming(CompletionCreateParams.builder()
                .model("gpt2").prompt("t5 t6 t7").maxTokens(12).temperature(0).build())) {
            for (Completion chunk : (Iterable<Completion>) s.stream()::iterator) {
                for (var choice : chunk.choices()) {
                    streamed.append(choice.text());
                    if (!choice._finishReason().isMissing() && !choice._finishReason().isNull()) {
                        finish = choice.finishReason().toString();
                    }
                }
            }
        }
        assertEquals(greedy.get(0), streamed.toString());
        assertTrue(finish != null, "the last chunk has a finish reason");

        List<String> sampled = libraryCompletion("t9", d -> d.withMaxNewTokens(8).withSampling(0.7, 0, 0.9).withSeed(42)
                .withNumReturnSequences(2));
        Completion two = client.completions().create(CompletionCreateParams.builder().model("gpt2").prompt("t9")
                .maxTokens(8).temperature(0.7).topP(0.9).seed(42).n(2).build());
        assertEquals(sampled, two.choices().stream().map(x -> x.text()).toList());
    }

    static HttpResponse<String> post(String path, String json) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void teiEmbedAndPredict() throws Exception {
        HttpResponse<String> r = post("/embed", "{\"inputs\": [\"t5 t6 t7\", \"t8\"]}");
        assertEquals(200, r.statusCode(), r.body());
        var arrays = JsonParser.parseString(r.body()).getAsJsonArray();
        assertEquals(2, arrays.size());
        float[] want = libraryEmbedding("t8");
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], arrays.get(1).getAsJsonArray().get(i).getAsFloat(), 1e-6);
        }
        r = post("/predict", "{\"inputs\": \"t5 t6 t7\"}");
        assertEquals(200, r.statusCode(), r.body());
        var labels = JsonParser.parseString(r.body()).getAsJsonArray();
        try (TextClassifier tc = new TextClassifier(ModelRegistry.loadEncoder(dir.resolve("bert-seqcls"), cpu),
                Tokenizer.inDirectory(dir.resolve("bert-seqcls")))) {
            var expected = tc.classify("t5 t6 t7");
            assertEquals(expected.size(), labels.size());
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i).label(), labels.get(i).getAsJsonObject().get("label").getAsString());
                assertEquals(expected.get(i).score(), labels.get(i).getAsJsonObject().get("score").getAsDouble(), 1e-9);
            }
        }
    }

    @Test
    void modelsHealthAndMetrics() throws Exception {
        var models = JsonParser.parseString(get("/v1/models").body()).getAsJsonObject().getAsJsonArray("data");
        assertEquals(List.of("bert", "seqcls", "gpt2"), models.asList().stream()
                .map(m -> m.getAsJsonObject().get("id").getAsString()).toList());
        assertEquals(200, get("/health").statusCode());
        post("/embed", "{\"inputs\": \"t5\"}");
        String metrics = get("/metrics").body();
        for (String name : List.of("t4j_http_requests_total{endpoint=\"/embed\",status=\"200\"}",
                "t4j_http_request_duration_seconds_bucket{endpoint=\"/embed\",le=\"+Inf\"}",
                "t4j_scheduler_queue_depth{model=\"bert\"}", "t4j_scheduler_batch_rows_bucket{model=\"bert\",le=\"1\"}",
                "t4j_scheduler_tokens_per_second{model=\"gpt2\"}", "t4j_scheduler_busy_seconds_total{model=\"bert\"}",
                "t4j_scratch_pool_bytes")) {
            assertTrue(metrics.contains(name), name + " in\n" + metrics);
        }
    }

    /** The error body's message, type and param. */
    static JsonObject error(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("error");
    }

    static void assertError(HttpResponse<String> r, int status, String param, String inMessage) {
        assertEquals(status, r.statusCode(), r.body());
        JsonObject e = error(r);
        JsonElement p = e.get("param");
        assertEquals(param, p.isJsonNull() ? null : p.getAsString(), r.body());
        assertTrue(e.get("message").getAsString().contains(inMessage), r.body());
        assertTrue(e.has("type") && e.has("code"), r.body());
    }

    @Test
    void badRequestsGetAnErrorNamingTheField() throws Exception {
        assertError(post("/v1/embeddings", "{\"input\": [\"t5\"], "), 400, null, "not valid JSON");
        assertError(post("/v1/embeddings", "[1, 2]"), 400, null, "JSON object");
        assertError(post("/v1/embeddings", "{\"model\": \"bert\"}"), 400, "input", "'input' is required");
        assertError(post("/v1/embeddings", "{\"input\": 5}"), 400, "input", "string or an array of strings");
        assertError(post("/v1/embeddings", "{\"input\": []}"), 400, "input", "empty array");
        assertError(post("/v1/embeddings", "{\"input\": [\"t5\", \"\"]}"), 400, "input", "'input[1]' must not be empty");
        assertError(post("/v1/embeddings", "{\"input\": [[1, 2]]}"), 400, "input", "token arrays");
        assertError(post("/v1/embeddings", "{\"input\": [\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\"]}"), 400,
                "input", "at most 8");
        assertError(post("/v1/embeddings", "{\"input\": \"t5\", \"model\": \"nope\"}"), 404, "model", "does not exist");
        assertError(post("/v1/embeddings", "{\"input\": \"t5\", \"model\": \"gpt2\"}"), 400, "model", "generation model");
        assertError(post("/v1/embeddings", "{\"input\": \"t5\", \"encoding_format\": \"hex\"}"), 400, "encoding_format",
                "float or base64");
        assertError(post("/v1/completions", "{\"prompt\": \"t5\", \"max_tokens\": \"many\"}"), 400, "max_tokens",
                "must be a number");
        assertError(post("/v1/completions", "{\"prompt\": \"t5\", \"max_tokens\": 0}"), 400, "max_tokens", "from 1");
        assertError(post("/v1/completions", "{\"prompt\": \"t5\", \"temperature\": -1}"), 400, "temperature", "from 0");
        assertError(post("/v1/completions", "{\"prompt\": \"t5\", \"temperature\": 0, \"n\": 2}"), 400, "n", "temperature");
        assertError(post("/v1/completions", "{\"prompt\": \"t5\", \"logprobs\": 3}"), 400, "logprobs", "not supported");
        assertError(post("/v1/completions", "{\"prompt\": \"t5\", \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}"), 400, "stop",
                "at most 4");
        String longPrompt = "t5 ".repeat(70);
        assertError(post("/v1/completions", "{\"prompt\": \"" + longPrompt + "\"}"), 400, null, "longer than the context");
        assertError(post("/v1/completions", "{\"prompt\": \"" + longPrompt + "\", \"stream\": true}"), 400, null,
                "longer than the context");
        assertError(post("/v1/completions", "{\"prompt\": \"t5\", \"seed\": 1.5, \"temperature\": 1}"), 400, "seed",
                "integer");
        assertError(post("/embed", "{\"inputs\": \"" + "t5 ".repeat(100) + "\"}"), 400, null, "positions");
        assertError(post("/predict", "{\"inputs\": [[\"t5\", \"t6\"]]}"), 400, "inputs", "pairs");
        assertError(post("/embed", "{\"inputs\": \"" + "x".repeat(1 << 17) + "\"}"), 413, null, "larger than");
        assertError(get("/v1/embeddings"), 405, null, "POST");
        assertError(get("/nowhere"), 404, null, "No route");
        assertEquals(200, get("/health").statusCode(), "the server still answers");
    }

    @Test
    void aDroppedStreamFreesItsWork() throws Exception {
        long cancelled = cancelledGenerations();
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\": \"gpt2\", \"prompt\": \"t5\", \"max_tokens\": 60, \"stream\": true,"
                                + " \"temperature\": 0.5, \"seed\": 1}")).build();
        HttpResponse<InputStream> r = HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertTrue(in.readLine().startsWith("data: {"), "a first event");
        } // closing the body drops the connection
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (cancelledGenerations() == cancelled && System.nanoTime() < deadline) {
            Thread.sleep(20);
            // the server notices on its next write; a generation of 60 tokens writes soon
        }
        assertTrue(cancelledGenerations() > cancelled, "the generation was cancelled when the client left");
    }

    static long cancelledGenerations() throws Exception {
        for (String line : get("/metrics").body().split("\n")) {
            if (line.startsWith("t4j_scheduler_requests_total{model=\"gpt2\",outcome=\"cancelled\"}")) {
                return Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no cancelled counter");
    }

    @Test
    void streamedStopSequencesAreCutAsOpenAiCutsThem() throws Exception {
        List<String> full = libraryCompletion("t5 t6 t7", d -> d.withMaxNewTokens(12).withoutSampling());
        String text = full.get(0).strip();
        String[] words = text.split(" ");
        String stop = words[Math.min(3, words.length - 1)];
        String want = StopTrimmer.trim(full.get(0), List.of(stop));
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\": \"t5 t6 t7\", \"max_tokens\": 12, \"temperature\": 0,"
                + " \"stop\": \"" + stop + "\", \"stream\": true}");
        StringBuilder streamed = new StringBuilder();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: {")) {
                var choices = JsonParser.parseString(line.substring(6)).getAsJsonObject().getAsJsonArray("choices");
                choices.forEach(ch -> streamed.append(ch.getAsJsonObject().get("text").getAsString()));
            }
        }
        assertTrue(r.body().strip().endsWith("data: [DONE]"), r.body());
        assertEquals(want, streamed.toString());
        var plain = JsonParser.parseString(post("/v1/completions", "{\"prompt\": \"t5 t6 t7\", \"max_tokens\": 12,"
                + " \"temperature\": 0, \"stop\": \"" + stop + "\"}").body()).getAsJsonObject();
        var choice = plain.getAsJsonArray("choices").get(0).getAsJsonObject();
        assertEquals(want, choice.get("text").getAsString());
        assertEquals("stop", choice.get("finish_reason").getAsString());
    }

    static String[] testJvm(String main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        return cmd.toArray(String[]::new);
    }

    /** Embeds as zeros of size 4, each pass held until released: a worker busy for as long as a test needs. */
    static final class HeldEmbedder implements BatchScheduler.Task<String, String, Embedding> {
        final CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);

        @Override
        public String kind() {
            return "embed";
        }

        @Override
        public long chars(String input) {
            return input.length();
        }

        @Override
        public String prepare(String input) {
            return input;
        }

        @Override
        public int tokens(String prepared) {
            return 1;
        }

        @Override
        public List<Embedding> run(List<String> batch) {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return batch.stream().map(t -> new Embedding(new float[4], 1)).toList();
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aFullQueueAnswers429WithRetryAfter() throws Exception {
        HeldEmbedder held = new HeldEmbedder();
        var scheduler = Schedulers.batch("held", held, SchedulerOptions.defaults().withMaxQueued(1)
                .withMaxWait(Duration.ZERO));
        try (T4jServer small = T4jServer.start(List.of(ServedModel.embedding("held", scheduler)),
                ServerOptions.defaults().withPort(0))) {
            String url = "http://127.0.0.1:" + small.port() + "/v1/embeddings";
            HttpRequest req = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"input\": \"t5\"}")).build();
            var running = HTTP.sendAsync(req, HttpResponse.BodyHandlers.ofString());
            assertTrue(held.entered.await(10, TimeUnit.SECONDS), "the first request is being computed");
            var waiting = HTTP.sendAsync(req, HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (scheduler.metrics().queueDepth() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, scheduler.metrics().queueDepth(), "the second request is queued");
            HttpResponse<String> refused = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
            assertError(refused, 429, null, "the limit is 1");
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            assertEquals("rate_limit_error", error(refused).get("type").getAsString());
            held.release.countDown();
            assertEquals(200, running.get().statusCode());
            assertEquals(200, waiting.get().statusCode());
        }
    }

    @Test
    void moreConcurrentRequestsThanTheLimitGet429() throws Exception {
        HeldEmbedder held = new HeldEmbedder();
        var scheduler = Schedulers.batch("held", held, SchedulerOptions.defaults().withMaxWait(Duration.ZERO));
        try (T4jServer small = T4jServer.start(List.of(ServedModel.embedding("held", scheduler)),
                ServerOptions.defaults().withPort(0).withMaxConcurrent(1))) {
            String url = "http://127.0.0.1:" + small.port();
            HttpRequest req = HttpRequest.newBuilder(URI.create(url + "/embed")).POST(HttpRequest.BodyPublishers
                    .ofString("{\"inputs\": \"t5\"}")).build();
            var running = HTTP.sendAsync(req, HttpResponse.BodyHandlers.ofString());
            assertTrue(held.entered.await(10, TimeUnit.SECONDS));
            HttpResponse<String> refused = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
            assertError(refused, 429, null, "its limit");
            held.release.countDown();
            assertEquals(200, running.get().statusCode());
            assertEquals(200, HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void sigtermFinishesRunningRequestsThenExitsZero() throws Exception {
        Path model = dir.resolve("gpt2");
        Process p = new ProcessBuilder(testJvm(ServeMain.class.getName(), "--port", "0", "--model", "gpt2=" + model))
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String url = null;
        for (String line; url == null && (line = out.readLine()) != null; ) {
            if (line.contains("listening on ")) {
                url = line.substring(line.indexOf("http://"));
            }
        }
        assertTrue(url != null, "the server started");
        // the stream's headers have arrived: the request is running (a fixed sleep raced a busy machine)
        HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"t5\", \"max_tokens\": 50, \"temperature\": 0.8,"
                        + " \"seed\": 3, \"stream\": true}")).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
        String body;
        try (InputStream in = r.body()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(body.strip().endsWith("data: [DONE]"), "the running request finished: " + body);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the server exited");
        assertEquals(0, p.exitValue());
    }
}
