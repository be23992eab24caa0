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
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tensor.TensorArena;

/**
 * A fill-mask pass on a BERT-base-sized masked LM (random weights, 30522 tokens): one mask per
 * sequence, the vocabulary projection at the masks alone ({@code logitsAt}, what FillMask runs)
 * against the same pass projecting every position ({@code forwardUnpadded}, what it ran before).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class FillMaskBench {
    @Param({"1", "8"})
    public int batch;

    @Param({"16", "128"})
    public int tokens;

    CpuBackend cpu;
    EncoderModel model;
    EncoderInput input;
    long[] masks;

    @Setup(Level.Trial)
    public void setup() {
        cpu = CpuBackend.create();
        model = ModelRegistry.loadEncoder(RandomCheckpoints.bertBaseMlm(), cpu);
        long[] ids = new long[batch * tokens];
        masks = new long[batch];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1000 + (i * 7919L) % 28000;
        }
        for (int b = 0; b < batch; b++) {
            masks[b] = (long) b * tokens + tokens / 2;
            ids[(int) masks[b]] = 103; // BERT's [MASK]
        }
        input = new EncoderInput(batch, tokens, ids, null, null);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
        cpu.close();
    }

    @Benchmark
    public float atMasks() {
        try (TensorArena out = TensorArena.confined()) {
            return model.logitsAt(input, masks, out).getFloat(0, 0);
        }
    }

    @Benchmark
    public float everyPosition() {
        try (TensorArena out = TensorArena.confined()) {
            return model.forwardUnpadded(input, out).logits().getFloat(0, 0, 0);
        }
    }
}
