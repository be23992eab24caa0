package org.transformers4j.bench;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.checkpoint.LoadMode;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * What holding weights in owned memory (LoadMode.COPY, the default) costs at load against
 * mapping them (LoadMode.MAPPED): a GPT-2-small-sized float32 checkpoint (124M parameters, 498 MB,
 * in the page cache after the first iteration). {@code open} opens and closes the checkpoint;
 * {@code openAndTouch} also reads one float per 4 KiB page of every tensor, which is what the first
 * forward pass pays for a mapping (page faults) and what a copy has already paid.
 * Run: {@code ./t4j jmh WeightsLoadBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 8)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class WeightsLoadBench {
    @Param({"COPY", "MAPPED"})
    public LoadMode mode;

    Path dir;

    @Setup(Level.Trial)
    public void setup() {
        dir = RandomCheckpoints.gpt2Small();
    }

    @Benchmark
    public int open() {
        try (Checkpoint c = Checkpoints.open(dir, mode)) {
            return c.names().size();
        }
    }

    @Benchmark
    public double openAndTouch() {
        double sum = 0;
        try (Checkpoint c = Checkpoints.open(dir, mode); TensorArena arena = TensorArena.confined()) {
            for (String name : c.names()) {
                Tensor t = c.load(name, arena);
                long bytes = TensorMemory.host(t).byteSize();
                for (long at = 0; at < bytes; at += 4096) {
                    sum += TensorMemory.host(t).get(ValueLayout.JAVA_FLOAT, at);
                }
            }
        }
        return sum;
    }
}
