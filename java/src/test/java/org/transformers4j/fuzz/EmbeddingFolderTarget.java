package org.transformers4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.transformers4j.pipeline.EmbeddingFolder;
import org.transformers4j.pipeline.EmbeddingModels;
import org.transformers4j.pipeline.EmbeddingOptions;

/**
 * A sentence-transformers folder: the bytes, split at each 0x1E (record separator), become
 * modules.json, 1_Pooling/config.json, sentence_bert_config.json and
 * config_sentence_transformers.json (missing parts: no file), in a temporary folder deleted when
 * the JVM exits; the folder is read and its settings resolved for a model of hidden size 48 and 64
 * positions, with its default prompt. Only IllegalArgumentException (CheckpointException is one)
 * is expected.
 */
public final class EmbeddingFolderTarget {
    static final List<String> FILES = List.of("modules.json", "1_Pooling/config.json", "sentence_bert_config.json",
            "config_sentence_transformers.json");
    private static final Path DIR = folder();

    private EmbeddingFolderTarget() {
    }

    private static Path folder() {
        try {
            Path dir = Files.createTempDirectory("embedding-folder-target");
            Files.createDirectories(dir.resolve("1_Pooling"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temporary folder is all that is left
        }
    }

    /** libFuzzer's entry point. */
    public static void fuzzerTestOneInput(byte[] data) {
        write(data);
        try {
            EmbeddingFolder folder = EmbeddingFolder.read(DIR);
            folder.prompt(null);
            EmbeddingModels.settings(folder, EmbeddingOptions.defaults(), 48, 64);
        } catch (IllegalArgumentException refused) { // CheckpointException is one
            // bad input, named
        }
    }

    private static void write(byte[] data) {
        int from = 0;
        try {
            for (String name : FILES) {
                Path file = DIR.resolve(name);
                if (from > data.length) {
                    Files.deleteIfExists(file);
                    continue;
                }
                int end = from;
                while (end < data.length && data[end] != 0x1E) {
                    end++;
                }
                Files.write(file, Arrays.copyOfRange(data, from, end));
                from = end + 1;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
