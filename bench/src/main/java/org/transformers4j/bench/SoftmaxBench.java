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
import org.transformers4j.backend.SoftmaxOptions;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Masked softmax over [8, 12, 512, 512] float32 scores (96 MiB in, 96 MiB out), plain and
 * with a key-padding mask, beside a copy of the same bytes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SoftmaxBench {
    static final int B = 8, H = 12, S = 512;
    /** Bytes the plain softmax moves: scores read once, probabilities written once. */
    public static final long BYTES = 2L * B * H * S * S * 4;

    CpuBackend cpu;
    TensorArena arena;
    Tensor x, y;
    SoftmaxOptions plain, padded;

    @Setup(Level.Trial)
    public void setup() {
        cpu = CpuBackend.create();
        arena = TensorArena.shared();
        x = Inputs.random(arena, 1, B, H, S, S);
        y = Inputs.random(arena, 2, B, H, S, S);
        plain = SoftmaxOptions.scaled(0.125f);
        int[] lengths = new int[B];
        for (int b = 0; b < B; b++) {
            lengths[b] = b % 2 == 0 ? S : S * 3 / 4; // a quarter of the keys padded in half the batch
        }
        padded = plain.withKeyLength(lengths);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        cpu.close();
    }

    @Benchmark
    public void softmax() {
        cpu.softmax(x, plain, y);
    }

    @Benchmark
    public void softmaxPadded() {
        cpu.softmax(x, padded, y);
    }

    @Benchmark
    public void copySameBytes() {
        cpu.copy(x, y);
    }
}
