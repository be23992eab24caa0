package org.transformers4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BiFunction;
import org.transformers4j.backend.Backend;
import org.transformers4j.pipeline.SentenceEmbedder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * t4j embed: sentence embeddings as JSON lines. Standard input is read and embedded in batches,
 * each batch written as soon as it is ready, so memory stays flat however many lines come in.
 */
@Command(name = "embed", sortOptions = false,
        description = {"Embeddings (all-MiniLM-L6-v2) as JSON lines {\"text\":...,\"embedding\":[...]}, for the texts"
                + " or, without texts, for each line of standard input, written batch by batch as they are ready."})
final class EmbedCommand extends CliCommand {
    /** Texts to vectors. */
    interface Embedder extends AutoCloseable {
        float[][] embed(List<String> texts);

        @Override
        void close();
    }

    /** Makes the embedder: the default model; tests of the streaming put a stand-in of its width here. */
    static volatile BiFunction<Io, Backend, Embedder> embedders = (io, backend) -> {
        SentenceEmbedder e = Models.defaultEmbedder(io, backend);
        return new Embedder() {
            @Override
            public float[][] embed(List<String> texts) {
                return e.embed(texts);
            }

            @Override
            public void close() {
                e.close();
            }
        };
    };

    @Parameters(arity = "0..*", paramLabel = "TEXT", description = "texts to embed (default: the lines of standard input)")
    List<String> texts;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "64",
            description = "lines embedded and written together (default 64)")
    int batchSize;

    @Mixin
    BackendOptions backendOptions;

    @Mixin
    JsonOption output; // the output is JSON lines in any case; accepted for uniformity

    @Override
    public Integer call() throws IOException {
        inRange("--batch-size", batchSize, 1, 4096);
        BufferedReader stdin = texts == null ? new BufferedReader(new InputStreamReader(io.in(), StandardCharsets.UTF_8))
                : null;
        Iterator<String> lines = texts != null ? texts.iterator() : stdin.lines().iterator();
        List<String> batch = next(lines);
        if (batch.isEmpty()) {
            throw usage("no texts given as arguments or on standard input");
        }
        try (Backend backend = backendOptions.create(); Embedder e = embedders.apply(io, backend);
             Progress progress = Progress.counting(io, "embedding", "lines")) {
            for (; !batch.isEmpty(); batch = next(lines)) {
                write(io.out(), batch, e.embed(batch));
                if (io.out().checkError()) {
                    throw new IOException("cannot write to standard output (closed?)");
                }
                progress.add(batch.size());
            }
            progress.done();
            return 0;
        }
    }

    private List<String> next(Iterator<String> lines) {
        List<String> batch = new ArrayList<>(batchSize);
        while (batch.size() < batchSize && lines.hasNext()) {
            batch.add(lines.next());
        }
        return batch;
    }

    private static void write(PrintStream out, List<String> texts, float[][] vectors) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            sb.setLength(0);
            sb.append("{\"text\":").append(Format.jsonString(texts.get(i))).append(",\"embedding\":[");
            for (int k = 0; k < vectors[i].length; k++) {
                sb.append(k == 0 ? "" : ",").append(vectors[i][k]);
            }
            out.append(sb).append("]}\n");
        }
        out.flush();
    }
}
