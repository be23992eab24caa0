package org.transformers4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.Backends;
import org.transformers4j.backend.SelfCheck;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.checkpoint.OnnxCheckpoint;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.generation.FinishReason;
import org.transformers4j.generation.GenerationCheck;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.model.ParityCheck;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.FillMask;
import org.transformers4j.pipeline.Generation;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.pipeline.Text2TextGenerator;
import org.transformers4j.pipeline.TextGenerator;
import org.transformers4j.pipeline.TextListener;
import org.transformers4j.pipeline.TokenClassifier;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.Tokenizer;

/** The t4j command line. */
public final class Main {
    private static final String USAGE = """
            usage: t4j COMMAND [ARGS]
              similarity TEXT TEXT...        score each text against the first (all-MiniLM-L6-v2), best first
              embed [TEXT...]                embeddings as JSON lines, for the texts or for each line of standard input
              verify --model DIR --reference FILE [--tolerance 1e-4] [--dtype f32|f16|bf16]
                                             run the model on the reference inputs, print the max relative
                                             error per output tensor, exit 1 above the tolerance; for
                                             decoders and encoder-decoders also reproduce generate.greedy
                                             and generate.beam3
              generate --model DIR [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S]
                       [--beams N] [--repetition-penalty R] [--stop STRING] PROMPT
                                             continue the prompt, streaming the text as it comes (DIR holds
                                             a GPT-2, GPT-Neo or Llama checkpoint and tokenizer.json);
                                             sampling when any of temperature, top-k, top-p or seed is given
              translate | text2text --model DIR [generation options as for generate] TEXT...
                                             an encoder-decoder model (BART, Marian, T5) on each text, one
                                             output line per text, streamed as it comes
              convert (--model DIR | --onnx FILE --config FILE) --out DIR [--dtype f32|bf16]
                                             write the checkpoint as config.json + model.safetensors
                                             (with --dtype bf16 its matrices in bfloat16, half the bytes)
              fill-mask --model DIR [--top K] TEXT     the most likely tokens at each mask (DIR has tokenizer.json)
              classify --model DIR TEXT...             label probabilities
              ner --model DIR TEXT                     named entities with character offsets
              time --model DIR [--batch 32] [--seq 128] [--runs 20] [--warmup 3] [--dtype f32|f16|bf16]
                                             median time of a forward pass of the encoder in DIR on random
                                             tokens (hidden states back on the host included), after
                                             warming up for 3 passes and --warmup seconds
              demo [DEVICE]                  five kernels once each against the plain Java reference
            options: --device cpu (default) | cuda:N
                     --dtype f32 (default) | f16 | bf16: on a GPU, what the model computes in; on the CPU,
                       bf16 keeps weight matrices in bfloat16 (half the bytes to read, faster decoding),
                       computing in float32
            """;

    private static final com.google.gson.Gson GSON = new com.google.gson.GsonBuilder().disableHtmlEscaping().create();

    private Main() {
    }

    public static void main(String[] args) {
        int status;
        try {
            status = run(args, System.out);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            System.err.println("t4j: " + e.getMessage());
            status = 2;
        } catch (IOException e) {
            System.err.println("t4j: " + e.getMessage());
            status = 1;
        }
        System.exit(status);
    }

    static int run(String[] argv, PrintStream out) throws IOException {
        Args a = new Args(argv);
        String command = a.positional.isEmpty() ? "help" : a.positional.remove(0);
        Device device = Device.parse(a.option("--device", "cpu"));
        return switch (command) {
            case "similarity" -> similarity(a, device, out);
            case "embed" -> embed(a, device, out);
            case "verify" -> verify(a, device, out);
            case "generate" -> generate(a, device, out);
            case "translate", "text2text" -> text2text(a, device, out);
            case "convert" -> convert(a, out);
            case "fill-mask" -> fillMask(a, device, out);
            case "classify" -> classify(a, device, out);
            case "ner" -> ner(a, device, out);
            case "time" -> time(a, device, out);
            case "demo" -> SelfCheck.run(out, a.positional.isEmpty() ? device.toString() : a.positional.get(0));
            case "help", "-h", "--help" -> {
                out.print(USAGE);
                yield 0;
            }
            default -> throw new IllegalArgumentException("unknown command " + command + "\n" + USAGE);
        };
    }

    private static int similarity(Args a, Device device, PrintStream out) {
        List<String> texts = a.positional;
        if (texts.size() < 2) {
            throw new IllegalArgumentException("similarity needs a text and at least one to compare it with");
        }
        try (Backend backend = backend(a, device); SentenceEmbedder e = DefaultModels.miniLmEmbedder(backend)) {
            float[][] v = e.embed(texts);
            List<Integer> order = new ArrayList<>();
            for (int i = 1; i < texts.size(); i++) {
                order.add(i);
            }
            order.sort((x, y) -> Double.compare(SentenceEmbedder.cosine(v[0], v[y]), SentenceEmbedder.cosine(v[0], v[x])));
            out.println("similarity to: " + texts.get(0));
            for (int i : order) {
                out.printf(Locale.ROOT, "%.4f  %s%n", SentenceEmbedder.cosine(v[0], v[i]), texts.get(i));
            }
            return 0;
        }
    }

    private static int embed(Args a, Device device, PrintStream out) throws IOException {
        List<String> input = a.positional.isEmpty() ? readLines() : a.positional;
        try (Backend backend = backend(a, device); SentenceEmbedder e = DefaultModels.miniLmEmbedder(backend)) {
            float[][] v = e.embed(input);
            for (int i = 0; i < input.size(); i++) {
                StringBuilder sb = new StringBuilder("{\"text\":").append(GSON.toJson(input.get(i))).append(",\"embedding\":[");
                for (int k = 0; k < v[i].length; k++) {
                    sb.append(k == 0 ? "" : ",").append(v[i][k]);
                }
                out.println(sb.append("]}"));
            }
            return 0;
        }
    }

    private static List<String> readLines() throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
            }
        }
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("embed: no texts given as arguments or on standard input");
        }
        return lines;
    }

    private static int verify(Args a, Device device, PrintStream out) {
        Path model = Path.of(a.require("--model")), reference = Path.of(a.require("--reference"));
        double tolerance = Double.parseDouble(a.option("--tolerance", "1e-4"));
        DType dtype = dtype(a.option("--dtype", "f32"));
        ModelConfig config = ModelConfig.read(model.resolve("config.json"));
        try (Backend backend = Backends.create(device, dtype)) {
            if (dtype != DType.F32) {
                tolerance = Double.NaN; // half precision: errors shown, logits judged by their top-1 agreement
            }
            if (ModelRegistry.kind(config) == ModelRegistry.Kind.ENCODER) {
                try (EncoderModel m = ModelRegistry.loadEncoder(model, backend)) {
                    return report(ParityCheck.encoder(m, reference), List.of(), reference, tolerance, out);
                }
            }
            if (ModelRegistry.kind(config) == ModelRegistry.Kind.SEQ2SEQ) {
                try (Seq2SeqModel m = ModelRegistry.loadSeq2Seq(model, backend)) {
                    return report(ParityCheck.seq2seq(m, reference), GenerationCheck.run(m, reference), reference,
                            tolerance, out);
                }
            }
            try (DecoderModel m = ModelRegistry.loadDecoder(model, backend)) {
                return report(ParityCheck.decoder(m, reference), GenerationCheck.run(m, reference), reference,
                        tolerance, out);
            }
        }
    }

    private static int report(List<ParityCheck.Result> results, List<GenerationCheck.Result> generated, Path reference,
                              double tolerance, PrintStream out) {
        if (results.isEmpty() && generated.isEmpty()) {
            throw new IllegalArgumentException(reference + " holds no output this model produces");
        }
        boolean half = Double.isNaN(tolerance), ok = true;
        for (ParityCheck.Result r : results) {
            boolean top1 = half && r.tensor().equals("logits");
            boolean pass = top1 ? r.top1Agreement() >= HALF_TOP1 : half || r.relativeError() <= tolerance;
            ok &= pass;
            String verdict = top1 ? String.format(Locale.ROOT, "top-1 agrees at %.1f%% of positions%s  %s",
                    100 * r.top1Agreement(), r.nearTies() == 0 ? "" : String.format(Locale.ROOT,
                            " (%d near-ties of the reference left out)", r.nearTies()),
                    pass ? "ok" : "BELOW " + 100 * HALF_TOP1 + "%")
                    : half ? "(half precision)" : pass ? "ok" : "ABOVE " + tolerance;
            out.printf(Locale.ROOT, "%-20s max relative error %.3e  %s%n", r.tensor(), r.relativeError(), verdict);
        }
        for (GenerationCheck.Result g : generated) {
            ok &= half || g.identical();
            out.printf(Locale.ROOT, "%-20s %d of %d new tokens identical  %s%n", g.tensor(), g.total() - g.differing(),
                    g.total(), g.identical() ? "ok" : half ? "(half precision)" : "DIFFERENT");
        }
        out.println(!ok ? "some outputs differ"
                : half ? "logits' top-1 within bounds in half precision"
                : "all outputs within " + tolerance + (generated.isEmpty() ? "" : ", generated tokens identical"));
        return ok ? 0 : 1;
    }

    private static int time(Args a, Device device, PrintStream out) {
        Path dir = Path.of(a.require("--model"));
        int batch = Integer.parseInt(a.option("--batch", "32")), seq = Integer.parseInt(a.option("--seq", "128"));
        int runs = Integer.parseInt(a.option("--runs", "20"));
        double warmup = Double.parseDouble(a.option("--warmup", "3"));
        if (batch < 1 || seq < 1 || runs < 1) {
            throw new IllegalArgumentException("--batch, --seq and --runs must be >= 1");
        }
        if (!(warmup >= 0)) {
            throw new IllegalArgumentException("--warmup must be >= 0 seconds, got " + warmup);
        }
        try (Backend backend = backend(a, device); EncoderModel m = ModelRegistry.loadEncoder(dir, backend)) {
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
            long[] ids = new long[batch * seq], mask = new long[batch * seq];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rnd.nextInt(Math.min(1000, m.vocabSize() / 2), m.vocabSize());
                mask[i] = 1;
            }
            EncoderInput in = new EncoderInput(batch, seq, ids, mask, null);
            // warm-up: at least three passes and `warmup` seconds, for the JIT compiler to finish
            // (the host side of a GPU pass needs several hundred passes to reach its steady state)
            long start = System.nanoTime();
            for (int w = 0; w < 3 || System.nanoTime() - start < warmup * 1e9; w++) {
                try (TensorArena arena = TensorArena.confined()) {
                    m.forward(in, false, arena);
                }
            }
            double[] ms = new double[runs];
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                try (TensorArena arena = TensorArena.confined()) {
                    m.forward(in, false, arena);
                }
                ms[r] = (System.nanoTime() - t0) / 1e6;
            }
            java.util.Arrays.sort(ms);
            out.printf(Locale.ROOT, "median %.3f ms over %d runs: %d x %d tokens on %s (%s, %s)%n", ms[runs / 2], runs,
                    batch, seq, backend.device(), backend.kernelProvider(), backend.gemmProvider());
            return 0;
        }
    }

    /** In half precision, the share of positions whose top logit must be the reference's. */
    private static final double HALF_TOP1 = 0.99;

    /** The backend for the device and the --dtype option. */
    private static Backend backend(Args a, Device device) {
        return Backends.create(device, dtype(a.option("--dtype", "f32")));
    }

    private static DType dtype(String name) {
        return switch (name) {
            case "f32", "float32" -> DType.F32;
            case "f16", "float16" -> DType.F16;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--dtype must be f32, f16 or bf16, got " + name);
        };
    }

    private static int generate(Args a, Device device, PrintStream out) {
        Path dir = Path.of(a.require("--model"));
        String prompt = a.single("generate");
        try (Backend backend = backend(a, device); TextGenerator gen = TextGenerator.load(dir, backend)) {
            GenerationConfig cfg = generationOptions(a, gen.defaults());
            TextListener stream = cfg.numBeams() > 1 ? null : (seq, piece) -> {
                out.print(piece);
                out.flush();
            };
            out.print(prompt);
            Generation g = gen.generate(List.of(prompt), cfg, stream).get(0).get(0);
            if (stream == null) {
                out.print(g.text());
            }
            out.println();
            if (g.finishReason() == FinishReason.CONTEXT_LIMIT) {
                System.err.println("t4j: stopped at the context limit of " + gen.model().maxPositions()
                        + " positions after " + g.tokens().length + " new tokens");
            }
            return 0;
        }
    }

    /** Encoder-decoder generation: each text in, its output streamed out, one line per text. */
    private static int text2text(Args a, Device device, PrintStream out) {
        Path dir = Path.of(a.require("--model"));
        if (a.positional.isEmpty()) {
            throw new IllegalArgumentException("translate / text2text needs at least one text");
        }
        try (Backend backend = backend(a, device); Text2TextGenerator gen = Text2TextGenerator.load(dir, backend)) {
            GenerationConfig cfg = generationOptions(a, gen.defaults());
            for (String text : a.positional) {
                TextListener stream = cfg.numBeams() > 1 ? null : (seq, piece) -> {
                    out.print(piece);
                    out.flush();
                };
                Generation g = gen.generate(List.of(text), cfg, stream).get(0).get(0);
                out.println(stream == null ? g.text() : "");
            }
            return 0;
        }
    }

    /** The generation settings of the command line over the model's defaults. */
    static GenerationConfig generationOptions(Args a, GenerationConfig defaults) {
        GenerationConfig cfg = defaults.withMaxNewTokens(Integer.parseInt(a.option("--max-new-tokens",
                Integer.toString(defaults.maxNewTokens()))));
        if (a.has("--temperature") || a.has("--top-k") || a.has("--top-p") || a.has("--seed")) {
            cfg = cfg.withSampling(Double.parseDouble(a.option("--temperature", Double.toString(cfg.temperature()))),
                    Integer.parseInt(a.option("--top-k", Integer.toString(cfg.topK()))),
                    Double.parseDouble(a.option("--top-p", Double.toString(cfg.topP()))))
                    .withSeed(Long.parseLong(a.option("--seed", "0")));
        }
        if (a.has("--beams")) {
            int beams = Integer.parseInt(a.require("--beams"));
            cfg = cfg.withoutSampling().withBeams(beams, 1, cfg.lengthPenalty(), cfg.earlyStopping());
        }
        if (a.has("--repetition-penalty")) {
            cfg = cfg.withRepetitionPenalty(Double.parseDouble(a.require("--repetition-penalty")));
        }
        if (a.has("--stop")) {
            cfg = cfg.withStopStrings(List.of(a.require("--stop")));
        }
        return cfg.validate();
    }

    private static int convert(Args a, PrintStream out) throws IOException {
        Path dest = Path.of(a.require("--out"));
        ModelConfig config;
        Checkpoint checkpoint;
        if (a.has("--onnx")) {
            config = ModelConfig.read(Path.of(a.require("--config")));
            checkpoint = OnnxCheckpoint.open(Path.of(a.require("--onnx")));
        } else {
            Path dir = Path.of(a.require("--model"));
            config = ModelConfig.read(dir.resolve("config.json"));
            checkpoint = Checkpoints.open(dir);
        }
        try (checkpoint) {
            SafeTensorsWriter.writeCheckpoint(dest, config.json(), checkpoint, dtype(a.option("--dtype", "f32")));
            out.println("wrote " + checkpoint.names().size() + " tensors to " + dest.resolve("model.safetensors")
                    + " and " + dest.resolve("config.json"));
            return 0;
        }
    }

    private static int fillMask(Args a, Device device, PrintStream out) {
        Path dir = Path.of(a.require("--model"));
        int top = Integer.parseInt(a.option("--top", "5"));
        String text = a.single("fill-mask");
        try (Backend backend = backend(a, device);
             FillMask fm = new FillMask(ModelRegistry.loadEncoder(dir, backend), Tokenizer.inDirectory(dir),
                     text.contains("<mask>") ? "<mask>" : "[MASK]")) {
            for (List<FillMask.Prediction> mask : fm.fill(text, top)) {
                for (FillMask.Prediction p : mask) {
                    out.printf(Locale.ROOT, "%.4f  %-15s %s%n", p.score(), p.token(), p.sequence());
                }
                out.println();
            }
            return 0;
        }
    }

    private static int classify(Args a, Device device, PrintStream out) {
        Path dir = Path.of(a.require("--model"));
        if (a.positional.isEmpty()) {
            throw new IllegalArgumentException("classify needs at least one text");
        }
        try (Backend backend = backend(a, device);
             TextClassifier tc = new TextClassifier(ModelRegistry.loadEncoder(dir, backend), Tokenizer.inDirectory(dir))) {
            List<List<TextClassifier.Label>> all = tc.classify(a.positional);
            for (int i = 0; i < all.size(); i++) {
                out.println(a.positional.get(i));
                for (TextClassifier.Label l : all.get(i)) {
                    out.printf(Locale.ROOT, "  %.4f  %s%n", l.score(), l.label());
                }
            }
            return 0;
        }
    }

    private static int ner(Args a, Device device, PrintStream out) {
        Path dir = Path.of(a.require("--model"));
        String text = a.single("ner");
        try (Backend backend = backend(a, device);
             TokenClassifier tc = new TokenClassifier(ModelRegistry.loadEncoder(dir, backend), Tokenizer.inDirectory(dir))) {
            for (TokenClassifier.Entity e : tc.entities(text)) {
                out.printf(Locale.ROOT, "%-6s %.4f  [%d, %d)  %s%n", e.type(), e.score(), e.start(), e.end(), e.word());
            }
            return 0;
        }
    }

    /** Options (--name value) and positional arguments. */
    static final class Args {
        final List<String> positional = new ArrayList<>();
        private final java.util.Map<String, String> options = new java.util.HashMap<>();

        Args(String[] argv) {
            for (int i = 0; i < argv.length; i++) {
                if (argv[i].startsWith("--") && argv[i].length() > 2) {
                    if (i + 1 >= argv.length) {
                        throw new IllegalArgumentException("option " + argv[i] + " needs a value");
                    }
                    options.put(argv[i], argv[++i]);
                } else {
                    positional.add(argv[i]);
                }
            }
        }

        boolean has(String name) {
            return options.containsKey(name);
        }

        String option(String name, String dflt) {
            return options.getOrDefault(name, dflt);
        }

        String require(String name) {
            String v = options.get(name);
            if (v == null) {
                throw new IllegalArgumentException("missing option " + name);
            }
            return v;
        }

        String single(String command) {
            if (positional.size() != 1) {
                throw new IllegalArgumentException(command + " takes one text, got " + positional.size()
                        + (positional.isEmpty() ? "" : ": " + Arrays.toString(positional.toArray())));
            }
            return positional.get(0);
        }
    }
}
