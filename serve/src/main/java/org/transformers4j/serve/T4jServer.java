package org.transformers4j.serve;

import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.transformers4j.scheduler.SchedulerFullException;

/**
 * The HTTP server over the models' schedulers: OpenAI's /v1/embeddings, /v1/completions and
 * /v1/models, text-embeddings-inference's /embed and /predict, /health and /metrics. Handlers run
 * on virtual threads and only wait on the schedulers, which alone run the models. Bad requests get
 * a 4xx JSON error in OpenAI's shape naming the field; a full queue gets 429 with Retry-After.
 * {@link #stop()} stops accepting, lets running requests finish within the grace period, then
 * frees the models.
 */
public final class T4jServer implements AutoCloseable {
    private final Server server;
    private final GracefulHandler graceful;
    private final Models models;
    private final ServerOptions options;
    private final HttpMetrics metrics = new HttpMetrics();
    private final OpenAiApi openAi;
    private final TeiApi tei;
    private final java.util.concurrent.Semaphore handling;
    private volatile boolean stopping;
    private boolean stopped;

    private T4jServer(List<ServedModel> served, ServerOptions options) {
        this.models = new Models(served);
        this.options = options;
        this.openAi = new OpenAiApi(models, options);
        this.tei = new TeiApi(models, options);
        this.handling = new java.util.concurrent.Semaphore(options.maxConcurrent());
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("t4j-http");
        threads.setVirtualThreadsExecutor(VirtualThreads.getNamedVirtualThreadsExecutor("t4j-http-"));
        server = new Server(threads);
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(options.host());
        connector.setPort(options.port());
        server.addConnector(connector);
        graceful = new GracefulHandler(new Router());
        server.setHandler(graceful);
        server.setStopTimeout(options.grace().toMillis());
        server.setStopAtShutdown(false);
    }

    /** Starts serving the models (the server owns them from now on); the port is bound when this returns. */
    public static T4jServer start(List<ServedModel> models, ServerOptions options) throws Exception {
        T4jServer s = new T4jServer(models, options);
        try {
            s.server.start();
        } catch (Exception e) {
            s.server.stop();
            models.forEach(ServedModel::close);
            throw e;
        }
        return s;
    }

    /** The port the server listens on (the one chosen when the options said 0). */
    public int port() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    /** Names and kinds of the models served. */
    public List<String> models() {
        List<String> out = new ArrayList<>();
        models.all().forEach(m -> out.add(m.name + " (" + m.kind.name().toLowerCase() + ": " + m.kind.endpoints + ")"));
        return out;
    }

    /**
     * Stops accepting requests, lets those running finish within the grace period, then frees the
     * models. True when everything finished in time. Idempotent.
     */
    public synchronized boolean stop() throws Exception {
        if (stopped) {
            return true;
        }
        stopped = true;
        stopping = true;
        long deadline = System.nanoTime() + options.grace().toNanos();
        boolean clean = true;
        try {
            graceful.shutdown().get(options.grace().toMillis() + 1, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            clean = false;
        }
        for (ServedModel m : models.all()) {
            try {
                clean &= m.shutdown(java.time.Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (RuntimeException e) {
                clean = false; // the others still shut down
            }
        }
        server.stop();
        return clean;
    }

    @Override
    public void close() throws Exception {
        stop();
    }

    /** Routes by path and method; maps failures to statuses. */
    private final class Router extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            long start = System.nanoTime();
            String path = Request.getPathInContext(request);
            Exchange x = new Exchange(request, response, callback, options.maxBodyBytes());
            // generation can be silent for longer than the connection's idle timeout: the client still waits
            request.addIdleTimeoutListener(timeout -> false);
            String endpoint = switch (path) {
                case "/v1/embeddings", "/v1/completions", "/v1/models", "/embed", "/predict", "/health", "/metrics" -> path;
                default -> "other";
            };
            boolean admitted = handling.tryAcquire();
            try {
                if (!admitted) {
                    response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
                    throw new ApiError(429, "rate_limit_error", null, "too_many_requests", "The server is handling "
                            + options.maxConcurrent() + " requests, its limit; try again later");
                }
                route(path, request.getMethod(), x);
            } catch (ApiError e) {
                error(x, e);
            } catch (SchedulerFullException e) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
                error(x, new ApiError(429, "rate_limit_error", null, "queue_full", e.getMessage()));
            } catch (IllegalArgumentException e) {
                error(x, ApiError.invalid(null, e.getMessage()));
            } catch (CancellationException e) {
                error(x, new ApiError(499, "invalid_request_error", null, null, "The request was cancelled"));
            } catch (UncheckedTimeout e) {
                error(x, new ApiError(504, "timeout_error", null, null, "No answer within the server's timeout of "
                        + options.timeout().toSeconds() + " s"));
            } catch (IllegalStateException e) {
                error(x, new ApiError(503, "server_error", null, null, e.getMessage()));
            } catch (Throwable e) {
                error(x, new ApiError(500, "server_error", null, null, e.getClass().getSimpleName() + ": " + e.getMessage()));
            } finally {
                if (admitted) {
                    handling.release();
                }
                metrics.record(endpoint, x.status, System.nanoTime() - start);
            }
            return true;
        }

        private void route(String path, String method, Exchange x) throws Exception {
            switch (path) {
                case "/v1/embeddings" -> post(method, () -> openAi.embeddings(x));
                case "/v1/completions" -> post(method, () -> openAi.completions(x));
                case "/embed" -> post(method, () -> tei.embed(x));
                case "/predict" -> post(method, () -> tei.predict(x));
                case "/v1/models" -> get(method, () -> openAi.listModels(x));
                case "/health" -> get(method, () -> health(x));
                case "/metrics" -> get(method, () -> x.send(200, "text/plain; version=0.0.4", metrics.render(models.all())));
                default -> throw new ApiError(404, "invalid_request_error", null, "not_found", "No route " + path
                        + "; the server answers /v1/embeddings, /v1/completions, /v1/models, /embed, /predict, /health"
                        + " and /metrics");
            }
        }

        private void health(Exchange x) {
            JsonObject o = new JsonObject();
            o.addProperty("status", stopping ? "stopping" : "ok");
            x.json(stopping ? 503 : 200, o);
        }
    }

    /** A request's deadline passed while it waited for a scheduler. */
    static final class UncheckedTimeout extends RuntimeException {
        UncheckedTimeout(Throwable cause) {
            super(cause);
        }
    }

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    private static void post(String method, Action action) throws Exception {
        if (!method.equals("POST")) {
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed", "Use POST, not " + method);
        }
        action.run();
    }

    private static void get(String method, Action action) throws Exception {
        if (!method.equals("GET")) {
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed", "Use GET, not " + method);
        }
        action.run();
    }

    private static void error(Exchange x, ApiError e) {
        if (x.response.isCommitted()) { // a stream already started: nothing more can be said
            x.callback.failed(e);
            return;
        }
        JsonObject err = new JsonObject();
        err.addProperty("message", e.getMessage());
        err.addProperty("type", e.type);
        err.add("param", e.param == null ? com.google.gson.JsonNull.INSTANCE : new JsonPrimitive(e.param));
        err.add("code", e.code == null ? com.google.gson.JsonNull.INSTANCE : new JsonPrimitive(e.code));
        JsonObject out = new JsonObject();
        out.add("error", err);
        x.json(e.status, out);
    }
}
