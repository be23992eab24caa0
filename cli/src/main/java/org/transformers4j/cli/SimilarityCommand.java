package org.transformers4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.transformers4j.backend.Backend;
import org.transformers4j.pipeline.SentenceEmbedder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** t4j similarity: texts ranked by cosine similarity to the first, on the default model. */
@Command(name = "similarity", sortOptions = false,
        description = "Score each text against the first (all-MiniLM-L6-v2), best first.")
final class SimilarityCommand extends CliCommand {
    @Parameters(arity = "0..*", paramLabel = "TEXT", description = "the text to compare with, then the texts to score")
    List<String> texts;

    @Mixin
    BackendOptions backendOptions;

    @Mixin
    JsonOption output;

    @Override
    public Integer call() {
        check(texts != null && texts.size() >= 2, "similarity needs a text and at least one to compare it with");
        try (Backend backend = backendOptions.create(); SentenceEmbedder e = Models.defaultEmbedder(io, backend)) {
            float[][] v = e.embed(texts);
            List<Integer> order = new ArrayList<>();
            for (int i = 1; i < texts.size(); i++) {
                order.add(i);
            }
            order.sort((x, y) -> Double.compare(SentenceEmbedder.cosine(v[0], v[y]), SentenceEmbedder.cosine(v[0], v[x])));
            if (!output.json) {
                io.out().println("similarity to: " + texts.get(0));
            }
            for (int i : order) {
                double score = SentenceEmbedder.cosine(v[0], v[i]);
                if (output.json) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("query", texts.get(0));
                    line.put("text", texts.get(i));
                    line.put("score", score);
                    Format.jsonLine(io.out(), line);
                } else {
                    io.out().printf(Locale.ROOT, "%.4f  %s%n", score, texts.get(i));
                }
            }
            return 0;
        }
    }
}
