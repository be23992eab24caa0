package org.transformers4j.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.generation.LogitsProcessing;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * A Llama-3.2-1B-sized model (random weights, stored in bfloat16 as the Hub's checkpoint is) on
 * the CPU with float32 weights and with bfloat16 weights: load time, a 128-token prefill, and
 * greedy decode steps, beside the memory-bandwidth bound of the same run. Timed by hand rather
 * than by JMH: each setting holds several GB and one pass at it is what a user sees.
 */
final class LlamaDecode {
    static final int PROMPT = 128, WARMUP = 4, STEPS = 24;
    static final long COPY_BYTES = 256L << 20;

    private LlamaDecode() {
    }

    static void run() {
        Path dir = RandomCheckpoints.llama32OneB();
        double bandwidth = copyBandwidth();
        System.out.printf(Locale.ROOT, "%nLlama-3.2-1B-sized model (1.24B parameters, random weights), batch 1, on %s%n",
                Runtime.getRuntime().availableProcessors() + " cores");
        System.out.printf(Locale.ROOT, "copy bandwidth (same run)      %8.1f GB/s read + written%n", bandwidth / 1e9);
        for (boolean bf16 : new boolean[] {false, true}) {
            System.gc(); // the other setting's packed weights are freed with their tensors
            try (CpuBackend cpu = bf16 ? CpuBackend.withBf16Weights() : CpuBackend.create()) {
                measure(dir, cpu, bf16, bandwidth);
            }
        }
    }

    private static void measure(Path dir, CpuBackend cpu, boolean bf16, double bandwidth) {
        long t0 = System.nanoTime();
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu);
             KvCache cache = model.newCache(1, PROMPT + WARMUP + STEPS)) {
            double loadS = (System.nanoTime() - t0) / 1e9;
            long[] prompt = new long[PROMPT];
            for (int i = 0; i < PROMPT; i++) {
                prompt[i] = (i * 7919L) % model.vocabSize();
            }
            long t1 = System.nanoTime();
            step(model, cache, prompt); // the first pass of more than a few rows packs the weights
            double firstMs = (System.nanoTime() - t1) / 1e6;
            cache.truncate(0);
            long t2 = System.nanoTime();
            long next = step(model, cache, prompt);
            double prefillMs = (System.nanoTime() - t2) / 1e6;
            double[] ms = new double[STEPS];
            for (int s = 0; s < WARMUP + STEPS; s++) {
                long t = System.nanoTime();
                next = step(model, cache, new long[] {next});
                if (s >= WARMUP) {
                    ms[s - WARMUP] = (System.nanoTime() - t) / 1e6;
                }
            }
            Arrays.sort(ms);
            double median = ms[STEPS / 2];
            long bytes = RandomCheckpoints.parameterBytes(dir, null, bf16 ? 2 : 4);
            double bound = bandwidth / bytes;
            System.out.printf(Locale.ROOT, "%n%s weights%n", bf16 ? "bfloat16" : "float32");
            System.out.printf(Locale.ROOT, "load                           %8.1f s%n", loadS);
            System.out.printf(Locale.ROOT, "weights read per token         %8.1f MB%n", bytes / 1e6);
            System.out.printf(Locale.ROOT, "first prefill (packs weights)  %8.1f s%n", firstMs / 1e3);
            System.out.printf(Locale.ROOT, "prefill, %d-token prompt      %8.1f tokens/s  (%.0f ms)%n", PROMPT,
                    PROMPT * 1e3 / prefillMs, prefillMs);
            System.out.printf(Locale.ROOT, "decode (median of %d steps)    %8.2f tokens/s  (%.0f ms/token, %.0f-%.0f)%n",
                    STEPS, 1e3 / median, median, ms[0], ms[STEPS - 1]);
            System.out.printf(Locale.ROOT, "memory-bandwidth bound         %8.2f tokens/s  -> decode at %.0f%% of it%n",
                    bound, 100 * (1e3 / median) / bound);
        }
    }

    /** One forward pass through the cache; the greedy pick of its last position. */
    private static long step(DecoderModel model, KvCache cache, long[] ids) {
        try (TensorArena out = TensorArena.confined()) {
            Tensor logits = model.forward(DecoderInput.of(1, ids.length, ids), cache, false, true, out).logits();
            return LogitsProcessing.argmax(logits.toFloatArray());
        }
    }

    /** Bytes read plus written per second by a 256 MB copy, the best of five. */
    private static double copyBandwidth() {
        try (CpuBackend cpu = CpuBackend.create(); TensorArena arena = TensorArena.confined()) {
            Tensor src = Inputs.random(arena, 1, COPY_BYTES / 4), dst = arena.zeros(COPY_BYTES / 4);
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 6; i++) {
                long t = System.nanoTime();
                cpu.copy(src, dst);
                double s = (System.nanoTime() - t) / 1e9;
                if (i > 0) {
                    best = Math.min(best, s);
                }
            }
            return 2.0 * COPY_BYTES / best;
        }
    }
}
