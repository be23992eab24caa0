package org.transformers4j.bench;

import java.util.Locale;
import java.util.Map;
import org.transformers4j.backend.ProfilingBackend;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.TensorArena;

/**
 * Where the time goes: runs a model through the profiling backend and prints the time per
 * operation and per kernel family, beside the wall time of the whole run (the rest is Java).
 */
final class Profiles {
    /** Rounds per profile, all but the last warming up: with fewer, the JIT's threads inflate small kernels. */
    static final int ROUNDS = Integer.getInteger("t4j.profile.rounds", 10);
    private Profiles() {
    }

    /** GPT-2 small: a 128-token prompt, then 64 decode steps, each profiled. */
    static void gpt2Decode() {
        gpt2Decode(false);
        gpt2Decode(true);
    }

    private static void gpt2Decode(boolean bf16Weights) {
        try (CpuBackend cpu = bf16Weights ? CpuBackend.withBf16Weights() : CpuBackend.create()) {
            ProfilingBackend prof = new ProfilingBackend(cpu);
            try (DecoderModel model = ModelRegistry.loadDecoder(RandomCheckpoints.gpt2Small(), prof.backend());
                 KvCache cache = model.newCache(1, 256)) {
                long[] prompt = new long[128];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = (i * 7919L) % model.vocabSize();
                }
                int steps = 64;
                for (int round = 0; round < ROUNDS; round++) { // the first rounds warm up
                    cache.truncate(0);
                    run(model, cache, DecoderInput.of(1, prompt.length, prompt));
                    prof.reset();
                    long t0 = System.nanoTime();
                    for (int s = 0; s < steps; s++) {
                        run(model, cache, DecoderInput.of(1, 1, new long[] {1 + s}));
                    }
                    if (round == ROUNDS - 1) {
                        print("GPT-2 small decode, per token (context 128-191), " + (bf16Weights ? "bfloat16" : "float32")
                                + " weights", prof, System.nanoTime() - t0, steps);
                    }
                }
            }
        }
    }

    /** An encoder-decoder: the encoder on 8 x 128 tokens, then 64 greedy decoder steps, each profiled. */
    static void seq2seq(String name) {
        try (CpuBackend cpu = CpuBackend.create()) {
            ProfilingBackend prof = new ProfilingBackend(cpu);
            try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(Seq2SeqBench.checkpoint(name), prof.backend());
                 TensorArena arena = TensorArena.shared()) {
                EncoderInput batch = Seq2SeqBench.source(Seq2SeqBench.BATCH, model.vocabSize());
                Tensor encoded = model.encode(Seq2SeqBench.source(1, model.vocabSize()), false, arena)
                        .lastHiddenState();
                for (int round = 0; round < ROUNDS; round++) { // the first rounds warm up
                    prof.reset();
                    long t0 = System.nanoTime();
                    try (TensorArena out = TensorArena.confined()) {
                        model.encode(batch, false, out);
                    }
                    long t1 = System.nanoTime();
                    if (round == ROUNDS - 1) {
                        print(name + " encoder, 8 x 128 tokens, per pass", prof, t1 - t0, 1);
                    }
                    prof.reset();
                    t0 = System.nanoTime();
                    Seq2SeqBench.greedy(model, encoded, Seq2SeqBench.NEW_TOKENS);
                    if (round == ROUNDS - 1) {
                        print(name + " decoder, per token (64 greedy steps, batch 1)", prof, System.nanoTime() - t0,
                                Seq2SeqBench.NEW_TOKENS);
                    }
                }
            }
        }
    }

    /** all-MiniLM-L6-v2 on one batch of B x S tokens, repeated; time per pass. */
    static void miniLm(int batch, int seq) {
        try (CpuBackend cpu = CpuBackend.create()) {
            ProfilingBackend prof = new ProfilingBackend(cpu);
            try (var model = org.transformers4j.pipeline.DefaultModels.miniLm(prof.backend())) {
                long[] ids = new long[batch * seq];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = 1000 + (i * 7919L) % 20000;
                }
                var in = new EncoderInput(batch, seq, ids, null, null);
                int passes = Math.max(4, 2000 / (batch * seq));
                for (int round = 0; round < ROUNDS; round++) {
                    prof.reset();
                    long t0 = System.nanoTime();
                    for (int p = 0; p < passes; p++) {
                        try (TensorArena out = TensorArena.confined()) {
                            model.forward(in, false, out);
                        }
                    }
                    if (round == ROUNDS - 1) {
                        print("all-MiniLM-L6-v2, " + batch + " x " + seq + ", per pass", prof, System.nanoTime() - t0,
                                passes);
                    }
                }
            }
        }
    }

    private static void run(DecoderModel model, KvCache cache, DecoderInput in) {
        try (TensorArena out = TensorArena.confined()) {
            model.forward(in, cache, false, true, out);
        }
    }

    static void print(String title, ProfilingBackend prof, long wallNanos, int units) {
        System.out.println(title);
        Map<String, Long> ops = prof.nanosByOperation();
        long inOps = ops.values().stream().mapToLong(Long::longValue).sum();
        Map<String, Long> calls = prof.callsByOperation();
        ops.forEach((op, ns) -> System.out.printf(Locale.ROOT, "  %-16s %8.3f ms %5.1f%%  %6.1f us/call%n", op,
                ns / 1e6 / units, 100.0 * ns / wallNanos, ns / 1e3 / calls.get(op)));
        System.out.printf(Locale.ROOT, "  %-16s %8.3f ms %5.1f%%%n", "(outside ops)", (wallNanos - inOps) / 1e6 / units,
                100.0 * (wallNanos - inOps) / wallNanos);
        System.out.printf(Locale.ROOT, "  %-16s %8.3f ms%n", "total", wallNanos / 1e6 / units);
        System.out.print(prof.report().indent(2));
    }
}
