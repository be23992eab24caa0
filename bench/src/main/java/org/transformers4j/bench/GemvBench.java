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
 * A decode step's product: one row against GPT-2's LM head ([50257, 768], too large for any
 * cache), with float32 weights (154 MB) and bfloat16 weights (77 MB), beside a copy of the float32
 * weights' bytes (the memory-bandwidth ceiling of the same run).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class GemvBench {
    static final int ROWS = 50257, COLS = 768;
    /** Bytes of the float32 weights; the bfloat16 weights are half. */
    public static final long F32_BYTES = 4L * ROWS * COLS;

    CpuBackend f32, bf16;
    TensorArena arena;
    Tensor x, w, wBf16, y, copyDst;

    @Setup(Level.Trial)
    public void setup() {
        f32 = CpuBackend.create();
        bf16 = CpuBackend.withBf16Weights();
        arena = TensorArena.shared();
        x = Inputs.random(arena, 1, 1, COLS);
        w = Inputs.random(arena, 2, ROWS, COLS);
        wBf16 = bf16.weightMatrix(w, arena);
        y = arena.zeros(1, ROWS);
        copyDst = arena.zeros(ROWS, COLS);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        f32.close();
        bf16.close();
    }

    @Benchmark
    public void decodeRowF32() {
        f32.linear(x, w, null, Activation.NONE, y);
    }

    @Benchmark
    public void decodeRowBf16() {
        bf16.linear(x, wBf16, null, Activation.NONE, y);
    }

    @Benchmark
    public void copySameBytes() {
        f32.copy(w, copyDst);
    }
}
