package org.transformers4j.backend;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Wraps a backend and adds up the wall time spent in each operation, by kernel family (GEMM,
 * attention, norms, other), so that the next optimisation target is visible.
 */
public final class ProfilingBackend implements Backend {
    private final Backend inner;
    private final Map<String, LongAdder> nanos = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();

    public ProfilingBackend(Backend inner) {
        this.inner = inner;
    }

    /** {@return nanoseconds per operation name so far} */
    public Map<String, Long> nanosByOperation() {
        Map<String, Long> out = new TreeMap<>();
        nanos.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Calls per operation name so far. */
    public Map<String, Long> callsByOperation() {
        Map<String, Long> out = new TreeMap<>();
        calls.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** {@return nanoseconds per kernel family: gemm, attention, norm, other} */
    public Map<String, Long> nanosByFamily() {
        Map<String, Long> out = new TreeMap<>();
        nanos.forEach((k, v) -> out.merge(family(k), v.sum(), Long::sum));
        return out;
    }

    static String family(String op) {
        return switch (op) {
            case "matmul", "linear" -> "gemm";
            case "attention", "softmax" -> "attention";
            case "layerNorm", "rmsNorm" -> "norm";
            default -> "other";
        };
    }

    /** {@return one line per family with its share of the total} */
    public String report() {
        Map<String, Long> f = nanosByFamily();
        long total = f.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder sb = new StringBuilder();
        f.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%-10s %9.2f ms %5.1f%%%n", k, v / 1e6,
                100.0 * v / Math.max(total, 1))));
        return sb.toString();
    }

    /** Forgets what was measured. */
    public void reset() {
        nanos.clear();
        calls.clear();
    }

    private void time(String op, Runnable r) {
        long t0 = System.nanoTime();
        try {
            r.run();
        } finally {
            nanos.computeIfAbsent(op, k -> new LongAdder()).add(System.nanoTime() - t0);
            calls.computeIfAbsent(op, k -> new LongAdder()).increment();
        }
    }

    @Override
    public String name() {
        return inner.name() + "+profiling";
    }

    @Override
    public Device device() {
        return inner.device();
    }

    @Override
    public String gemmProvider() {
        return inner.gemmProvider();
    }

    @Override
    public String kernelProvider() {
        return inner.kernelProvider();
    }

    @Override
    public DType weightType() {
        return inner.weightType();
    }

    @Override
    public Tensor weightMatrix(Tensor hostValues, TensorArena arena) {
        return inner.weightMatrix(hostValues, arena);
    }

    @Override
    public Tensor int8Matrix(Tensor q, Tensor scale, boolean perTensorActivations, TensorArena arena) {
        return inner.int8Matrix(q, scale, perTensorActivations, arena);
    }

    @Override
    public void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta) {
        time("matmul", () -> inner.matmul(a, transA, b, transB, c, alpha, beta));
    }

    @Override
    public void linear(Tensor x, Tensor w, Tensor bias, Activation act, Tensor y) {
        // the product with its bias/activation epilogue, as the backend runs it
        time("linear", () -> inner.linear(x, w, bias, act, y));
    }

    @Override
    public void layerNorm(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, Tensor beta, float eps, Tensor y) {
        time("layerNorm", () -> inner.layerNorm(x, residual, sumOut, gamma, beta, eps, y));
    }

    @Override
    public void rmsNorm(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, float eps, Tensor y) {
        time("rmsNorm", () -> inner.rmsNorm(x, residual, sumOut, gamma, eps, y));
    }

    @Override
    public void softmax(Tensor x, SoftmaxOptions options, Tensor y) {
        time("softmax", () -> inner.softmax(x, options, y));
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, AttentionOptions options, Tensor out) {
        time("attention", () -> inner.attention(q, k, v, options, out));
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor y) {
        time("add", () -> inner.add(a, b, y));
    }

    @Override
    public void activation(Activation act, Tensor x, Tensor y) {
        time("activation", () -> inner.activation(act, x, y));
    }

    @Override
    public void biasActivation(Activation act, Tensor x, Tensor bias, Tensor y) {
        time("biasActivation", () -> inner.biasActivation(act, x, bias, y));
    }

    @Override
    public void gatedActivation(Activation act, Tensor gate, Tensor up, Tensor y) {
        time("gatedActivation", () -> inner.gatedActivation(act, gate, up, y));
    }

    @Override
    public void rope(Tensor x, long[] positions, Tensor invFreq) {
        time("rope", () -> inner.rope(x, positions, invFreq));
    }

    @Override
    public void embedding(Tensor table, Tensor ids, Tensor out) {
        time("embedding", () -> inner.embedding(table, ids, out));
    }

    @Override
    public void scale(Tensor x, float alpha, Tensor y) {
        time("scale", () -> inner.scale(x, alpha, y));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        time("copy", () -> inner.copy(src, dst));
    }

    @Override
    public void close() {
        inner.close();
    }
}
