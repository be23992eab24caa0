package org.transformers4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.LoadMode;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.checkpoint.ShardedCheckpoint;
import org.transformers4j.checkpoint.files.SafeFiles;
import org.transformers4j.tensor.TensorArena;

/**
 * model.safetensors.index.json: the bytes, decoded as strict UTF-8, become the index of a folder
 * holding two valid shards (one.safetensors with tensor a, two.safetensors with tensor b), which is
 * then opened and read (the index text is handed over directly: rewriting a file per input would
 * make the target a hundred times slower).
 * The folder is temporary and deleted when the JVM exits. Only {@link CheckpointException} is
 * expected.
 */
public final class ShardedIndexTarget {
    private static final Path DIR = folder();

    private ShardedIndexTarget() {
    }

    private static Path folder() {
        try {
            Path dir = Files.createTempDirectory("sharded-index-target");
            try (TensorArena a = TensorArena.confined()) {
                SafeTensorsWriter.write(dir.resolve("one.safetensors"), Map.of("a", a.of(new float[] {1, 2}, 2)), Map.of());
                SafeTensorsWriter.write(dir.resolve("two.safetensors"), Map.of("b", a.of(new float[] {3}, 1)), Map.of());
            }
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

    public static void fuzzerTestOneInput(byte[] data) {
        Path index = DIR.resolve("model.safetensors.index.json");
        try (Checkpoint c = ShardedCheckpoint.open(index, SafeFiles.decodeUtf8(data, index.toString()), LoadMode.COPY);
             TensorArena arena = TensorArena.confined()) {
            for (String name : c.names()) {
                c.load(name, arena).toFloatArray();
            }
        } catch (CheckpointException expected) {
            // bad input, refused with a message
        }
    }
}
