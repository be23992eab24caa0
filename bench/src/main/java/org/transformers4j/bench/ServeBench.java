package org.transformers4j.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
 *       batches of 32 (the ceiling); p50 and p99 latency of the clients. Two kinds of client run
 *       in this JVM on the same cores as the server: a lean one on plain keep-alive sockets (as a
 *       load generator such as wrk is) and java.net.http's HttpClient, which costs several times
 *       the CPU per request. The in-process scheduler (no HTTP) is printed too, and each line says
 *       what CPU it took;</li>
 *   <li>16 concurrent streamed completions of 64 tokens on a GPT-2-small-sized random
 *       checkpoint, against a single stream: aggregate tokens per second.</li>
 * </ul>
 * Each part runs a warm-up round first, then {@code rounds} measured rounds. The server's warm-up
 * round sends 20,480 requests: its HTTP path reaches the optimizing compiler only after ~10,000,
 * and before that the compiler takes a tenth of the machine. The direct calls are warmed with
 * 10,000 calls: their rate still tripled over the first five rounds of 2,048.
 */
public final class ServeBench {
    private static final HttpClient HTTP = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();

    private ServeBench() {
    }

    public static void main(String[] args) throws Exception {
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
            // each lives through all rounds, as in a service: with a model loaded for each round the
            // server reached 0.67-0.78x of the batches (whose model lived through the run), with one
            // kept 0.82-0.88x; the 16 direct-calling threads are kept too (each sets up its own
            // OpenMP team and scratch)
            try (ExecutorService threads = Executors.newFixedThreadPool(16);
                 SentenceEmbedder direct = DefaultModels.miniLmEmbedder(cpu);
                 var scheduler = org.transformers4j.scheduler.Schedulers.embeddings("minilm",
                         DefaultModels.miniLmEmbedder(cpu), SchedulerOptions.defaults());
                 T4jServer server = T4jServer.start(List.of(ServedModel.defaultModel(cpu, SchedulerOptions.defaults())),
                         ServerOptions.defaults().withPort(0))) {
                for (int r = 0; r <= rounds; r++) {
                    String round = r == 0 ? "warm-up" : "round " + r;
                    if (r == 0) { // 16 threads calling directly reach their steady rate only after several thousand calls
                        for (int i = 0; i < 4; i++) {
                            directThreads(direct, texts, threads, 16);
                        }
                    }
                    double threads16 = directThreads(direct, texts, threads, 16);
                    Usage u = Usage.now();
                    double batched = oneBatch(direct, texts);
                    System.out.printf(Locale.ROOT, "%s: direct, 16 threads %.0f texts/s; in-process batches of 32 %.0f"
                            + " texts/s (%s)%n", round, threads16, batched, Usage.now().since(u, texts.size()));
                    Passes before = Passes.of(scheduler.metrics());
                    double scheduled = scheduledCallers(scheduler, texts, 64);
                    System.out.printf(Locale.ROOT, "%s: in-process scheduler, 64 virtual-thread callers %.0f texts/s"
                            + " (%.2fx the batches); %s%n", round, scheduled, scheduled / batched,
                            Passes.of(scheduler.metrics()).since(before));
                    if (r == 0) { // the HTTP path's hot methods reach the optimizing compiler after ~10,000 requests
                        for (int i = 0; i < 4; i++) {
                            clients(server.port(), texts, 64);
                            jdkClients(server.port(), texts, 64);
                        }
                    }
                    before = Passes.of(server.port());
                    served(round, server.port(), "64 keep-alive socket clients", clients(server.port(), texts, 64),
                            threads16, batched, before);
                    before = Passes.of(server.port());
                    served(round, server.port(), "64 java.net.http clients", jdkClients(server.port(), texts, 64),
                            threads16, batched, before);
                }
            }
        }
    }

    /** Prints one server measurement beside its peers and what the server's model did meanwhile. */
    static void served(String round, int port, String clients, Served s, double threads16, double batched,
                       Passes before) throws Exception {
        System.out.printf(Locale.ROOT, "%s: server, %s, %.0f texts/s (p50 %.1f ms, p99 %.1f ms); server/direct"
                        + " %.2fx, server/batches %.2fx; %s (%s)%n", round, clients, s.rate, s.p50, s.p99,
                s.rate / threads16, s.rate / batched, Passes.of(port).since(before), s.usage);
    }

    /** A scheduler's counters of forward passes: passes, rows, tokens and seconds in them. */
    record Passes(double passes, double rows, double tokens, double busy) {
        static Passes of(org.transformers4j.scheduler.SchedulerMetrics m) {
            return new Passes(m.batchRows().count(), m.batchRows().sum(), m.tokens(), m.busySeconds());
        }

        /** The same counters of a server's models, from its Prometheus metrics. */
        static Passes of(int port) throws Exception {
            String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            return new Passes(sum(metrics, "t4j_scheduler_batch_rows_count"), sum(metrics, "t4j_scheduler_batch_rows_sum"),
                    sum(metrics, "t4j_scheduler_tokens_total"), sum(metrics, "t4j_scheduler_busy_seconds_total"));
        }

        private static double sum(String metrics, String name) {
            return metrics.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        }

        /** Rows a pass and microseconds in passes per token since before. */
        String since(Passes before) {
            return String.format(Locale.ROOT, "%.1f rows a pass, %.1f us in passes per token",
                    (rows - before.rows) / (passes - before.passes), 1e6 * (busy - before.busy) / (tokens - before.tokens));
        }
    }

    /** texts/s of single-text submissions from n virtual threads to a scheduler in this JVM (no HTTP). */
    static double scheduledCallers(org.transformers4j.scheduler.BatchScheduler<String, ?> scheduler, List<String> texts,
                                   int n) throws Exception {
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            return shared(callers, n, texts, text -> scheduler.submit(text).join());
        }
    }

    /** texts/s of n tasks on the pool taking the texts one at a time, each handing its text to call. */
    static double shared(ExecutorService pool, int n, List<String> texts,
                         java.util.function.Consumer<String> call) throws Exception {
        AtomicLong next = new AtomicLong();
        long start = System.nanoTime();
        List<Future<?>> all = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            all.add(pool.submit(() -> {
                for (long i; (i = next.getAndIncrement()) < texts.size(); ) {
                    call.accept(texts.get((int) i));
                }
                return null;
            }));
        }
        for (Future<?> f : all) {
            f.get();
        }
        return texts.size() / ((System.nanoTime() - start) / 1e9);
    }

    /** Machine and process CPU time (Linux /proc; zeros elsewhere), for what a measurement cost. */
    record Usage(long wall, double machineBusy, double process) {
        static Usage now() {
            double busy = 0;
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long total = 0;
                for (int i = 1; i <= 8 && i < f.length; i++) { // user .. steal; guest time is inside user already
                    total += Long.parseLong(f[i]);
                }
                busy = (total - Long.parseLong(f[4]) - Long.parseLong(f[5])) / 100.0; // all but idle and iowait
            } catch (Exception e) {
                // not Linux: machine figures read 0
            }
            var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean();
            return new Usage(System.nanoTime(), busy, os.getProcessCpuTime() / 1e9);
        }

        /** Cores busy on the machine and in this JVM since start, and machine CPU per text. */
        String since(Usage start, int texts) {
            double seconds = (wall - start.wall) / 1e9;
            return String.format(Locale.ROOT, "machine %.2f of %d cores busy, this JVM %.2f, %.2f ms of machine CPU per text",
                    (machineBusy - start.machineBusy) / seconds, Runtime.getRuntime().availableProcessors(),
                    (process - start.process) / seconds, 1e3 * (machineBusy - start.machineBusy) / texts);
        }
    }

    /** texts/s of single-text calls from n tasks on the pool (of n threads) sharing one embedder. */
    static double directThreads(SentenceEmbedder e, List<String> texts, ExecutorService pool, int n) throws Exception {
        return shared(pool, n, texts, e::embed);
    }

    static double oneBatch(SentenceEmbedder e, List<String> texts) {
        long start = System.nanoTime();
        e.embed(texts);
        return texts.size() / ((System.nanoTime() - start) / 1e9);
    }

    /** What n clients measured: texts/s, p50 and p99 latency in ms, and the CPU it took. */
    record Served(double rate, double p50, double p99, String usage) {
    }

    /**
     * n clients each posting single texts over its own keep-alive connection, written and read on a
     * plain socket: what a load generator such as wrk does. On 2 cores the clients share the
     * server's cores, and java.net.http's client takes several times the CPU per request.
     */
    static Served clients(int port, List<String> texts, int n) throws Exception {
        return load(texts, n, () -> {
            java.net.Socket socket = new java.net.Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            var out = new java.io.BufferedOutputStream(socket.getOutputStream());
            var in = new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16);
            return new Poster() {
                @Override
                public void post(String json) throws Exception {
                    byte[] body = json.getBytes(StandardCharsets.UTF_8);
                    out.write(("POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                    String status = line(in);
                    long length = -1;
                    boolean chunked = false;
                    for (String h; !(h = line(in)).isEmpty(); ) {
                        String header = h.toLowerCase(Locale.ROOT);
                        if (header.startsWith("content-length:")) {
                            length = Long.parseLong(header.substring(15).trim());
                        } else if (header.startsWith("transfer-encoding:") && header.contains("chunked")) {
                            chunked = true;
                        }
                    }
                    if (!chunked && (length < 0 || length > Integer.MAX_VALUE)) {
                        throw new IllegalStateException(status + ": a response without a usable length (" + length + ")");
                    }
                    String answer = chunked ? chunks(in) : new String(exactly(in, (int) length), StandardCharsets.UTF_8);
                    if (!status.startsWith("HTTP/1.1 200") || !answer.contains("\"embedding\"")) {
                        throw new IllegalStateException(status + ": " + answer);
                    }
                }

                @Override
                public void close() throws Exception {
                    socket.close();
                }
            };
        });
    }

    /** The same clients on java.net.http's HttpClient. */
    static Served jdkClients(int port, List<String> texts, int n) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + port + "/v1/embeddings");
        return load(texts, n, () -> new Poster() {
            @Override
            public void post(String json) throws Exception {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).POST(
                        HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("status " + r.statusCode() + ": " + r.body());
                }
            }

            @Override
            public void close() {
            }
        });
    }

    /** One client's connection. */
    interface Poster extends AutoCloseable {
        void post(String json) throws Exception;
    }

    /** n virtual threads, each with its own poster, sending the texts one a request until all are sent. */
    static Served load(List<String> texts, int n, java.util.concurrent.Callable<Poster> connect) throws Exception {
        AtomicLong next = new AtomicLong();
        double[] latency = new double[texts.size()];
        Usage usage = Usage.now();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int c = 0; c < n; c++) {
                all.add(clients.submit(() -> {
                    try (Poster poster = connect.call()) {
                        for (long i; (i = next.getAndIncrement()) < texts.size(); ) {
                            String body = "{\"input\": " + new com.google.gson.Gson().toJson(texts.get((int) i)) + "}";
                            long t0 = System.nanoTime();
                            poster.post(body);
                            latency[(int) i] = (System.nanoTime() - t0) / 1e6;
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        Usage end = Usage.now();
        Arrays.sort(latency);
        return new Served(texts.size() / ((end.wall() - usage.wall()) / 1e9), latency[latency.length / 2],
                latency[(int) (latency.length * 0.99)], end.since(usage, texts.size()));
    }

    /** One header line, without its CR LF. */
    static String line(java.io.InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new java.io.EOFException("the server closed the connection");
            }
            if (b != '\r') {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }

    /** A chunked body, whole (chunk extensions ignored, trailers read and dropped). */
    static String chunks(java.io.InputStream in) throws java.io.IOException {
        var body = new java.io.ByteArrayOutputStream();
        for (int size; (size = Integer.parseInt(line(in).split(";", 2)[0].trim(), 16)) > 0; ) {
            body.write(exactly(in, size));
            line(in);
        }
        while (!line(in).isEmpty()) { // trailers, up to the blank line that ends the message
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    /** n bytes, or an EOFException if the connection ends first. */
    static byte[] exactly(java.io.InputStream in, int n) throws java.io.IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new java.io.EOFException("the server closed the connection " + b.length + " bytes into a body of " + n);
        }
        return b;
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
