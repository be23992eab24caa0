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
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Layer norm over [32768, 768] float32 (96 MB in, 96 MB out) beside a copy of the
 * same bytes (96 MB read, 96 MB written): the bandwidth ceiling for this traffic.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class NormBench {
    static final long ROWS = 32768, COLS = 768;
    /** Bytes each operation moves: x read once, y written once. */
    public static final long BYTES = 2 * ROWS * COLS * 4;

    CpuBackend cpu;
    TensorArena arena;
    Tensor x, y, gamma, beta;

    @Setup(Level.Trial)
    public void setup() {
        cpu = CpuBackend.create();
        arena = TensorArena.shared();
        x = Inputs.random(arena, 1, ROWS, COLS);
        y = Inputs.random(arena, 2, ROWS, COLS);
        gamma = Inputs.random(arena, 3, COLS);
        beta = Inputs.random(arena, 4, COLS);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        cpu.close();
    }

    @Benchmark
    public void layerNorm() {
        cpu.layerNorm(x, null, null, gamma, beta, 1e-12f, y);
    }

    @Benchmark
    public void rmsNorm() {
        cpu.rmsNorm(x, null, null, gamma, 1e-6f, y);
    }

    @Benchmark
    public void copySameBytes() {
        cpu.copy(x, y);
    }
}
