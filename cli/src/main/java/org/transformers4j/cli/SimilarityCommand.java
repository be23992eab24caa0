package org.transformers4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.transformers4j.backend.Backend;
import org.transformers4j.pipeline.EmbeddingFolder;
import org.transformers4j.pipeline.SentenceEmbedder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** t4j similarity: texts ranked by similarity to the first. */
@Command(name = "similarity", sortOptions = false,
        description = {"Score each text against the first, best first.",
            "The model is all-MiniLM-L6-v2 unless --model names one (as for embed); the score is the folder's"
                    + " similarity_fn_name (config_sentence_transformers.json: cosine, dot, or euclidean or manhattan"
                    + " as negative distances), cosine by default."})
final class SimilarityCommand extends CliCommand {
    @Parameters(arity = "0..*", paramLabel = "TEXT", description = "the text to compare with, then the texts to score")
    List<String> texts;

    @Mixin
    EmbedderOptions embedding;

    @Mixin
    BackendOptions backendOptions;

    @Mixin
    JsonOption output;

    @Override
    public Integer call() {
        check(texts != null && texts.size() >= 2, "similarity needs a text and at least one to compare it with");
        embedding.options(this);
        String function = embedding.model.given() ? EmbeddingFolder.read(embedding.model.dir()).similarity() : null;
        try (Backend backend = backendOptions.create(); SentenceEmbedder e = embedding.load(this, io, backend)) {
            float[][] v = e.embed(texts);
            double[] scores = new double[texts.size()];
            List<Integer> order = new ArrayList<>();
            for (int i = 1; i < texts.size(); i++) {
                scores[i] = score(function, v[0], v[i]);
                order.add(i);
            }
            order.sort((x, y) -> Double.compare(scores[y], scores[x]));
            if (!output.json) {
                io.out().println("similarity to: " + texts.get(0));
            }
            for (int i : order) {
                if (output.json) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("query", texts.get(0));
                    line.put("text", texts.get(i));
                    line.put("score", scores[i]);
                    Format.jsonLine(io.out(), line);
                } else {
                    io.out().printf(Locale.ROOT, "%.4f  %s%n", scores[i], texts.get(i));
                }
            }
            return 0;
        }
    }

    /** sentence-transformers' similarity functions: cosine (null), dot, and negative euclidean or manhattan distance. */
    static double score(String function, float[] a, float[] b) {
        if (function == null || function.equals("cosine")) {
            return SentenceEmbedder.cosine(a, b);
        }
        double sum = 0;
        for (int k = 0; k < a.length; k++) {
            double d = (double) a[k] - b[k];
            sum += switch (function) {
                case "dot" -> (double) a[k] * b[k];
                case "euclidean" -> d * d;
                case "manhattan" -> Math.abs(d);
                default -> throw new IllegalArgumentException("unknown similarity function " + function);
            };
        }
        return switch (function) {
            case "dot" -> sum;
            case "euclidean" -> -Math.sqrt(sum);
            default -> -sum;
        };
    }
}
