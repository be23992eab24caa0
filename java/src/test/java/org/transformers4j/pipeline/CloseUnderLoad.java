package org.transformers4j.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.OnnxCheckpoint;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * Closes each pipeline while 64 threads call it, round after round, and checks every call:
 * it returns what the same call returns on an instance nobody closes, or it fails with
 * IllegalStateException("&lt;pipeline&gt; is closed"). Run in a JVM of its own
 * ({@link CloseUnderLoadTest}): a use of freed memory would crash it. Prints one summary line per
 * pipeline and exits 0 when every call was right, 1 otherwise.
 *
 * <p>Arguments: rounds per pipeline (default 100), then optionally the pipeline names to run.
 */
public final class CloseUnderLoad {
    static final int THREADS = 64;

    /** What a call returned, as discrete parts (ids, labels) and numbers (scores) compared with a tolerance. */
    record Answer(String discrete, double[] numbers) {
        boolean matches(Answer want) {
            if (!discrete.equals(want.discrete) || numbers.length != want.numbers.length) {
                return false;
            }
            for (int i = 0; i < numbers.length; i++) {
                if (Math.abs(numbers[i] - want.numbers[i]) > 1e-4) {
                    return false;
                }
            }
            return true;
        }
    }

    /** One pipeline: its name, how to make one and how to call it with input number i. */
    record Kind(String name, Opener opener, Caller caller) {
        AutoCloseable open() {
            return opener.open();
        }

        Answer call(AutoCloseable pipeline, int input) {
            return caller.call(pipeline, input);
        }
    }

    static final String[] TEXTS = {"paris is the [MASK] of france .", "john smith lives in [MASK] york",
        "this movie was [MASK] .", "the [MASK] of berlin"};

    private CloseUnderLoad() {
    }

    /**
     * The pipelines, built on the small fixture models and a word-level tokenizer, the embedder on
     * all-MiniLM-L6-v2 (imported from ONNX once into miniLmDir, loaded from there each round;
     * its tokenizer made each round from miniLmTokenizer without checking the file again).
     */
    static List<Kind> kinds(CpuBackend cpu, Path miniLmDir, Tokenizer miniLmTokenizer) {
        GenerationConfig three = GenerationConfig.defaults().withMaxNewTokens(3).withEos(List.of()).withPad(0);
        return List.of(
                kind("SentenceEmbedder", () -> new SentenceEmbedder(ModelRegistry.loadEncoder(miniLmDir, cpu),
                        miniLmTokenizer.withTruncation(DefaultModels.MINILM_MAX_TOKENS), true),
                        (p, i) -> numbers(((SentenceEmbedder) p).embed(TEXTS[i]))),
                kind("FillMask", () -> new FillMask(ModelRegistry.loadEncoder(Fixtures.model("bert-mlm"), cpu),
                        PipelinesTest.wordTokenizer(), "[MASK]"), (p, i) -> {
                            var preds = ((FillMask) p).fill(TEXTS[i], 3).get(0);
                            return new Answer(preds.stream().map(x -> x.tokenId() + " " + x.sequence()).toList().toString(),
                                    preds.stream().mapToDouble(FillMask.Prediction::score).toArray());
                        }),
                kind("TextClassifier", () -> new TextClassifier(ModelRegistry.loadEncoder(Fixtures.model("bert-seqcls"),
                        cpu), PipelinesTest.wordTokenizer()), (p, i) -> {
                            var labels = ((TextClassifier) p).classify(TEXTS[i]);
                            return new Answer(labels.stream().map(TextClassifier.Label::label).toList().toString(),
                                    labels.stream().mapToDouble(TextClassifier.Label::score).toArray());
                        }),
                kind("TokenClassifier", () -> new TokenClassifier(ModelRegistry.loadEncoder(
                        Fixtures.model("bert-tokcls"), cpu), PipelinesTest.wordTokenizer()), (p, i) -> {
                            var labels = ((TokenClassifier) p).labelTokens(TEXTS[i]);
                            return new Answer(labels.stream().map(l -> l.label() + "@" + l.start()).toList().toString(),
                                    labels.stream().mapToDouble(TokenClassifier.TokenLabel::score).toArray());
                        }),
                kind("TextGenerator", () -> {
                    var model = ModelRegistry.loadDecoder(Fixtures.model("gpt2"), cpu);
                    return new TextGenerator(model, PipelinesTest.wordTokenizer(),
                            GenerationConfig.forModel(model.specialTokens()));
                }, (p, i) -> generated(((TextGenerator) p).generate(List.of(TEXTS[i]), three, null))),
                kind("Text2TextGenerator", () -> {
                    var model = ModelRegistry.loadSeq2Seq(Fixtures.model("t5"), cpu);
                    return new Text2TextGenerator(model, PipelinesTest.wordTokenizer(),
                            GenerationConfig.forModel(model.specialTokens()));
                }, (p, i) -> generated(((Text2TextGenerator) p).generate(List.of(TEXTS[i]), three, null))));
    }

    interface Opener {
        AutoCloseable open();
    }

    interface Caller {
        Answer call(AutoCloseable pipeline, int input);
    }

    static Kind kind(String name, Opener open, Caller call) {
        return new Kind(name, open, call);
    }

    static Answer numbers(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return new Answer("", d);
    }

    static Answer generated(List<List<Generation>> out) {
        Generation g = out.get(0).get(0);
        return new Answer(Arrays.toString(g.tokens()) + " " + g.text() + " " + g.finishReason(), new double[0]);
    }

    /** Counts of one pipeline's rounds. */
    static final class Tally {
        final AtomicLong answered = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final Map<String, AtomicInteger> wrong = new ConcurrentHashMap<>();

        void wrong(String what) {
            wrong.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
        }
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        List<String> only = args.length > 1 ? List.of(args).subList(1, args.length) : List.of();
        boolean allRight = true;
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        Path miniLmDir = Files.createTempDirectory("minilm");
        try (CpuBackend cpu = CpuBackend.create(); Tokenizer miniLmTokenizer = DefaultModels.miniLmTokenizer()) {
            try (OnnxCheckpoint onnx = OnnxCheckpoint.open(DefaultModels.miniLmOnnxFile())) {
                SafeTensorsWriter.writeCheckpoint(miniLmDir, DefaultModels.miniLmConfig().json(), onnx);
            }
            for (Kind kind : kinds(cpu, miniLmDir, miniLmTokenizer)) {
                if (!only.isEmpty() && !only.contains(kind.name())) {
                    continue;
                }
                long t0 = System.nanoTime();
                Tally tally = run(kind, rounds, pool);
                allRight &= tally.wrong.isEmpty();
                System.out.printf("%s rounds %d answered %d refused %d wrong %s seconds %.1f%n", kind.name(), rounds,
                        tally.answered.get(), tally.refused.get(), tally.wrong, (System.nanoTime() - t0) / 1e9);
            }
        } finally {
            pool.shutdownNow();
            try (var files = Files.list(miniLmDir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(miniLmDir);
        }
        System.out.flush();
        System.exit(allRight ? 0 : 1);
    }

    static Tally run(Kind kind, int rounds, ExecutorService pool) throws Exception {
        Answer[] want = new Answer[TEXTS.length];
        try (AutoCloseable reference = kind.open()) {
            for (int i = 0; i < want.length; i++) {
                want[i] = kind.call(reference, i);
            }
        }
        Tally tally = new Tally();
        SplittableRandom random = new SplittableRandom(7);
        for (int r = 0; r < rounds; r++) {
            round(kind, want, tally, pool, random.nextInt(4), r);
        }
        return tally;
    }

    /** One round: 64 threads call a fresh pipeline until it is closed under them after about delayMs. */
    static void round(Kind kind, Answer[] want, Tally tally, ExecutorService pool, int delayMs, int round)
            throws Exception {
        AutoCloseable p = kind.open();
        String closed = kind.name() + " is closed";
        CountDownLatch start = new CountDownLatch(1), done = new CountDownLatch(THREADS);
        AtomicLong calls = new AtomicLong();
        for (int t = 0; t < THREADS; t++) {
            int first = t;
            pool.execute(() -> {
                try {
                    start.await();
                    for (int n = first; ; n++) {
                        int i = n % want.length;
                        try {
                            Answer a = kind.call(p, i);
                            calls.incrementAndGet();
                            if (a.matches(want[i])) {
                                tally.answered.incrementAndGet();
                            } else {
                                tally.wrong("round " + round + ": input " + i + " gave " + a + ", not " + want[i]);
                            }
                        } catch (IllegalStateException e) {
                            if (closed.equals(e.getMessage())) {
                                tally.refused.incrementAndGet();
                            } else {
                                tally.wrong("IllegalStateException: " + e.getMessage());
                            }
                            return;
                        } catch (Throwable e) {
                            tally.wrong(e.toString());
                            return;
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            });
        }
        start.countDown();
        Thread.sleep(delayMs);
        p.close();
        p.close(); // a second close does nothing
        if (!done.await(2, TimeUnit.MINUTES)) {
            tally.wrong("round " + round + ": callers still running two minutes after close");
        }
        try {
            kind.call(p, 0);
            tally.wrong("round " + round + ": a call after close returned");
        } catch (IllegalStateException e) {
            if (!closed.equals(e.getMessage())) {
                tally.wrong("after close: " + e.getMessage());
            }
        }
    }
}
