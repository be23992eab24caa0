package org.transformers4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.transformers4j.backend.Backend;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.tensor.DType;
import org.transformers4j.verify.GenerationCheck;
import org.transformers4j.verify.ParityCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** t4j verify: a model against reference outputs (transformers' own), tensor by tensor. */
@Command(name = "verify", sortOptions = false,
        description = {"Run the model on the reference inputs and print the max relative error per output tensor;"
                + " exit 1 above the tolerance. For decoders and encoder-decoders also reproduce generate.greedy and"
                + " generate.beam3.",
                "In f16 or bf16 the errors are shown and the logits judged by their top-1 agreement instead."})
final class VerifyCommand extends CliCommand {
    /** In half precision, the share of positions whose top logit must be the reference's. */
    static final double HALF_TOP1 = 0.99;

    @Mixin
    ModelOption.Required model;

    @Option(names = "--reference", required = true, paramLabel = "FILE",
            description = "reference.safetensors: inputs and the outputs transformers computed")
    Path reference;

    @Option(names = "--tolerance", paramLabel = "TOL", defaultValue = "1e-4",
            description = "largest relative error accepted in f32 (default 1e-4)")
    double tolerance;

    @Mixin
    BackendOptions backendOptions;

    @Mixin
    JsonOption output;

    @Override
    public Integer call() {
        check(Double.isFinite(tolerance) && tolerance >= 0, "--tolerance must be a finite number >= 0, got " + tolerance);
        Path dir = model.dir();
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        double tol = backendOptions.dtype == DType.F32 ? tolerance : Double.NaN; // NaN: judged by top-1
        try (Backend backend = backendOptions.create()) {
            ModelRegistry.Kind kind = ModelRegistry.kind(config);
            if (kind == ModelRegistry.Kind.ENCODER) {
                try (EncoderModel m = Models.encoder(io, dir, backend)) {
                    return report(ParityCheck.encoder(m, reference), List.of(), tol);
                }
            }
            if (kind == ModelRegistry.Kind.SEQ2SEQ) {
                try (Seq2SeqModel m = load(() -> ModelRegistry.loadSeq2Seq(dir, backend))) {
                    return report(ParityCheck.seq2seq(m, reference), GenerationCheck.run(m, reference), tol);
                }
            }
            try (DecoderModel m = load(() -> ModelRegistry.loadDecoder(dir, backend))) {
                return report(ParityCheck.decoder(m, reference), GenerationCheck.run(m, reference), tol);
            }
        }
    }

    private <T> T load(java.util.function.Supplier<T> loader) {
        try (Progress p = Progress.start(io, "loading " + model.value())) {
            return p.done(loader.get());
        }
    }

    private int report(List<ParityCheck.Result> results, List<GenerationCheck.Result> generated, double tol) {
        if (results.isEmpty() && generated.isEmpty()) {
            throw new IllegalArgumentException(reference + " holds no output this model produces");
        }
        boolean half = Double.isNaN(tol), ok = true;
        for (ParityCheck.Result r : results) {
            boolean top1 = half && r.tensor().equals("logits");
            boolean pass = top1 ? r.top1Agreement() >= HALF_TOP1 : half || r.relativeError() <= tol;
            ok &= pass;
            String verdict = top1 ? String.format(Locale.ROOT, "top-1 agrees at %.1f%% of positions%s  %s",
                    100 * r.top1Agreement(), r.nearTies() == 0 ? "" : String.format(Locale.ROOT,
                            " (%d near-ties of the reference left out)", r.nearTies()),
                    pass ? "ok" : "BELOW " + 100 * HALF_TOP1 + "%")
                    : half ? "(half precision)" : pass ? "ok" : "ABOVE " + tol;
            if (output.json) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("tensor", r.tensor());
                line.put("max_relative_error", r.relativeError());
                if (top1) {
                    line.put("top1_agreement", r.top1Agreement());
                    line.put("near_ties", r.nearTies());
                }
                line.put("ok", pass);
                Format.jsonLine(io.out(), line);
            } else {
                io.out().printf(Locale.ROOT, "%-20s max relative error %.3e  %s%n", r.tensor(), r.relativeError(), verdict);
            }
        }
        for (GenerationCheck.Result g : generated) {
            boolean pass = half || g.identical();
            ok &= pass;
            if (output.json) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("tensor", g.tensor());
                line.put("identical_tokens", g.total() - g.differing());
                line.put("tokens", g.total());
                line.put("ok", pass);
                Format.jsonLine(io.out(), line);
            } else {
                io.out().printf(Locale.ROOT, "%-20s %d of %d new tokens identical  %s%n", g.tensor(),
                        g.total() - g.differing(), g.total(), g.identical() ? "ok" : half ? "(half precision)" : "DIFFERENT");
            }
        }
        String summary = !ok ? "some outputs differ"
                : half ? "logits' top-1 within bounds in half precision"
                : "all outputs within " + tol + (generated.isEmpty() ? "" : ", generated tokens identical");
        if (output.json) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("ok", ok);
            line.put("summary", summary);
            Format.jsonLine(io.out(), line);
        } else {
            io.out().println(summary);
        }
        return ok ? 0 : 1;
    }
}
