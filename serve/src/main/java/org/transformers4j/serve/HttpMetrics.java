package org.transformers4j.serve;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.transformers4j.scheduler.Histogram;
import org.transformers4j.scheduler.SchedulerMetrics;
import org.transformers4j.tensor.TensorArena;

/**
 * The server's counters, and the schedulers', in Prometheus' text format: requests and latency
 * per endpoint, and per model the queue, batches, tokens (with a tokens-per-second gauge over the
 * time since the previous scrape) and request latencies.
 */
final class HttpMetrics {
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();

    /** Records one answered request. */
    void record(String endpoint, int status, long nanos) {
        latency.computeIfAbsent(endpoint, e -> Histogram.seconds()).observe(nanos / 1e9);
        requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new LongAdder()).increment();
    }

    String render(List<ServedModel> models) {
        StringBuilder sb = new StringBuilder();
        header(sb, "t4j_http_requests_total", "counter", "HTTP requests answered, by endpoint and status");
        requests.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String[] k = e.getKey().split("\u0000");
            sample(sb, "t4j_http_requests_total", "endpoint=\"" + k[0] + "\",status=\"" + k[1] + "\"", e.getValue().sum());
        });
        header(sb, "t4j_http_request_duration_seconds", "histogram", "Time to answer a request, by endpoint");
        latency.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                histogram(sb, "t4j_http_request_duration_seconds", "endpoint=\"" + e.getKey() + "\"", e.getValue()));
        schedulers(sb, models);
        header(sb, "t4j_scratch_pool_bytes", "gauge", "Native scratch memory held by the pool, in use or idle");
        sample(sb, "t4j_scratch_pool_bytes", "", TensorArena.poolBytes());
        return sb.toString();
    }

    private void schedulers(StringBuilder sb, List<ServedModel> models) {
        header(sb, "t4j_scheduler_requests_total", "counter", "Requests a model's scheduler handled, by outcome");
        for (ServedModel m : models) {
            SchedulerMetrics s = m.metrics();
            String l = label(m);
            sample(sb, "t4j_scheduler_requests_total", l + ",outcome=\"completed\"", s.completed());
            sample(sb, "t4j_scheduler_requests_total", l + ",outcome=\"failed\"", s.failed());
            sample(sb, "t4j_scheduler_requests_total", l + ",outcome=\"rejected\"", s.rejected());
            sample(sb, "t4j_scheduler_requests_total", l + ",outcome=\"cancelled\"", s.cancelled());
        }
        gauge(sb, models, "t4j_scheduler_queue_depth", "Requests waiting", s -> s.queueDepth());
        gauge(sb, models, "t4j_scheduler_in_flight", "Requests being computed", s -> s.inFlight());
        gauge(sb, models, "t4j_scheduler_batches_total", "Forward passes run", SchedulerMetrics::batches);
        gauge(sb, models, "t4j_scheduler_tokens_total", "Tokens computed (prompt and generated)", SchedulerMetrics::tokens);
        gauge(sb, models, "t4j_scheduler_busy_seconds_total", "Seconds the model spent in forward passes",
                SchedulerMetrics::busySeconds);
        gauge(sb, models, "t4j_scheduler_tokens_per_second", "Tokens computed per second over the last 10 seconds",
                SchedulerMetrics::tokensPerSecond);
        histograms(sb, models, "t4j_scheduler_batch_rows", "Rows per forward pass", SchedulerMetrics::batchRows);
        histograms(sb, models, "t4j_scheduler_batch_tokens", "Tokens per forward pass, padding counted",
                SchedulerMetrics::batchTokens);
        histograms(sb, models, "t4j_scheduler_queue_wait_seconds", "Time from submission to the first pass",
                SchedulerMetrics::queueWait);
        histograms(sb, models, "t4j_scheduler_request_duration_seconds", "Time from submission to the answer",
                SchedulerMetrics::latency);
    }

    private static String label(ServedModel m) {
        return "model=\"" + m.name.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void gauge(StringBuilder sb, List<ServedModel> models, String name, String help,
                              java.util.function.ToDoubleFunction<SchedulerMetrics> value) {
        header(sb, name, name.endsWith("_total") ? "counter" : "gauge", help);
        for (ServedModel m : models) {
            sample(sb, name, label(m), value.applyAsDouble(m.metrics()));
        }
    }

    private static void histograms(StringBuilder sb, List<ServedModel> models, String name, String help,
                                   java.util.function.Function<SchedulerMetrics, Histogram> h) {
        header(sb, name, "histogram", help);
        for (ServedModel m : models) {
            histogram(sb, name, label(m), h.apply(m.metrics()));
        }
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void histogram(StringBuilder sb, String name, String labels, Histogram h) {
        double[] bounds = h.bounds();
        long[] counts = h.cumulativeCounts();
        String sep = labels.isEmpty() ? "" : ",";
        for (int i = 0; i < bounds.length; i++) {
            sample(sb, name + "_bucket", labels + sep + "le=\"" + number(bounds[i]) + "\"", counts[i]);
        }
        sample(sb, name + "_bucket", labels + sep + "le=\"+Inf\"", h.count());
        sample(sb, name + "_sum", labels, h.sum());
        sample(sb, name + "_count", labels, h.count());
    }

    private static void sample(StringBuilder sb, String name, String labels, double value) {
        sb.append(name);
        if (!labels.isEmpty()) {
            sb.append('{').append(labels).append('}');
        }
        sb.append(' ').append(number(value)).append('\n');
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.6g", v);
    }
}
