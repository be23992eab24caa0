package org.transformers4j.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * sgemm at 2048^3 through OpenBLAS (the compute ceiling the other kernels are measured
 * against) and through the built-in GEMM, plus a BERT-base feed-forward shape
 * (128 tokens x 768 -> 3072, weights [3072, 768] transposed) and MiniLM's for 8 sentences of 128
 * tokens (1024 x 384 -> 1536): each as a bare OpenBLAS product and as a linear layer (bias +
 * GELU), which takes libt4j_cpu's product on weights packed once at these row counts.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class GemmBench {
    static final int N = 2048;
    /** Floating-point operations of one 2048^3 product. */
    public static final double FLOPS = 2.0 * N * N * N;
    /** Floating-point operations of one 128 x 768 x 3072 product. */
    public static final double FFN_FLOPS = 2.0 * 128 * 768 * 3072;
    /** Floating-point operations of one 1024 x 384 x 1536 product. */
    public static final double MINILM_FLOPS = 2.0 * 1024 * 384 * 1536;

    CpuBackend openBlas, builtIn;
    TensorArena arena;
    Tensor a, b, c, x, w, bias, y, xs, ws, biasSmall, ys;

    @Setup(Level.Trial)
    public void setup() {
        openBlas = CpuBackend.create();
        builtIn = CpuBackend.withBuiltInGemm();
        arena = TensorArena.shared();
        a = Inputs.random(arena, 1, N, N);
        b = Inputs.random(arena, 2, N, N);
        c = arena.zeros(N, N);
        x = Inputs.random(arena, 3, 128, 768);
        w = Inputs.random(arena, 4, 3072, 768);
        openBlas.weightMatrix(w, arena); // a layer's weight: packed once by the products that use it
        bias = Inputs.random(arena, 5, 3072);
        y = arena.zeros(128, 3072);
        xs = Inputs.random(arena, 6, 1024, 384);
        ws = Inputs.random(arena, 7, 1536, 384);
        openBlas.weightMatrix(ws, arena);
        biasSmall = Inputs.random(arena, 8, 1536);
        ys = arena.zeros(1024, 1536);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void sgemmOpenBlas() {
        openBlas.matmul(a, false, b, false, c, 1, 0);
    }

    @Benchmark
    public void sgemmBuiltIn() {
        builtIn.matmul(a, false, b, false, c, 1, 0);
    }

    @Benchmark
    public void ffnOpenBlas() {
        openBlas.matmul(x, false, w, true, y, 1, 0);
    }

    @Benchmark
    public void ffnBuiltIn() {
        builtIn.matmul(x, false, w, true, y, 1, 0);
    }

    @Benchmark
    public void ffnLinear() {
        openBlas.linear(x, w, bias, Activation.GELU, y);
    }

    @Benchmark
    public void miniLmOpenBlas() {
        openBlas.matmul(xs, false, ws, true, ys, 1, 0);
    }

    @Benchmark
    public void miniLmLinear() {
        openBlas.linear(xs, ws, biasSmall, Activation.GELU, ys);
    }
}
