package org.transformers4j.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Backend;
import org.transformers4j.scheduler.SchedulerOptions;
import org.transformers4j.serve.ServeMain;
import org.transformers4j.serve.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** t4j serve: the models behind OpenAI- and TEI-compatible HTTP until SIGTERM or SIGINT. */
@Command(name = "serve", sortOptions = false,
        description = {"Serve models over HTTP: OpenAI's /v1/embeddings, /v1/completions and /v1/models, "
                + "text-embeddings-inference's /embed and /predict, /health and /metrics (Prometheus).",
            "A model's kind decides its endpoints; without --model, all-MiniLM-L6-v2 serves embeddings. "
                    + "SIGTERM or SIGINT stops accepting, lets running requests finish within --grace, exits 0."})
final class ServeCommand extends CliCommand {
    @Option(names = "--model", paramLabel = "[NAME=]DIR", description = "a model folder, named NAME (else after the"
            + " folder); repeat for several, chosen by each request's model field")
    List<String> models = new ArrayList<>();

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "the address to listen on (default ${DEFAULT-VALUE}: this machine only)")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "default ${DEFAULT-VALUE}; 0 for any")
    int port;

    @Option(names = "--max-batch-size", paramLabel = "N", defaultValue = "32",
            description = "requests in one encoder batch (default ${DEFAULT-VALUE})")
    int maxBatchSize;

    @Option(names = "--max-batch-tokens", paramLabel = "N", defaultValue = "8192",
            description = "padded tokens in one encoder batch (default ${DEFAULT-VALUE})")
    int maxBatchTokens;

    @Option(names = "--max-wait-ms", paramLabel = "MS", defaultValue = "2",
            description = "how long a batch waits to fill (default ${DEFAULT-VALUE}; 0 allowed)")
    int maxWaitMs;

    @Option(names = "--max-queued", paramLabel = "N", defaultValue = "4096",
            description = "requests waiting per model before 429 (default ${DEFAULT-VALUE})")
    int maxQueued;

    @Option(names = "--max-rows", paramLabel = "N", defaultValue = "16",
            description = "sequences generated at once per model (default ${DEFAULT-VALUE})")
    int maxRows;

    @Option(names = "--max-context", paramLabel = "N", defaultValue = "1024",
            description = "positions of one generated sequence (default ${DEFAULT-VALUE})")
    int maxContext;

    @Option(names = "--max-concurrent", paramLabel = "N", defaultValue = "256",
            description = "requests handled at once before 429 (default ${DEFAULT-VALUE})")
    int maxConcurrent;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "longest wait for an answer, queue included, before 504 (default ${DEFAULT-VALUE})")
    int timeout;

    @Option(names = "--grace", paramLabel = "SECONDS", defaultValue = "30",
            description = "how long a shutdown lets running requests finish (default ${DEFAULT-VALUE})")
    int grace;

    @Mixin
    BackendOptions backendOptions;

    @Override
    public Integer call() throws Exception {
        inRange("--port", port, 0, 65535);
        inRange("--max-wait-ms", maxWaitMs, 0, 10_000);
        inRange("--timeout", timeout, 1, 86_400);
        inRange("--grace", grace, 0, 3600);
        SchedulerOptions scheduling;
        ServerOptions server;
        try {
            scheduling = SchedulerOptions.defaults().withMaxBatchSize(maxBatchSize).withMaxBatchTokens(maxBatchTokens)
                    .withMaxWait(Duration.ofMillis(maxWaitMs)).withMaxQueued(maxQueued).withMaxRows(maxRows)
                    .withMaxContext(maxContext);
            server = ServerOptions.defaults().withHost(host).withPort(port).withMaxConcurrent(maxConcurrent)
                    .withTimeout(Duration.ofSeconds(timeout)).withGrace(Duration.ofSeconds(grace));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        try (Backend backend = backendOptions.create()) {
            ServeMain.run(models, backend, scheduling, server, io.out());
        }
        return 0;
    }
}
