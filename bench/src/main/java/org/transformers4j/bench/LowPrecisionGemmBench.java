package org.transformers4j.bench;

import static org.transformers4j.bindings.cpu.t4j_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.transformers4j.backend.cpu.CpuBackend;

/**
 * Linear layers of many rows at all-MiniLM-L6-v2's shapes (K x N: attention projections 384 x 384,
 * feed-forward 384 x 1536 with GELU and 1536 x 384), rows from one sentence of 32 tokens to 32
 * sentences of 128: the float32 product on weights packed once, the int8 product (activations
 * quantized per row on the fly, VNNI where the CPU has it) and the bfloat16 product (vdpbf16ps where
 * the CPU has it). Each does 2 x rows x K x N floating-point or integer operations; the ratios
 * between the three at one shape are the figures.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LowPrecisionGemmBench {
    @Param({"32", "512", "4096"})
    public long rows;

    @Param({"384x384", "384x1536", "1536x384"})
    public String shape;

    CpuBackend backend;
    Arena arena;
    LowPrecisionWeights w;
    MemorySegment a, bias, c;
    long k, n;
    int act;

    @Setup(Level.Trial)
    public void setup() {
        backend = CpuBackend.create(); // loads libt4j_cpu
        String[] kn = shape.split("x");
        k = Long.parseLong(kn[0]);
        n = Long.parseLong(kn[1]);
        act = n > k ? T4J_ACT_GELU() : T4J_ACT_NONE();
        arena = Arena.ofShared();
        w = LowPrecisionWeights.random(arena, 1, n, k, true);
        a = LowPrecisionWeights.randomFloats(arena, 2, rows * k);
        bias = LowPrecisionWeights.randomFloats(arena, 3, n);
        c = arena.allocate(4 * rows * n, 64);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        backend.close();
    }

    @Benchmark
    public void f32Packed() {
        LowPrecisionWeights.check(t4j_linear_packed(rows, n, k, a, k, w.f32Packed, bias, act, c, n), "linear_packed");
    }

    @Benchmark
    public void int8() {
        LowPrecisionWeights.check(t4j_linear_int8(rows, n, k, a, k, w.int8Packed, bias, act, c, n), "linear_int8");
    }

    @Benchmark
    public void bf16Dot() {
        LowPrecisionWeights.check(t4j_linear_bf16dot(rows, n, k, a, k, w.bf16DotPacked, bias, act, c, n),
                "linear_bf16dot");
    }
}
