package org.transformers4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.transformers4j.backend.Backend;
import org.transformers4j.generation.FinishReason;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.pipeline.Generation;
import org.transformers4j.pipeline.TextGenerator;
import org.transformers4j.pipeline.TextListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** t4j generate: a decoder continues a prompt, the text streamed as it comes. */
@Command(name = "generate", sortOptions = false,
        description = {"Continue the prompt, streaming the text as it comes (DIR holds a GPT-2, GPT-Neo or Llama"
                + " checkpoint and tokenizer.json). Sampling when any of --temperature, --top-k, --top-p or --seed is"
                + " given; greedy otherwise."})
final class GenerateCommand extends CliCommand {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the checkpoint and tokenizer.json")
    Path model;

    @Parameters(arity = "1", paramLabel = "PROMPT", description = "the text to continue")
    String prompt;

    @Mixin
    GenerationOptions generation;

    @Mixin
    BackendOptions backendOptions;

    @Mixin
    JsonOption output;

    @Override
    public Integer call() {
        generation.check(this);
        try (Backend backend = backendOptions.create(); TextGenerator gen = load(backend)) {
            GenerationConfig cfg = generation.apply(this, gen.defaults());
            TextListener stream = cfg.numBeams() > 1 || output.json ? null : (seq, piece) -> {
                io.out().print(piece);
                io.out().flush();
            };
            if (!output.json) {
                io.out().print(prompt);
            }
            Generation g = gen.generate(List.of(prompt), cfg, stream).get(0).get(0);
            if (output.json) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("prompt", prompt);
                line.put("text", g.text());
                line.put("new_tokens", g.tokens().length);
                line.put("finish_reason", g.finishReason().toString().toLowerCase(java.util.Locale.ROOT));
                Format.jsonLine(io.out(), line);
            } else {
                io.out().println(stream == null ? g.text() : "");
            }
            if (g.finishReason() == FinishReason.CONTEXT_LIMIT) {
                io.err().println("t4j: stopped at the context limit of " + gen.model().maxPositions()
                        + " positions after " + g.tokens().length + " new tokens");
            }
            return 0;
        }
    }

    private TextGenerator load(Backend backend) {
        try (Progress p = Progress.start(io, "loading " + model)) {
            return p.done(TextGenerator.load(model, backend));
        }
    }
}
