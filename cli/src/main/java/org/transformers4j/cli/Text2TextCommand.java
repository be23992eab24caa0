package org.transformers4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.transformers4j.backend.Backend;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.pipeline.Generation;
import org.transformers4j.pipeline.Text2TextGenerator;
import org.transformers4j.pipeline.TextListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** t4j translate (or text2text): an encoder-decoder on each text, one output line per text. */
@Command(name = "translate", aliases = "text2text", sortOptions = false,
        description = {"An encoder-decoder model (BART, Marian, T5) on each text: one output line per text,"
                + " streamed as it comes. Generation options as for generate."})
final class Text2TextCommand extends CliCommand {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the checkpoint and tokenizer.json")
    Path model;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "the texts, each generated from on its own")
    List<String> texts;

    @Mixin
    GenerationOptions generation;

    @Mixin
    BackendOptions backendOptions;

    @Mixin
    JsonOption output;

    @Override
    public Integer call() {
        generation.check(this);
        try (Backend backend = backendOptions.create(); Text2TextGenerator gen = load(backend)) {
            GenerationConfig cfg = generation.apply(this, gen.defaults());
            for (String text : texts) {
                TextListener stream = cfg.numBeams() > 1 || output.json ? null : (seq, piece) -> {
                    io.out().print(piece);
                    io.out().flush();
                };
                Generation g = gen.generate(List.of(text), cfg, stream).get(0).get(0);
                if (output.json) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("text", text);
                    line.put("output", g.text());
                    line.put("new_tokens", g.tokens().length);
                    line.put("finish_reason", g.finishReason().toString().toLowerCase(Locale.ROOT));
                    Format.jsonLine(io.out(), line);
                } else {
                    io.out().println(stream == null ? g.text() : "");
                }
                io.out().flush();
            }
            return 0;
        }
    }

    private Text2TextGenerator load(Backend backend) {
        try (Progress p = Progress.start(io, "loading " + model)) {
            return p.done(Text2TextGenerator.load(model, backend));
        }
    }
}
