package org.transformers4j.bench;

import java.nio.file.Path;
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
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.generation.LogitsProcessing;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.model.Seq2SeqCache;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * T5-small and BART-base sized encoder-decoders (random weights): the encoder on a batch of
 * 8 x 128 source tokens, and 64 greedy decoder steps (batch 1) against a 128-token source; with
 * float32 and with bfloat16 weights.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class Seq2SeqBench {
    static final int BATCH = 8, SOURCE = 128, NEW_TOKENS = 64;

    @Param({"t5-small", "bart-base"})
    public String model;

    @Param({"f32", "bf16"})
    public String weights;

    Backend cpu;
    Seq2SeqModel m;
    EncoderInput batch, single;
    TensorArena arena;
    Tensor encodedSingle;

    static Path checkpoint(String name) {
        return name.equals("t5-small") ? RandomCheckpoints.t5Small() : RandomCheckpoints.bartBase();
    }

    static EncoderInput source(int batch, int vocab) {
        long[] ids = new long[batch * SOURCE];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 3 + (i * 7919L) % (vocab - 3);
        }
        return new EncoderInput(batch, SOURCE, ids, null, null);
    }

    @Setup(Level.Trial)
    public void setup() {
        cpu = weights.equals("bf16") ? CpuBackend.withBf16Weights() : CpuBackend.create();
        m = ModelRegistry.loadSeq2Seq(checkpoint(model), cpu);
        batch = source(BATCH, m.vocabSize());
        single = source(1, m.vocabSize());
        arena = TensorArena.shared();
        encodedSingle = m.encode(single, false, arena).lastHiddenState();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        m.close();
        cpu.close();
    }

    @Benchmark
    public Tensor encode8x128() {
        try (TensorArena out = TensorArena.confined()) {
            return m.encode(batch, false, out).lastHiddenState();
        }
    }

    /** 64 greedy steps from the decoder start token; the cross keys and values are made once, as in generation. */
    @Benchmark
    public long decode64() {
        return greedy(m, encodedSingle, NEW_TOKENS);
    }

    static long greedy(Seq2SeqModel m, Tensor encoded, int steps) {
        long token = m.specialTokens().decoderStart();
        try (Seq2SeqCache cache = m.newCache(encoded, null, steps)) {
            for (int s = 0; s < steps; s++) {
                try (TensorArena out = TensorArena.confined()) {
                    float[] logits = m.decode(DecoderInput.of(1, 1, new long[] {token}), cache, false, true, out)
                            .logits().toFloatArray();
                    token = LogitsProcessing.argmax(logits);
                }
            }
        }
        return token;
    }
}
