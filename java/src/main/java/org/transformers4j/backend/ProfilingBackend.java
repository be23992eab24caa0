package org.transformers4j.backend;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Adds up the wall time a backend spends in each operation, by kernel family (GEMM, attention,
 * norms, other), so that the next optimisation target is visible. {@link #backend()} is the
 * backend to run models on: the inner one with a timer at its one dispatch point
 * ({@link BackendDecorator}), so no operation needs code here.
 */
public final class ProfilingBackend {
    private final Backend backend;
    private final Map<String, LongAdder> nanos = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();

    /**
     * A profile of inner's operations; closing {@link #backend()} closes inner.
     *
     * @param inner the backend whose operations are timed
     */
    public ProfilingBackend(Backend inner) {
        this.backend = BackendDecorator.decorate(inner, inner.name() + "+profiling", this::time);
    }

    /** {@return the profiled backend: inner's operations, each timed} */
    public Backend backend() {
        return backend;
    }

    /** {@return nanoseconds per operation name ({@link Op#method()}) so far} */
    public Map<String, Long> nanosByOperation() {
        Map<String, Long> out = new TreeMap<>();
        nanos.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** {@return calls per operation name ({@link Op#method()}) so far} */
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
        Op o = Op.ofMethod(op);
        return (o == null ? Op.Family.OTHER : o.family()).name().toLowerCase(Locale.ROOT);
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

    // a linear layer is timed with its bias/activation epilogue, as the backend runs it
    private void time(Op op, Object[] args, BackendDecorator.Proceed proceed) throws Throwable {
        long t0 = System.nanoTime();
        try {
            proceed.run(args);
        } finally {
            nanos.computeIfAbsent(op.method(), k -> new LongAdder()).add(System.nanoTime() - t0);
            calls.computeIfAbsent(op.method(), k -> new LongAdder()).increment();
        }
    }
}
