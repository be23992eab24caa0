package org.transformers4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.backend.cuda.CudaBackend;
import org.transformers4j.backend.reference.ReferenceBackend;
import org.transformers4j.tensor.SimulatedGpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Every op of the {@link Op} table, at odd sizes and with each of its options, on every backend
 * present, against one oracle: {@link ReferenceBackend} (docs/ops.md). The backends: libt4j_cpu
 * per instruction set the CPU has (built-in GEMM), libt4j_cpu with OpenBLAS, the simulated GPU,
 * the C references of native/ref (the truth of the C kernel tests, so that they answer to the same
 * oracle), and CudaBackend on the CUDA emulator (or a GPU) in a child JVM. Inputs come from a seed
 * per case, so every backend sees the same values; outputs start as NaN, so an element a kernel
 * forgets to write shows. Bound: relative error (max abs error over max abs value) 1e-5, and
 * exact equality for the ops that only move or add values.
 */
class OpCasesTest {
    static final double BOUND = 1e-5;
    static final Set<Op> EXACT = EnumSet.of(Op.ADD, Op.SCALE, Op.COPY, Op.EMBEDDING);
    static final List<OpCase> CASES = cases();
    static final Map<String, List<float[]>> EXPECTED = new ConcurrentHashMap<>();
    static final Map<String, Target> TARGETS = new LinkedHashMap<>();
    static ReferenceBackend oracle;

    /** One case of one op: what it runs, given the backend's inputs and outputs. */
    record OpCase(Op op, String label, Function<Env, List<Tensor>> run) {
        @Override
        public String toString() {
            return op.method() + " " + label;
        }
    }

    /**
     * A backend under test, with the instruction set it runs on (null: whatever the CPU's best is)
     * and the ops it does not have.
     */
    record Target(String name, String isa, Supplier<Backend> open, Backend[] backend, Set<Op> missing) {
        Target(String name, String isa, Supplier<Backend> open) {
            this(name, isa, open, new Backend[1], Set.of());
        }

        Backend get() {
            if (backend[0] == null) {
                backend[0] = open.get();
            }
            return backend[0];
        }
    }

    @BeforeAll
    static void open() {
        oracle = new ReferenceBackend();
        String best = CpuBackend.limitInstructionSet(null);
        for (String isa : List.of("avx512", "avx2", "scalar")) {
            if (CpuBackend.limitInstructionSet(isa).equals(isa)) { // else this CPU lacks it
                TARGETS.put("cpu-" + isa, new Target("cpu-" + isa, isa, CpuBackend::withBuiltInGemm));
            }
        }
        CpuBackend.limitInstructionSet(null);
        TARGETS.put("cpu-blas", new Target("cpu-blas (" + best + ")", null, CpuBackend::create));
        TARGETS.put("simulated-gpu", new Target("simulated-gpu", null, SimulatedGpuBackend::create));
        if (CReferenceBackend.available()) { // built with the kernel tests
            TARGETS.put("c-reference", new Target("c-reference", null, CReferenceBackend::new, new Backend[1],
                    CReferenceBackend.MISSING));
        }
        System.out.println("op cases: " + CASES.size() + " per backend, " + Op.values().length + " ops, "
                + TARGETS.size() + " backends (" + TARGETS.values().stream().map(Target::name)
                .collect(Collectors.joining(", ")) + "): "
                + TARGETS.values().stream().mapToLong(t -> CASES.stream().filter(c -> !t.missing().contains(c.op()))
                .count()).sum() + " checks");
    }

    @AfterAll
    static void close() {
        CpuBackend.limitInstructionSet(null);
        for (Target t : TARGETS.values()) {
            if (t.backend()[0] != null) {
                t.backend()[0].close();
            }
        }
        oracle.close();
    }

    static Stream<Arguments> checks() {
        // every backend that can be present, so that the names are stable; one this machine lacks is skipped
        return Stream.of("cpu-avx512", "cpu-avx2", "cpu-scalar", "cpu-blas", "simulated-gpu", "c-reference")
                .flatMap(n -> CASES.stream().map(c -> Arguments.of(n, c)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("checks")
    void opMatchesTheOracle(String backendName, OpCase c) {
        Target target = TARGETS.get(backendName);
        assumeTrue(target != null, backendName + " is not here (an instruction set this CPU lacks, or a native "
                + "build without the kernel tests)");
        assumeTrue(!target.missing().contains(c.op()), backendName + " has no " + c.op());
        List<float[]> want = EXPECTED.computeIfAbsent(c.toString(), k -> run(oracle, c));
        CpuBackend.limitInstructionSet(target.isa());
        try {
            if (target.isa() != null) {
                assertTrue(target.get().kernelProvider().contains(target.isa()), target.get().kernelProvider());
            }
            String failure = compare(backendName, c, run(target.get(), c), want);
            assertTrue(failure == null, failure);
        } finally {
            CpuBackend.limitInstructionSet(null);
        }
    }

    /** Null when got matches want within the op's bound, else what differs. */
    static String compare(String backendName, OpCase c, List<float[]> got, List<float[]> want) {
        if (got.size() != want.size()) {
            return backendName + " " + c + ": " + got.size() + " outputs, expected " + want.size();
        }
        for (int i = 0; i < want.size(); i++) {
            double err = relativeError(got.get(i), want.get(i));
            double bound = EXACT.contains(c.op()) ? 0 : BOUND;
            if (!(err <= bound)) {
                return backendName + " " + c + " output " + i + ": relative error " + err + " exceeds " + bound;
            }
        }
        return null;
    }

    /**
     * Every case on CudaBackend itself (device memory, cuBLAS calls, the bindings) in float32, on the
     * CUDA emulator the native build makes (native/tests/emu) where there is no GPU: in a fresh JVM
     * whose CUDA toolkit is the emulated one, as cli's EmulatedGpuTest runs the commands.
     */
    @Test
    void everyCaseOnTheEmulatedCudaBackend() throws Exception {
        Path toolkit = Path.of("target/native/emu-toolkit").toAbsolutePath().normalize();
        Path kernels = toolkit.resolve("lib64/libt4j_cuda_emulated.so");
        assumeTrue(Files.isRegularFile(kernels), "no emulated CUDA toolkit (built where a C++ compiler is): "
                + kernels);
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dt4j.cuda.kernels=" + kernels, "-cp",
                System.getProperty("java.class.path"), OnCuda.class.getName()).redirectErrorStream(true);
        pb.environment().put("CUDA_HOME", toolkit.toString());
        pb.environment().remove("CUDA_PATH");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("cuda: " + CASES.size() + " cases, 0 failed"), out);
        System.out.print(out);
    }

    /** Runs every case on CudaBackend (cuda:0, float32) against the oracle; exit status 1 when one fails. */
    static final class OnCuda {
        public static void main(String[] args) {
            int failed = 0;
            try (Backend cuda = CudaBackend.create(0); ReferenceBackend ref = new ReferenceBackend()) {
                for (OpCase c : CASES) {
                    String failure;
                    try {
                        failure = compare("cuda", c, run(cuda, c), run(ref, c));
                    } catch (RuntimeException e) {
                        failure = "cuda " + c + ": " + e;
                    }
                    if (failure != null) {
                        failed++;
                        System.out.println(failure);
                    }
                }
                System.out.println("cuda: " + CASES.size() + " cases, " + failed + " failed (" + cuda.kernelProvider()
                        + ", " + cuda.gemmProvider() + ")");
            }
            System.exit(failed == 0 ? 0 : 1);
        }
    }

    /**
     * The table and the interface agree: every op of Backend has one entry, every entry a case and
     * its row in docs/ops.md.
     */
    @Test
    void everyBackendOpIsInTheTableAndHasCases() throws Exception {
        String doc = Files.readString(Path.of("../docs/ops.md"));
        Set<String> ops = Arrays.stream(Backend.class.getDeclaredMethods())
                .filter(m -> m.getReturnType() == void.class && !m.isDefault() && !m.getName().equals("close"))
                .map(java.lang.reflect.Method::getName).collect(Collectors.toSet());
        Set<String> table = Arrays.stream(Op.values()).map(Op::method).collect(Collectors.toSet());
        assertEquals(ops, table, "Backend's ops against the op table");
        for (Op op : Op.values()) {
            assertTrue(CASES.stream().anyMatch(c -> c.op() == op), op + " has no case");
            String row = "| `" + op.method() + "` | " + op.family().name().toLowerCase(java.util.Locale.ROOT) + " | `"
                    + op.shapes() + "` | `" + op.formula() + "` |";
            assertTrue(doc.contains(row), "docs/ops.md lacks the row of " + op + ", which the table makes:\n" + row);
        }
        for (java.lang.reflect.Method m : Backend.class.getMethods()) {
            assertEquals(ops.contains(m.getName()) ? Op.ofMethod(m.getName()) : null, Op.of(m), m.getName());
        }
    }

    static List<float[]> run(Backend backend, OpCase c) {
        try (TensorArena device = backend.longLived(); TensorArena host = TensorArena.confined()) {
            Env env = new Env(backend, device, host, new SplittableRandom(c.toString().hashCode()));
            List<float[]> out = new ArrayList<>();
            for (Tensor t : c.run().apply(env)) {
                out.add(backend.toHost(t, host).toFloatArray());
            }
            return out;
        }
    }

    /** max |got - want| / max |want| over the elements; infinite where NaN-ness differs (NaN: never written). */
    static double relativeError(float[] g, float[] w) {
        if (g.length != w.length) {
            return Double.POSITIVE_INFINITY;
        }
        double err = 0, mag = 0;
        for (int i = 0; i < g.length; i++) {
            double d = Float.isNaN(g[i]) != Float.isNaN(w[i]) ? Double.POSITIVE_INFINITY : Math.abs(g[i] - w[i]);
            err = Double.isNaN(d) ? err : Math.max(err, d);
            mag = Float.isNaN(w[i]) ? mag : Math.max(mag, Math.abs(w[i]));
        }
        return mag == 0 ? err : err / mag;
    }

    /** A case's inputs and outputs on one backend's device. */
    record Env(Backend b, TensorArena device, TensorArena host, SplittableRandom rnd) {
        /** Uniform values in [-spread, spread). */
        Tensor in(float spread, long... dims) {
            float[] v = new float[Math.toIntExact(Arrays.stream(dims).reduce(1, Math::multiplyExact))];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rnd.nextDouble(-spread, spread);
            }
            return b.floats(v, device, dims);
        }

        /** NaN everywhere. */
        Tensor out(long... dims) {
            float[] v = new float[Math.toIntExact(Arrays.stream(dims).reduce(1, Math::multiplyExact))];
            Arrays.fill(v, Float.NaN);
            return b.floats(v, device, dims);
        }
    }

    static List<OpCase> cases() {
        List<OpCase> all = new ArrayList<>();
        matmul(all);
        linear(all);
        norms(all);
        softmax(all);
        attention(all);
        elementwise(all);
        ropeEmbeddingCopy(all);
        return List.copyOf(all);
    }

    static void add(List<OpCase> all, Op op, String label, Function<Env, List<Tensor>> run) {
        all.add(new OpCase(op, label, run));
    }

    static void matmul(List<OpCase> all) {
        int[][] sizes = {{1, 1, 1}, {7, 33, 5}, {33, 129, 100}, {129, 48, 65}};
        for (int[] mnk : sizes) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                for (float beta : new float[] {0f, 0.5f}) {
                    add(all, Op.MATMUL, m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb + " beta=" + beta,
                            e -> {
                                // views with row strides wider than the rows
                                Tensor a = e.in(1, ta ? k : m, (ta ? m : k) + 3).narrow(1, 0, ta ? m : k);
                                Tensor b = e.in(1, tb ? n : k, (tb ? k : n) + 1).narrow(1, 0, tb ? k : n);
                                Tensor c = beta == 0 ? e.out(m, n) : e.in(1, m, n);
                                e.b().matmul(a, ta, b, tb, c, 1.25f, beta);
                                return List.of(c);
                            });
                }
            }
        }
    }

    /** Each path of a linear layer on the CPU: streamed weights (<= 16 rows), packed weights, BLAS (> 256 rows). */
    static void linear(List<OpCase> all) {
        for (int rows : new int[] {1, 7, 17, 129, 300}) {
            for (Activation act : Activation.values()) {
                for (boolean bias : new boolean[] {true, false}) {
                    if (!bias && act != Activation.NONE && act != Activation.GELU) {
                        continue;
                    }
                    add(all, Op.LINEAR, "rows=" + rows + " in=37 out=129 " + act + (bias ? " bias" : ""), e -> {
                        Tensor x = e.in(1, rows, 37), w = e.in(1, 129, 37), y = e.out(rows, 129);
                        e.b().linear(x, w, bias ? e.in(1, 129) : null, act, y);
                        return List.of(y);
                    });
                }
            }
        }
    }

    static void norms(List<OpCase> all) {
        for (int rows : new int[] {1, 7, 33}) {
            for (int cols : new int[] {5, 49, 769}) {
                String size = "rows=" + rows + " C=" + cols;
                add(all, Op.LAYER_NORM, size, e -> {
                    Tensor x = e.in(3, rows, cols), y = e.out(rows, cols);
                    e.b().layerNorm(x, null, null, e.in(1.5f, cols), e.in(0.5f, cols), 1e-12f, y);
                    return List.of(y);
                });
                add(all, Op.LAYER_NORM, size + " residual, sum, no beta", e -> {
                    Tensor x = e.in(3, rows, cols), r = e.in(2, rows, cols);
                    Tensor s = e.out(rows, cols), y = e.out(rows, cols);
                    e.b().layerNorm(x, r, s, e.in(1.5f, cols), null, 1e-5f, y);
                    return List.of(y, s);
                });
                add(all, Op.LAYER_NORM, size + " in place", e -> {
                    // as a transformer block runs it: y over x, the sum over the residual
                    Tensor x = e.in(3, rows, cols), r = e.in(2, rows, cols);
                    e.b().layerNorm(x, r, r, e.in(1.5f, cols), e.in(0.5f, cols), 1e-5f, x);
                    return List.of(x, r);
                });
                add(all, Op.RMS_NORM, size, e -> {
                    Tensor x = e.in(3, rows, cols), y = e.out(rows, cols);
                    e.b().rmsNorm(x, null, null, e.in(1.5f, cols), 1e-6f, y);
                    return List.of(y);
                });
                add(all, Op.RMS_NORM, size + " residual, sum", e -> {
                    Tensor x = e.in(3, rows, cols), r = e.in(2, rows, cols);
                    Tensor s = e.out(rows, cols), y = e.out(rows, cols);
                    e.b().rmsNorm(x, r, s, e.in(1.5f, cols), 1e-6f, y);
                    return List.of(y, s);
                });
            }
        }
    }

    static void softmax(List<OpCase> all) {
        int[][] sizes = {{1, 1}, {1, 7}, {4, 7}, {17, 33}, {65, 129}};
        for (int[] st : sizes) {
            int s = st[0], t = st[1];
            int[] starts = {0, Math.min(1, t - 1), 0}, lengths = {t, t / 2, 0}; // batch 2 fully masked
            List<Function<Env, SoftmaxOptions>> options = List.of(
                    e -> SoftmaxOptions.scaled(0.37f),
                    e -> SoftmaxOptions.scaled(1f).withMask(e.in(2, 3, 1, s, t)).withKeyLength(lengths),
                    e -> SoftmaxOptions.scaled(0.5f).withCausal().withKeyStart(starts).withKeyLength(lengths),
                    e -> SoftmaxOptions.scaled(0.5f).withCausal().withMask(e.in(2, 3, 1, s, t)),
                    e -> SoftmaxOptions.scaled(-0.5f).withKeyLength(lengths));
            String[] names = {"scaled", "mask, key lengths", "causal, key starts and lengths", "causal, mask",
                "negative scale, key lengths"};
            for (int i = 0; i < options.size(); i++) {
                Function<Env, SoftmaxOptions> o = options.get(i);
                add(all, Op.SOFTMAX, "S=" + s + " T=" + t + " " + names[i], e -> {
                    Tensor x = e.in(4, 3, 2, s, t), y = e.out(3, 2, s, t);
                    e.b().softmax(x, o.apply(e), y);
                    return List.of(y);
                });
            }
            add(all, Op.SOFTMAX, "S=" + s + " T=" + t + " in place", e -> {
                Tensor x = e.in(4, 3, 2, s, t);
                e.b().softmax(x, SoftmaxOptions.scaled(1f).withKeyLength(lengths), x);
                return List.of(x);
            });
        }
    }

    /** B, S, T, H, K, D, causal, window, padding, bias, KV cache with spare capacity, scale. */
    record Attn(int b, int s, int t, int h, int k, int d, boolean causal, int window, boolean padded, boolean bias,
                boolean cache, float scale) {
        @Override
        public String toString() {
            return "B=" + b + " S=" + s + " T=" + t + " H=" + h + " K=" + k + " D=" + d + (causal ? " causal" : "")
                    + (window > 0 ? " window=" + window : "") + (padded ? " padded" : "") + (bias ? " bias" : "")
                    + (cache ? " cache" : "") + " scale=" + scale;
        }
    }

    static void attention(List<OpCase> all) {
        for (int t : new int[] {1, 7, 33, 129}) {
            for (int d : new int[] {12, 64, 80}) {
                float sc = (float) (1 / Math.sqrt(d));
                List<Attn> cs = new ArrayList<>(List.of(new Attn(3, t, t, 2, 2, d, false, 0, true, false, false, sc),
                        new Attn(3, t, t, 2, 2, d, true, 0, true, false, false, sc)));
                if (t >= 7) {
                    cs.addAll(List.of(new Attn(2, t, t, 4, 2, d, true, 0, false, false, false, sc),
                            new Attn(2, t, t, 2, 1, d, true, 4, true, false, false, 1f),
                            new Attn(3, t, t, 3, 3, d, false, 0, true, true, false, 1f),
                            new Attn(2, 1, t, 4, 2, d, true, 0, true, false, true, sc),
                            new Attn(2, t / 2 + 1, t, 2, 2, d, true, 0, true, true, true, sc),
                            new Attn(3, t + 6, t, 2, 2, d, false, 0, true, false, false, sc), // cross, S > T
                            new Attn(2, t, t, 2, 2, d, false, 0, false, false, false, sc))); // padding mask as bias
                }
                for (Attn c : cs) {
                    add(all, Op.ATTENTION, c.toString(), e -> attentionCase(e, c));
                }
            }
        }
    }

    static List<Tensor> attentionCase(Env e, Attn c) {
        int cap = c.cache() ? c.t() + 5 : c.t();
        Tensor q = e.in(1, c.b(), c.s(), c.h(), c.d());
        Tensor k = e.in(1, c.b(), cap, c.k(), c.d()).narrow(1, 0, c.t());
        Tensor v = e.in(1, c.b(), cap, c.k(), c.d()).narrow(1, 0, c.t());
        Tensor out = e.out(c.b(), c.s(), c.h(), c.d());
        AttentionOptions o = AttentionOptions.scaled(c.scale());
        if (c.causal()) {
            o = o.withCausal();
        }
        if (c.window() > 0) {
            o = o.withWindow(c.window());
        }
        if (c.padded()) {
            int[] starts = new int[c.b()], lengths = new int[c.b()];
            for (int b = 0; b < c.b(); b++) {
                starts[b] = b % 3 == 1 && c.t() > 3 ? 2 : 0;
                lengths[b] = b % 3 == 2 ? 0 : c.t() - (b % 2) * (c.t() / 3); // batch 2: every query fully masked
            }
            o = o.withKeyStart(starts).withKeyLength(lengths);
        }
        if (c.bias()) {
            o = o.withBias(e.in(3, 1, c.h(), c.s(), c.t())); // T5 style, shared across the batch
        } else if (!c.padded() && c.window() == 0 && c.s() > 1) {
            float[] mask = new float[c.b() * c.t()]; // a padding mask, broadcast over heads and queries
            for (int i = 0; i < mask.length; i++) {
                boolean masked = i % c.t() % 3 == 0;
                mask[i] = masked ? Float.NEGATIVE_INFINITY : (float) e.rnd().nextDouble(-2, 2);
            }
            o = o.withBias(e.b().floats(mask, e.device(), c.b(), 1, 1, c.t()));
        }
        e.b().attention(q, k, v, o, out);
        return List.of(out);
    }

    static void elementwise(List<OpCase> all) {
        long[][] shapes = {{1}, {7, 129}, {3, 1025}};
        for (long[] shape : shapes) {
            String size = Arrays.toString(shape);
            add(all, Op.ADD, size, e -> {
                Tensor a = e.in(3, shape), y = e.out(shape);
                e.b().add(a, e.in(3, shape), y);
                return List.of(y);
            });
            add(all, Op.ADD, size + " in place", e -> {
                Tensor a = e.in(3, shape);
                e.b().add(a, e.in(3, shape), a);
                return List.of(a);
            });
            add(all, Op.SCALE, size, e -> {
                Tensor x = e.in(1, shape), y = e.out(shape);
                e.b().scale(x, 0.37f, y);
                return List.of(y);
            });
        }
        for (Activation act : Activation.values()) {
            for (int cols : new int[] {1, 129}) {
                add(all, Op.ACTIVATION, act + " [7, " + cols + "]", e -> {
                    Tensor x = e.in(6, 7, cols), y = e.out(7, cols);
                    e.b().activation(act, x, y);
                    return List.of(y);
                });
            }
            for (boolean bias : new boolean[] {true, false}) {
                add(all, Op.BIAS_ACTIVATION, act + " [7, 129]" + (bias ? " bias" : ""), e -> {
                    Tensor x = e.in(6, 7, 129), y = e.out(7, 129);
                    e.b().biasActivation(act, x, bias ? e.in(1, 129) : null, y);
                    return List.of(y);
                });
            }
            add(all, Op.GATED_ACTIVATION, act + " [7, 129] halves of a fused [7, 258]", e -> {
                Tensor fused = e.in(4, 7, 2 * 129); // gate | up split in place
                Tensor y = e.out(7, 129);
                e.b().gatedActivation(act, fused.narrow(1, 0, 129), fused.narrow(1, 129, 129), y);
                return List.of(y);
            });
        }
    }

    static void ropeEmbeddingCopy(List<OpCase> all) {
        for (int d : new int[] {12, 64, 80}) {
            for (int rot : new int[] {d, d / 2 - d / 2 % 2}) {
                add(all, Op.ROPE, "B=2 S=33 heads=3 of a fused QKV, D=" + d + " rotated=" + rot, e -> {
                    int b = 2, s = 33, h = 3;
                    Tensor qkv = e.in(2, b, s, 3 * h, d); // q | k | v heads side by side
                    long[] pos = new long[b * s];
                    for (int i = 0; i < pos.length; i++) {
                        pos[i] = (i % s) * 7L + i / s * 100003L; // the second sequence where float32 angles lose digits
                    }
                    float[] inv = new float[rot / 2];
                    for (int i = 0; i < inv.length; i++) { // scaled frequencies, some divided and some not
                        inv[i] = (float) Math.pow(10000, -2.0 * i / rot) / (1 + (e.rnd().nextFloat() + 1) * (i % 3));
                    }
                    e.b().rope(qkv.narrow(2, 0, h), pos, e.b().floats(inv, e.device(), inv.length));
                    return List.of(qkv); // the other heads untouched
                });
            }
        }
        for (int[] vcn : new int[][] {{101, 48, 13}, {1001, 33, 7}}) {
            add(all, Op.EMBEDDING, "V=" + vcn[0] + " C=" + vcn[1] + " ids=" + vcn[2], e -> {
                Tensor table = e.in(1, vcn[0], vcn[1]);
                long[] ids = new long[vcn[2]];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = (i * 37L + 5) % vcn[0];
                }
                Tensor out = e.out(vcn[2], vcn[1]);
                e.b().embedding(table, e.b().longs(ids, e.device(), vcn[2]), out);
                return List.of(out);
            });
        }
        add(all, Op.COPY, "contiguous [3, 100003]", e -> {
            Tensor src = e.in(1, 3, 100_003), dst = e.out(3, 100_003);
            e.b().copy(src, dst);
            return List.of(dst);
        });
        add(all, Op.COPY, "a head slice of a fused projection into a KV-cache slot", e -> {
            Tensor fused = e.in(1, 3, 7, 9, 12), cache = e.out(3, 11, 2, 12);
            e.b().copy(fused.narrow(2, 5, 2), cache.narrow(1, 4, 7));
            return List.of(cache);
        });
        add(all, Op.COPY, "rows of a wider matrix", e -> {
            Tensor src = e.in(1, 5, 17).narrow(1, 2, 13), dst = e.out(5, 13);
            e.b().copy(src, dst);
            return List.of(dst);
        });
    }
}
