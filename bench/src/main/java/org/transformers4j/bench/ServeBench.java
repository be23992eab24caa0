package org.transformers4j.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.scheduler.SchedulerOptions;
import org.transformers4j.serve.ServedModel;
import org.transformers4j.serve.ServerOptions;
import org.transformers4j.serve.T4jServer;

/**
 * The server under load (a load benchmark, not a timed test), each figure beside its peer from
 * the same run:
 * <ul>
 *   <li>64 concurrent clients sending single short texts to /v1/embeddings (all-MiniLM-L6-v2),
 *       against one embedder shared by 16 threads calling it directly with single texts (what a
 *       service did before the scheduler), and against the same texts embedded in-process in
 *       batches of 32 (the ceiling); p50 and p99 latency of the clients;</li>
 *   <li>16 concurrent streamed completions of 64 tokens on a GPT-2-small-sized random
 *       checkpoint, against a single stream: aggregate tokens per second.</li>
 * </ul>
 * Each part runs a warm-up round first, then {@code rounds} measured rounds.
 */
public final class ServeBench {
    private static final HttpClient HTTP = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();

    private ServeBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("clients")) { // the child process of remoteClients
            int port = Integer.parseInt(args[1]), n = Integer.parseInt(args[2]);
            clients(port, texts(512), n); // this JVM's own warm-up (its compiler runs at nice 19 too)
            double[] r = clients(port, texts(2048), n);
            System.out.printf(Locale.ROOT, "%f %f %f%n", r[0], r[1], r[2]);
            return;
        }
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        scratchAtTheLimits();
        embeddings(rounds);
        completions(rounds);
    }

    /** The scratch memory one full batch of the default model takes at the default limits (32 texts of 256 tokens). */
    static void scratchAtTheLimits() {
        try (CpuBackend cpu = CpuBackend.create();
             var s = org.transformers4j.scheduler.Schedulers.embeddings("minilm", DefaultModels.miniLmEmbedder(cpu),
                     SchedulerOptions.defaults())) {
            org.transformers4j.tensor.TensorArena.trimPool();
            String longest = "word ".repeat(400); // truncated to 256 tokens by the model's tokenizer
            s.submitAll(java.util.Collections.nCopies(s.options().maxBatchSize(), longest), null)
                    .forEach(java.util.concurrent.CompletableFuture::join);
            System.out.printf(Locale.ROOT, "scratch memory of one full batch (32 x 256 tokens, all-MiniLM-L6-v2): %.1f MiB%n",
                    org.transformers4j.tensor.TensorArena.poolBytes() / 1048576.0);
        }
    }

    static List<String> texts(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Sentences.VARIED.get(i % Sentences.VARIED.size()) + " #" + i);
        }
        return out;
    }

    static void embeddings(int rounds) throws Exception {
        List<String> texts = texts(2048);
        try (CpuBackend cpu = CpuBackend.create()) {
            System.out.println("embeddings: " + texts.size() + " short texts, all-MiniLM-L6-v2, " + cpu.kernelProvider());
            try (SentenceEmbedder direct = DefaultModels.miniLmEmbedder(cpu)) {
                for (int r = 0; r <= rounds; r++) {
                    double threads16 = directThreads(direct, texts, 16), batched = oneBatch(direct, texts);
                    double scheduled = scheduledCallers(cpu, texts, 64);
                    System.out.printf(Locale.ROOT, "%s: in-process scheduler, 64 virtual-thread callers %.0f texts/s"
                            + " (%.2fx the batches)%n", r == 0 ? "warm-up" : "round " + r, scheduled,
                            scheduled / batched);
                    try (T4jServer server = T4jServer.start(List.of(ServedModel.defaultModel(cpu, SchedulerOptions.defaults())),
                            ServerOptions.defaults().withPort(0))) {
                        double[] served = clients(server.port(), texts, 64);
                        double busy = metric(server.port(), "t4j_scheduler_busy_seconds_total") / (texts.size() / served[0]);
                        System.out.printf(Locale.ROOT, "%s: server %.0f texts/s (p50 %.1f ms, p99 %.1f ms); direct,"
                                        + " 16 threads %.0f texts/s; in-process batches of 32 %.0f texts/s; server/direct"
                                        + " %.2fx, server/batches %.2fx; %.1f rows per pass; the model in passes %.0f%% of"
                                        + " the round%n", r == 0 ? "warm-up" : "round " + r, served[0], served[1],
                                served[2], threads16, batched, served[0] / threads16, served[0] / batched,
                                meanBatchRows(server.port()), 100 * busy);
                        double[] remote = remoteClients(server.port(), 64);
                        if (remote != null) {
                            System.out.printf(Locale.ROOT, "%s: server, the 64 clients in another process at the lowest"
                                            + " priority (nice 19) %.0f texts/s (p50 %.1f ms, p99 %.1f ms); server/direct"
                                            + " %.2fx, server/batches %.2fx%n", r == 0 ? "warm-up" : "round " + r,
                                    remote[0], remote[1], remote[2], remote[0] / threads16, remote[0] / batched);
                        }
                    }
                }
            }
        }
    }

    /** The server's rows per forward pass so far, from its Prometheus metrics (sum / count). */
    static double meanBatchRows(int port) throws Exception {
        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0, count = 0;
        for (String line : metrics.lines().toList()) {
            if (line.startsWith("t4j_scheduler_batch_rows_sum")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            } else if (line.startsWith("t4j_scheduler_batch_rows_count")) {
                count += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    /** The sum of a metric's samples over the server's models, from its Prometheus metrics. */
    static double metric(int port, String name) throws Exception {
        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** texts/s of single-text submissions from n virtual threads to a batch scheduler in this JVM (no HTTP). */
    static double scheduledCallers(CpuBackend cpu, List<String> texts, int n) throws Exception {
        try (var scheduler = org.transformers4j.scheduler.Schedulers.embeddings("minilm",
                DefaultModels.miniLmEmbedder(cpu), SchedulerOptions.defaults())) {
            AtomicLong next = new AtomicLong();
            long start = System.nanoTime();
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> all = new ArrayList<>();
                for (int c = 0; c < n; c++) {
                    all.add(callers.submit(() -> {
                        for (long i; (i = next.getAndIncrement()) < texts.size(); ) {
                            scheduler.submit(texts.get((int) i)).join();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : all) {
                    f.get();
                }
            }
            return texts.size() / ((System.nanoTime() - start) / 1e9);
        }
    }

    /** texts/s of single-text calls from n threads sharing one embedder. */
    static double directThreads(SentenceEmbedder e, List<String> texts, int n) throws Exception {
        AtomicLong next = new AtomicLong();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < n; t++) {
                all.add(pool.submit(() -> {
                    for (long i; (i = next.getAndIncrement()) < texts.size(); ) {
                        e.embed(texts.get((int) i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        return texts.size() / ((System.nanoTime() - start) / 1e9);
    }

    static double oneBatch(SentenceEmbedder e, List<String> texts) {
        long start = System.nanoTime();
        e.embed(texts);
        return texts.size() / ((System.nanoTime() - start) / 1e9);
    }

    /** {texts/s, p50 ms, p99 ms} of n concurrent clients each posting single texts. */
    static double[] clients(int port, List<String> texts, int n) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + port + "/v1/embeddings");
        AtomicLong next = new AtomicLong();
        double[] latency = new double[texts.size()];
        long start = System.nanoTime();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int c = 0; c < n; c++) {
                all.add(clients.submit(() -> {
                    for (long i; (i = next.getAndIncrement()) < texts.size(); ) {
                        String body = "{\"input\": " + new com.google.gson.Gson().toJson(texts.get((int) i)) + "}";
                        long t0 = System.nanoTime();
                        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).POST(
                                HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                        latency[(int) i] = (System.nanoTime() - t0) / 1e6;
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("status " + r.statusCode() + ": " + r.body());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Arrays.sort(latency);
        return new double[] {texts.size() / seconds, latency[latency.length / 2], latency[(int) (latency.length * 0.99)]};
    }

    /**
     * {texts/s, p50 ms, p99 ms} of the same 64 clients run in a child JVM at the lowest CPU
     * priority: on 2 cores, clients in the server's own process take the cores the forward pass
     * needs, where a service's clients run on other machines; at nice 19 they get a core only
     * when the server leaves one idle. Null (with a message) where nice cannot be run.
     */
    static double[] remoteClients(int port, int n) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p;
        try {
            p = new ProcessBuilder("nice", "-n", "19", java, "-cp", System.getProperty("java.class.path"),
                    ServeBench.class.getName(), "clients", Integer.toString(port), Integer.toString(n))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (java.io.IOException e) {
            System.out.println("clients in another process: not measured (" + e.getMessage() + ")");
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("client process exited with " + p.exitValue() + ": " + out);
        }
        return Arrays.stream(out.split(" ")).mapToDouble(Double::parseDouble).toArray();
    }

    static void completions(int rounds) throws Exception {
        Path dir = RandomCheckpoints.gpt2Small();
        writeWordTokenizer(dir.resolve("tokenizer.json"), 50257);
        int tokens = 64;
        try (CpuBackend cpu = CpuBackend.create();
             T4jServer server = T4jServer.start(List.of(ServedModel.load("gpt2-small", dir, cpu,
                     SchedulerOptions.defaults().withMaxRows(16).withMaxContext(256))), ServerOptions.defaults().withPort(0))) {
            System.out.println("completions: GPT-2-small-sized random checkpoint, " + tokens + " tokens a stream, "
                    + cpu.kernelProvider());
            for (int r = 0; r <= rounds; r++) {
                double one = streams(server.port(), 1, tokens), sixteen = streams(server.port(), 16, tokens);
                System.out.printf(Locale.ROOT, "%s: 1 stream %.1f tokens/s; 16 streams %.1f tokens/s together; %.2fx%n",
                        r == 0 ? "warm-up" : "round " + r, one, sixteen, sixteen / one);
            }
        }
    }

    /** Aggregate generated tokens per second of n concurrent streamed completions. */
    static double streams(int port, int n, int tokens) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + port + "/v1/completions");
        AtomicLong generated = new AtomicLong();
        long start = System.nanoTime();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int c = 0; c < n; c++) {
                int seed = c;
                all.add(clients.submit(() -> {
                    String body = "{\"prompt\": \"t11 t12 t13 t14 t15 t16 t17 t18\", \"max_tokens\": " + tokens
                            + ", \"temperature\": 0.8, \"seed\": " + seed + ", \"stream\": true,"
                            + " \"stream_options\": {\"include_usage\": true}}";
                    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers
                            .ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("status " + r.statusCode() + ": " + r.body());
                    }
                    int at = r.body().lastIndexOf("\"completion_tokens\":");
                    generated.addAndGet(Long.parseLong(r.body().substring(at + 20).split("[,}]")[0].trim()));
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        return generated.get() / ((System.nanoTime() - start) / 1e9);
    }

    /** A word-level tokenizer.json with tokens t0 .. t{V-1}, so that prompts of such words run a random checkpoint. */
    static void writeWordTokenizer(Path file, int vocab) throws Exception {
        StringBuilder v = new StringBuilder();
        for (int i = 0; i < vocab; i++) {
            v.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":").append(i);
        }
        Files.writeString(file, "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,"
                + "\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + v + "},\"unk_token\":\"t0\"}}");
    }
}
