package org.transformers4j.bench;

import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the kernel benchmarks with JMH and prints each rate beside its ceiling from the same
 * run: bandwidth-bound kernels against a copy of the same bytes, compute-bound ones against
 * OpenBLAS sgemm at 2048^3.
 */
public final class Report {
    private Report() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("embed")) {
            embeddings();
            return;
        }
        if (args.length > 0 && args[0].equals("profile")) {
            if (args.length >= 3) {
                Profiles.miniLm(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            } else {
                Profiles.gpt2Decode();
            }
            return;
        }
        if (args.length > 0 && args[0].equals("seq2seq")) {
            seq2seq();
            return;
        }
        if (args.length > 0 && args[0].equals("decode")) {
            decode();
            return;
        }
        if (args.length > 0 && args[0].equals("serve")) {
            ServeBench.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("llama")) {
            LlamaDecode.run();
            return;
        }
        String include = args.length > 0 ? args[0] : "org.transformers4j.bench.(Norm|Softmax|Attention|Gemm|Gemv)Bench";
        Options opts = new OptionsBuilder().include(include).forks(1).warmupIterations(3)
                .warmupTime(TimeValue.seconds(1)).measurementIterations(5).measurementTime(TimeValue.seconds(1))
                .jvmArgsAppend("--enable-native-access=ALL-UNNAMED").build();
        Collection<RunResult> results = new Runner(opts).run();
        Map<String, Double> ms = new HashMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            ms.put(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1), r.getPrimaryResult().getScore());
        }
        print(ms);
    }

    /** Sentence embedding, Transformers4J beside ONNX Runtime, sentences/s per batch size. */
    private static void embeddings() throws RunnerException {
        Options opts = new OptionsBuilder().include("org.transformers4j.bench.EmbeddingBench").forks(1)
                .warmupIterations(3).warmupTime(TimeValue.seconds(2)).measurementIterations(5)
                .measurementTime(TimeValue.seconds(2)).jvmArgsAppend("--enable-native-access=ALL-UNNAMED").build();
        Map<String, Double> ms = new HashMap<>();
        for (RunResult r : new Runner(opts).run()) {
            var p = r.getParams();
            String name = p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.') + 1);
            ms.put(name + "/" + p.getParam("texts") + "/" + p.getParam("batch"), r.getPrimaryResult().getScore());
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-10s %6s %18s %18s %8s%n", "texts", "batch", "Transformers4J", "ONNX Runtime",
                "ratio");
        String[][] pairs = {{"float32 (both)", "transformers4j", "onnxRuntime"},
                {"int8, the quantized file (both)", "transformers4jInt8", "onnxRuntimeInt8"},
                {"ours bfloat16 products, ONNX Runtime float32", "transformers4jBf16", "onnxRuntime"}};
        for (String[] pair : pairs) {
            System.out.printf(Locale.ROOT, "%n%s%n", pair[0]);
            for (String texts : new String[] {"varied", "tokens128"}) {
                for (int batch : new int[] {1, 8, 32}) {
                    Double ours = ms.get(pair[1] + "/" + texts + "/" + batch), ort = ms.get(pair[2] + "/" + texts + "/" + batch);
                    if (ours == null || ort == null) {
                        continue;
                    }
                    System.out.printf(Locale.ROOT, "%-10s %6d %12.1f sent/s %12.1f sent/s %7.2fx%n", texts, batch,
                            batch * 1000 / ours, batch * 1000 / ort, ort / ours);
                }
            }
        }
    }

    /** GPT-2 small decode tokens/s beside the memory-bandwidth bound of the same run, and prefill tokens/s. */
    private static void decode() throws RunnerException {
        Options opts = new OptionsBuilder().include("org.transformers4j.bench.DecodeBench").forks(1)
                .warmupIterations(3).warmupTime(TimeValue.seconds(2)).measurementIterations(5)
                .measurementTime(TimeValue.seconds(3)).jvmArgsAppend("--enable-native-access=ALL-UNNAMED").build();
        Map<String, Double> ms = new HashMap<>();
        for (RunResult r : new Runner(opts).run()) {
            String name = r.getParams().getBenchmark();
            ms.put(r.getParams().getParam("weights") + "/" + name.substring(name.lastIndexOf('.') + 1),
                    r.getPrimaryResult().getScore());
        }
        // a copy reads and writes every byte: its memory traffic is twice the bytes copied (STREAM's count);
        // the copy ran in both trials, so the bound takes the mean of the two
        double copyMs = ms.entrySet().stream().filter(e -> e.getKey().endsWith("/copy256MB"))
                .mapToDouble(Map.Entry::getValue).average().orElseThrow();
        double bandwidth = 2.0 * DecodeBench.COPY_BYTES / (copyMs / 1e3);
        System.out.println();
        System.out.printf(Locale.ROOT, "GPT-2 small (124M parameters, random weights), batch 1, computing in float32%n");
        System.out.printf(Locale.ROOT, "copy bandwidth (same run)      %8.1f GB/s read + written%n", bandwidth / 1e9);
        for (String weights : new String[] {"f32", "bf16", "int8"}) {
            if (!ms.containsKey(weights + "/decodeToken")) {
                continue;
            }
            // per token the model reads every weight once, except the position table (one row); int8 reads
            // its matrices (the tied head too) at a byte per weight, the rest, a few percent, in float32
            long weightBytes = RandomCheckpoints.parameterBytes(RandomCheckpoints.gpt2Small(), "wpe",
                    weights.equals("bf16") ? 2 : weights.equals("int8") ? 1 : 4);
            double bound = bandwidth / weightBytes, decode = 1e3 / ms.get(weights + "/decodeToken");
            System.out.printf(Locale.ROOT, "%n%s weights%n", weights.equals("bf16") ? "bfloat16"
                    : weights.equals("int8") ? "int8 (linear layers; activations quantized per row)" : "float32");
            System.out.printf(Locale.ROOT, "weights read per token         %8.1f MB%n", weightBytes / 1e6);
            System.out.printf(Locale.ROOT, "decode (context %d-%d)       %8.1f tokens/s  (%.1f ms/token)%n",
                    DecodeBench.CONTEXT_FROM, DecodeBench.CONTEXT_TO - 1, decode, ms.get(weights + "/decodeToken"));
            System.out.printf(Locale.ROOT, "memory-bandwidth bound         %8.1f tokens/s  -> decode at %.0f%% of it%n",
                    bound, 100 * decode / bound);
            System.out.printf(Locale.ROOT, "prefill, 512-token prompt      %8.1f tokens/s  (%.0f ms)%n",
                    DecodeBench.PREFILL * 1e3 / ms.get(weights + "/prefill512"), ms.get(weights + "/prefill512"));
        }
        for (String weights : new String[] {"bf16", "int8"}) {
            if (ms.containsKey(weights + "/decodeToken") && ms.containsKey("f32/decodeToken")) {
                System.out.printf(Locale.ROOT, "%n%s / float32 weights: decode %.2fx, prefill %.2fx%n", weights,
                        ms.get("f32/decodeToken") / ms.get(weights + "/decodeToken"),
                        ms.get("f32/prefill512") / ms.get(weights + "/prefill512"));
            }
        }
    }

    /** T5-small and BART-base: encoder and decoder tokens/s, then where the time goes. */
    private static void seq2seq() throws RunnerException {
        Options opts = new OptionsBuilder().include("org.transformers4j.bench.Seq2SeqBench").forks(1)
                .warmupIterations(2).warmupTime(TimeValue.seconds(2)).measurementIterations(5)
                .measurementTime(TimeValue.seconds(2)).jvmArgsAppend("--enable-native-access=ALL-UNNAMED").build();
        Map<String, Double> ms = new HashMap<>();
        for (RunResult r : new Runner(opts).run()) {
            var p = r.getParams();
            ms.put(p.getParam("model") + "/" + p.getParam("weights") + "/"
                    + p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-16s %28s %34s%n", "model, weights", "encoder, batch 8 x 128",
                "decoder, 64 greedy steps, batch 1");
        for (String model : new String[] {"t5-small", "bart-base"}) {
            for (String weights : new String[] {"f32", "bf16"}) {
                double enc = ms.get(model + "/" + weights + "/encode8x128"), dec = ms.get(model + "/" + weights + "/decode64");
                System.out.printf(Locale.ROOT, "%-16s %12.0f tokens/s (%4.0f ms) %16.1f tokens/s (%5.1f ms/token)%n",
                        model + ", " + weights, Seq2SeqBench.BATCH * Seq2SeqBench.SOURCE * 1e3 / enc, enc,
                        Seq2SeqBench.NEW_TOKENS * 1e3 / dec, dec / Seq2SeqBench.NEW_TOKENS);
            }
        }
        System.out.println();
        for (String model : new String[] {"t5-small", "bart-base"}) {
            Profiles.seq2seq(model);
        }
    }

    private static void print(Map<String, Double> ms) {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-34s %10s %14s %22s %7s%n", "benchmark", "ms/op", "rate", "ceiling (same run)", "ratio");
        bandwidth(ms, "NormBench.layerNorm", "NormBench.copySameBytes", NormBench.BYTES);
        bandwidth(ms, "NormBench.rmsNorm", "NormBench.copySameBytes", NormBench.BYTES);
        bandwidth(ms, "SoftmaxBench.softmax", "SoftmaxBench.copySameBytes", SoftmaxBench.BYTES);
        bandwidth(ms, "SoftmaxBench.softmaxPadded", "SoftmaxBench.copySameBytes", SoftmaxBench.BYTES);
        compute(ms, "AttentionBench.attention", AttentionBench.FLOPS);
        compute(ms, "AttentionBench.attentionCausal", AttentionBench.FLOPS / 2);
        compute(ms, "AttentionBench.attentionKeyPadding", AttentionBench.FLOPS * (1 + 0.75 + 0.5 + 1) / 4);
        compute(ms, "GemmBench.sgemmBuiltIn", GemmBench.FLOPS);
        compute(ms, "GemmBench.ffnOpenBlas", GemmBench.FFN_FLOPS);
        compute(ms, "GemmBench.ffnBuiltIn", GemmBench.FFN_FLOPS);
        compute(ms, "GemmBench.ffnLinear", GemmBench.FFN_FLOPS);
        compute(ms, "GemmBench.miniLmOpenBlas", GemmBench.MINILM_FLOPS);
        compute(ms, "GemmBench.miniLmLinear", GemmBench.MINILM_FLOPS);
        readBandwidth(ms, "GemvBench.decodeRowF32", GemvBench.F32_BYTES);
        readBandwidth(ms, "GemvBench.decodeRowBf16", GemvBench.F32_BYTES / 2);
        Double gemm = ms.get("GemmBench.sgemmOpenBlas");
        if (gemm != null) {
            System.out.printf(Locale.ROOT, "%-34s %10.3f %8.1f GFLOP/s %22s%n", "GemmBench.sgemmOpenBlas", gemm,
                    GemmBench.FLOPS / gemm / 1e6, "(the compute ceiling)");
        }
    }

    private static void bandwidth(Map<String, Double> ms, String name, String copy, long bytes) {
        Double t = ms.get(name), c = ms.get(copy);
        if (t == null || c == null) {
            return;
        }
        double rate = bytes / t / 1e6, ceiling = bytes / c / 1e6;
        System.out.printf(Locale.ROOT, "%-34s %10.3f %9.1f GB/s %14.1f GB/s copy %6.0f%%%n", name, t, rate, ceiling,
                100 * rate / ceiling);
    }

    /** A kernel that reads its bytes once, beside the copy's traffic (bytes read plus written, STREAM's count). */
    private static void readBandwidth(Map<String, Double> ms, String name, long bytes) {
        Double t = ms.get(name), c = ms.get("GemvBench.copySameBytes");
        if (t == null || c == null) {
            return;
        }
        double rate = bytes / t / 1e6, ceiling = 2.0 * GemvBench.F32_BYTES / c / 1e6;
        System.out.printf(Locale.ROOT, "%-34s %10.3f %9.1f GB/s %9.1f GB/s copy r+w %5.0f%%%n", name, t, rate, ceiling,
                100 * rate / ceiling);
    }

    private static void compute(Map<String, Double> ms, String name, double flops) {
        Double t = ms.get(name), gemm = ms.get("GemmBench.sgemmOpenBlas");
        if (t == null || gemm == null) {
            return;
        }
        double rate = flops / t / 1e6, ceiling = GemmBench.FLOPS / gemm / 1e6;
        System.out.printf(Locale.ROOT, "%-34s %10.3f %6.1f GFLOP/s %9.1f GFLOP/s sgemm %6.0f%%%n", name, t, rate,
                ceiling, 100 * rate / ceiling);
    }
}
