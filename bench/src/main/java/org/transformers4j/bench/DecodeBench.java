package org.transformers4j.bench;

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
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * GPT-2 small (124M parameters, random weights), batch 1: one decode step against a KV cache
 * holding 128 to 255 positions, a 512-token prefill, and a copy of 256 MB that gives the
 * memory bandwidth, and with it the decode bound (weight bytes read per token / bandwidth);
 * with float32 weights, bfloat16 weights (half the bytes, products in float32) and int8 linear
 * layers (a quarter of the bytes, products in int8, activations quantized per row).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class DecodeBench {
    static final int CONTEXT_FROM = 128, CONTEXT_TO = 256, PREFILL = 512;
    static final long COPY_BYTES = 256L << 20;

    @Param({"f32", "bf16", "int8"})
    public String weights;

    CpuBackend cpu;
    DecoderModel model;
    KvCache decodeCache, prefillCache;
    TensorArena arena;
    Tensor copySrc, copyDst;
    long[] prompt;
    long next = 1;

    @Setup(Level.Trial)
    public void setup() {
        cpu = switch (weights) {
            case "bf16" -> CpuBackend.withBf16Weights();
            case "int8" -> CpuBackend.withInt8Weights();
            default -> CpuBackend.create();
        };
        model = ModelRegistry.loadDecoder(RandomCheckpoints.gpt2Small(), cpu);
        prompt = new long[PREFILL];
        for (int i = 0; i < PREFILL; i++) {
            prompt[i] = (i * 7919L) % model.vocabSize();
        }
        decodeCache = model.newCache(1, CONTEXT_TO);
        prefillCache = model.newCache(1, PREFILL);
        try (TensorArena out = TensorArena.confined()) {
            long[] first = java.util.Arrays.copyOf(prompt, CONTEXT_FROM);
            model.forward(DecoderInput.of(1, CONTEXT_FROM, first), decodeCache, false, true, out);
        }
        arena = TensorArena.shared();
        copySrc = Inputs.random(arena, 1, COPY_BYTES / 4);
        copyDst = arena.zeros(COPY_BYTES / 4);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        decodeCache.close();
        prefillCache.close();
        model.close();
        arena.close();
        cpu.close();
    }

    /** One token through the model with the cache, logits for it, the greedy pick. */
    @Benchmark
    public long decodeToken() {
        if (decodeCache.length() == CONTEXT_TO) {
            decodeCache.truncate(CONTEXT_FROM);
        }
        try (TensorArena out = TensorArena.confined()) {
            Tensor logits = model.forward(DecoderInput.of(1, 1, new long[] {next}), decodeCache, false, true, out)
                    .logits();
            next = org.transformers4j.generation.LogitsProcessing.argmax(logits.toFloatArray());
            return next;
        }
    }

    /** A 512-token prompt from an empty cache, logits for its last position. */
    @Benchmark
    public void prefill512() {
        prefillCache.truncate(0);
        try (TensorArena out = TensorArena.confined()) {
            model.forward(DecoderInput.of(1, PREFILL, prompt), prefillCache, false, true, out);
        }
    }

    @Benchmark
    public void copy256MB() {
        cpu.copy(copySrc, copyDst);
    }
}
