package org.transformers4j.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.transformers4j.backend.Backend;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.generation.GeneratedSequence;
import org.transformers4j.generation.Generator;
import org.transformers4j.generation.TokenListener;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tensor.TensorArena;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * t4j time: the median time of an encoder's forward pass on random tokens, or with --generate of a
 * decoder's greedy generation from random prompts.
 */
@Command(name = "time", sortOptions = false,
        description = {"Median time of a forward pass of the encoder --model on random tokens (hidden states back on the"
                + " host included), after warming up for 3 passes and --warmup seconds. With --generate N, of greedy"
                + " generation of exactly N new tokens (end-of-sequence tokens ignored until then) by the decoder --model"
                + " from --batch random prompts of --seq tokens, and its new tokens per second."})
final class TimeCommand extends CliCommand {
    /** At most this many tokens in one pass (batch x seq): beyond, the activations alone take gigabytes. */
    static final long MAX_TOKENS = 1 << 20;
    /** The longest warm-up accepted, in seconds. */
    static final double MAX_WARMUP_S = 3600;
    static final int MAX_RUNS = 100_000;
    /** The most new tokens --generate asks for. */
    static final int MAX_NEW_TOKENS = 100_000;

    @Mixin
    ModelOption.Required model;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32", description = "sequences per pass (default 32)")
    int batch;

    @Option(names = "--seq", paramLabel = "S", defaultValue = "128", description = "tokens per sequence (default 128)")
    int seq;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "20", description = "timed passes (default 20)")
    int runs;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "3",
            description = "least warm-up time, 0 to 3600 seconds (default 3)")
    double warmup;

    @Option(names = "--generate", paramLabel = "N", defaultValue = "0",
            description = "time greedy generation of N new tokens by a decoder instead (default 0: an encoder pass)")
    int generate;

    @Mixin
    BackendOptions backendOptions;

    @Mixin
    JsonOption output;

    @Override
    public Integer call() {
        inRange("--batch", batch, 1, Integer.MAX_VALUE);
        inRange("--seq", seq, 1, Integer.MAX_VALUE);
        inRange("--runs", runs, 1, MAX_RUNS);
        inRange("--warmup", warmup, 0, MAX_WARMUP_S);
        long tokens = (long) batch * seq; // both below 2^31: no overflow in a long
        check(tokens <= MAX_TOKENS, "--batch " + batch + " x --seq " + seq + " = " + tokens + " tokens, more than the "
                + MAX_TOKENS + " one pass may take");
        inRange("--generate", generate, 0, MAX_NEW_TOKENS);
        if (generate > 0) {
            long cached = (long) batch * (seq + generate); // the KV cache's positions at the end
            check(cached <= MAX_TOKENS, "--batch " + batch + " x (--seq " + seq + " + --generate " + generate + ") = "
                    + cached + " cached positions, more than the " + MAX_TOKENS + " a generation may take");
            return timeGeneration();
        }
        try (Backend backend = backendOptions.create(); EncoderModel m = Models.encoder(io, model.dir(), backend)) {
            check(seq <= m.maxPositions(), "--seq " + seq + " is longer than the " + m.maxPositions()
                    + " positions of the model in " + model.dir());
            long[] mask = new long[batch * seq];
            Arrays.fill(mask, 1);
            EncoderInput in = new EncoderInput(batch, seq, randomIds(m.vocabSize(), batch * seq), mask, null);
            double ms = medianMs("passes", () -> pass(m, in));
            if (output.json) {
                Format.jsonLine(io.out(), jsonLine(backend, ms));
            } else {
                io.out().printf(Locale.ROOT, "median %.3f ms over %d runs: %d x %d tokens on %s (%s, %s)%n", ms, runs,
                        batch, seq, backend.device(), backend.kernelProvider(), backend.gemmProvider());
            }
            return 0;
        }
    }

    /** --generate: the median time of greedy generation of exactly `generate` new tokens per row. */
    private int timeGeneration() {
        try (Backend backend = backendOptions.create(); DecoderModel m = loadDecoder(backend)) {
            check(seq + generate <= m.maxPositions(), "--seq " + seq + " + --generate " + generate + " is more than the "
                    + m.maxPositions() + " positions of the model in " + model.dir());
            long[] ids = randomIds(m.vocabSize(), batch * seq);
            List<long[]> prompts = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                prompts.add(Arrays.copyOfRange(ids, b * seq, (b + 1) * seq));
            }
            GenerationConfig greedy = GenerationConfig.forModel(m.specialTokens()).withoutSampling()
                    .withMaxNewTokens(generate).withMinNewTokens(generate);
            double ms = medianMs("generations", () -> generateOnce(m, prompts, greedy));
            double perSecond = 1000.0 * batch * generate / ms;
            if (output.json) {
                Map<String, Object> line = jsonLine(backend, ms);
                line.put("new_tokens", generate);
                line.put("new_tokens_per_s", perSecond);
                Format.jsonLine(io.out(), line);
            } else {
                io.out().printf(Locale.ROOT, "median %.3f ms over %d runs: %d x %d new tokens after %d-token prompts, %.1f"
                        + " new tokens/s, on %s (%s, %s)%n", ms, runs, batch, generate, seq, perSecond,
                        backend.device(), backend.kernelProvider(), backend.gemmProvider());
            }
            return 0;
        }
    }

    /**
     * The median of `runs` timed calls of once, in ms, after a warm-up of at least three calls and
     * `warmup` seconds, for the JIT compiler to finish (the host side of a GPU pass needs several
     * hundred passes to reach its steady state).
     */
    private double medianMs(String what, Runnable once) {
        long start = System.nanoTime(), warmupNs = (long) (warmup * 1e9);
        try (Progress p = Progress.start(io, "warming up")) {
            for (int w = 0; w < 3 || System.nanoTime() - start < warmupNs; w++) {
                once.run();
            }
            p.done();
        }
        double[] ms = new double[runs];
        try (Progress p = Progress.counting(io, "timing", what)) {
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                once.run();
                ms[r] = (System.nanoTime() - t0) / 1e6;
                p.add(1);
            }
            p.done();
        }
        Arrays.sort(ms);
        return ms[runs / 2];
    }

    private DecoderModel loadDecoder(Backend backend) {
        try (Progress p = Progress.start(io, "loading " + model.dir())) {
            return p.done(ModelRegistry.loadDecoder(model.dir(), backend));
        }
    }

    /** n token ids drawn from the vocabulary's upper part (clear of the special tokens at its start), seeded. */
    private static long[] randomIds(int vocab, int n) {
        SplittableRandom rnd = new SplittableRandom(1);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = rnd.nextInt(Math.min(1000, vocab / 2), vocab);
        }
        return ids;
    }

    private static void pass(EncoderModel m, EncoderInput in) {
        try (TensorArena arena = TensorArena.confined()) {
            m.forward(in, false, arena);
        }
    }

    private void generateOnce(DecoderModel m, List<long[]> prompts, GenerationConfig greedy) {
        for (List<GeneratedSequence> row : Generator.generate(m, prompts, greedy, null, TokenListener.NONE)) {
            if (row.get(0).tokens().length != generate) { // min = max new tokens: anything else is a bug
                throw new IllegalStateException("generated " + row.get(0).tokens().length + " tokens, not " + generate);
            }
        }
    }

    /** The fields every --json line has. */
    private Map<String, Object> jsonLine(Backend backend, double medianMs) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("median_ms", medianMs);
        line.put("runs", runs);
        line.put("batch", batch);
        line.put("seq", seq);
        line.put("device", backend.device().toString());
        line.put("kernels", backend.kernelProvider());
        line.put("gemm", backend.gemmProvider());
        return line;
    }
}
