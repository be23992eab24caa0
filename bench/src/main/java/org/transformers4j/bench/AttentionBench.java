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
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** Fused attention, B=4, H=12, S=T=512, D=64; flops counted as 4 B H S^2 D. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class AttentionBench {
    static final int B = 4, H = 12, S = 512, D = 64;
    /** Floating-point operations of one full (non-causal) attention. */
    public static final double FLOPS = 4.0 * B * H * S * S * D;

    CpuBackend cpu;
    TensorArena arena;
    Tensor q, k, v, out;
    AttentionOptions full, padded;

    @Setup(Level.Trial)
    public void setup() {
        cpu = CpuBackend.create();
        arena = TensorArena.shared();
        q = Inputs.random(arena, 1, B, S, H, D);
        k = Inputs.random(arena, 2, B, S, H, D);
        v = Inputs.random(arena, 3, B, S, H, D);
        out = arena.zeros(B, S, H, D);
        full = AttentionOptions.scaled(0.125f);
        padded = full.withKeyLength(S, S * 3 / 4, S / 2, S);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        cpu.close();
    }

    @Benchmark
    public void attention() {
        cpu.attention(q, k, v, full, out);
    }

    @Benchmark
    public void attentionCausal() {
        cpu.attention(q, k, v, full.withCausal(), out);
    }

    @Benchmark
    public void attentionKeyPadding() {
        cpu.attention(q, k, v, padded, out);
    }
}
