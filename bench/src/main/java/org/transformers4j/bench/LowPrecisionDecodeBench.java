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
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * A decode step's products at GPT-2 small's shapes: one row, K = 768, N = 2304 (fused QKV), 768
 * (attention output), 3072 (feed-forward) and 50257 (LM head). Each call takes the next of enough
 * copies of the matrix to fill 128 MB of float32 weights (or one, the LM head's 154 MB), so that the
 * weights come from memory as in a real step, never from a cache. Weights as float32 and as bfloat16
 * (streamed by the backend's linear layer, as a decode step does today), packed int8 (N x K bytes plus 8 N) and packed for bfloat16 dot
 * products; beside them a copy of the int8 weights' bytes and of the float32 weights' bytes (read and
 * written: the bandwidth ceiling of the same run, STREAM's count). Bytes read per call: 4NK, 2NK,
 * NK and 2NK.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LowPrecisionDecodeBench {
    static final long K = 768, CYCLED_BYTES = 128L << 20;

    @Param({"768", "2304", "3072", "50257"})
    public long n;

    CpuBackend backend, bf16Backend;
    Arena arena;
    TensorArena views;
    LowPrecisionWeights[] ws;
    Tensor[] f32, bf16;
    MemorySegment x, y, copyDst;
    Tensor xt, yt;
    int next;

    @Setup(Level.Trial)
    public void setup() {
        backend = CpuBackend.create(); // loads libt4j_cpu
        bf16Backend = CpuBackend.withBf16Weights();
        arena = Arena.ofShared();
        int copies = (int) Math.max(1, (CYCLED_BYTES + 4 * n * K - 1) / (4 * n * K));
        ws = new LowPrecisionWeights[copies];
        ws[0] = LowPrecisionWeights.random(arena, 1, n, K, true);
        for (int i = 1; i < copies; i++) {
            ws[i] = ws[0].copy(arena);
        }
        x = LowPrecisionWeights.randomFloats(arena, 2, K);
        y = arena.allocate(4 * n, 64);
        views = TensorArena.shared();
        xt = views.wrap(x, DType.F32, 1, K);
        yt = views.wrap(y, DType.F32, 1, n);
        f32 = new Tensor[copies];
        bf16 = new Tensor[copies];
        for (int i = 0; i < copies; i++) {
            f32[i] = views.wrap(ws[i].f32, DType.F32, n, K);
            bf16[i] = views.wrap(ws[i].bf16, DType.BF16, n, K);
        }
        copyDst = arena.allocate(4 * n * K, 64);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        views.close();
        arena.close();
        backend.close();
        bf16Backend.close();
    }

    private int advance() {
        next = next + 1 < ws.length ? next + 1 : 0;
        return next;
    }

    private LowPrecisionWeights weights() {
        return ws[advance()];
    }

    @Benchmark
    public void f32() {
        backend.linear(xt, f32[advance()], null, Activation.NONE, yt);
    }

    @Benchmark
    public void bf16Weights() {
        bf16Backend.linear(xt, bf16[advance()], null, Activation.NONE, yt);
    }

    @Benchmark
    public void int8() {
        LowPrecisionWeights.check(t4j_linear_int8(1, n, K, x, K, weights().int8Packed, MemorySegment.NULL,
                T4J_ACT_NONE(), y, n), "linear_int8");
    }

    @Benchmark
    public void bf16Dot() {
        LowPrecisionWeights.check(t4j_linear_bf16dot(1, n, K, x, K, weights().bf16DotPacked, MemorySegment.NULL,
                T4J_ACT_NONE(), y, n), "linear_bf16dot");
    }

    @Benchmark
    public void copyInt8Bytes() {
        LowPrecisionWeights.check(t4j_copy(copyDst, weights().int8Packed, n * K), "copy");
    }

    @Benchmark
    public void copyF32Bytes() {
        LowPrecisionWeights.check(t4j_copy(copyDst, weights().f32, 4 * n * K), "copy");
    }
}
