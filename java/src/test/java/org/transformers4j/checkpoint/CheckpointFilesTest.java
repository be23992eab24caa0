package org.transformers4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tensor.TensorArena;

/** Weights, config and index files are opened only when they are regular files; the index is checked entry by entry. */
class CheckpointFilesTest {
    @TempDir
    Path dir;

    static void mkfifo(Path p) throws Exception {
        Process proc = new ProcessBuilder("mkfifo", p.toString()).start();
        assumeTrue(proc.waitFor() == 0, "mkfifo is not available");
    }

    /** Refused with a CheckpointException containing expected, within seconds (a pipe must not block). */
    static CheckpointException refuses(String expected, Function<Void, AutoCloseable> open) {
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(CheckpointException.class, () -> open.apply(null).close()));
        assertTrue(e.getMessage().contains(expected), "message should mention '" + expected + "': " + e.getMessage());
        return e;
    }

    @Test
    void weightsThatAreAPipeOrAFolderAreRefusedWithoutBlocking() throws Exception {
        mkfifo(dir.resolve("model.safetensors"));
        for (LoadMode mode : LoadMode.values()) {
            refuses(dir.resolve("model.safetensors") + ": the weights file is not a regular file (a pipe, socket or device)",
                    v -> Checkpoints.open(dir, mode));
        }
        Path folder = Files.createDirectories(dir.resolve("f").resolve("model.safetensors"));
        refuses(folder + ": the weights file is a folder", v -> Checkpoints.open(folder.getParent()));
        Path link = dir.resolve("zero.safetensors");
        assumeTrue(Files.exists(Path.of("/dev/zero")), "no /dev/zero");
        Files.createSymbolicLink(link, Path.of("/dev/zero"));
        refuses("not a regular file", v -> SafeTensors.open(link));
    }

    @Test
    void aConfigThatIsAPipeIsRefusedWithoutBlocking() throws Exception {
        Path model = Files.createDirectories(dir.resolve("m"));
        Files.copy(Fixtures.model("bert-mlm").resolve("model.safetensors"), model.resolve("model.safetensors"));
        mkfifo(model.resolve("config.json"));
        try (CpuBackend cpu = CpuBackend.create()) {
            refuses(model.resolve("config.json") + ": the config is not a regular file", v -> ModelRegistry.loadEncoder(model, cpu));
        }
        Files.delete(model.resolve("config.json"));
        Files.write(model.resolve("config.json"), new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'});
        refuses("the config is not valid UTF-8: byte 2", v -> {
            ModelConfig.read(model.resolve("config.json"));
            return () -> { };
        });
    }

    /** A sharded folder: shard one.safetensors holds a, two.safetensors holds b; index is the given text. */
    Path sharded(String index) throws IOException {
        Path d = Files.createDirectories(dir.resolve("s" + System.nanoTime()));
        try (TensorArena a = TensorArena.confined()) {
            SafeTensorsWriter.write(d.resolve("one.safetensors"), Map.of("a", a.of(new float[] {1, 2}, 2)), Map.of());
            SafeTensorsWriter.write(d.resolve("two.safetensors"), Map.of("b", a.of(new float[] {3}, 1)), Map.of());
        }
        Files.writeString(d.resolve("model.safetensors.index.json"), index);
        return d;
    }

    void indexRefused(String expected, String index) throws IOException {
        Path d = sharded(index);
        CheckpointException e = refuses(expected, v -> Checkpoints.open(d));
        assertTrue(e.getMessage().startsWith(d.resolve("model.safetensors.index.json").toString()), e.getMessage());
    }

    @Test
    void aGoodIndexOpensItsShards() throws IOException {
        Path d = sharded("{\"metadata\":{\"total_size\":12},\"weight_map\":{\"a\":\"one.safetensors\",\"b\":\"two.safetensors\"}}");
        for (LoadMode mode : LoadMode.values()) {
            try (Checkpoint c = Checkpoints.open(d, mode); TensorArena a = TensorArena.confined()) {
                assertEquals(List.of("a", "b"), List.copyOf(c.names()));
                assertEquals(3f, c.load("b", a).getFloat(0));
                c.close(); // closing twice does nothing
            }
        }
    }

    @Test
    void theIndexIsCheckedEntryByEntry() throws IOException {
        indexRefused("weight_map is missing", "{\"metadata\":{}}");
        indexRefused("weight_map is an array", "{\"weight_map\":[\"one.safetensors\"]}");
        indexRefused("weight_map is empty", "{\"weight_map\":{}}");
        indexRefused("weight_map entry a is a number, not a shard file name", "{\"weight_map\":{\"a\":1}}");
        indexRefused("weight_map entry a is null, not a shard file name", "{\"weight_map\":{\"a\":null}}");
        indexRefused("weight_map entry a is an object", "{\"weight_map\":{\"a\":{\"file\":\"one.safetensors\"}}}");
        indexRefused("the name \"a\" occurs twice", "{\"weight_map\":{\"a\":\"one.safetensors\",\"a\":\"two.safetensors\"}}");
        indexRefused("not valid JSON", "{\"weight_map\":{'a':'one.safetensors'}}");
        indexRefused("not valid JSON", "{\"weight_map\":{\"a\":\"one.safetensors\"}} trailing");
        indexRefused("expected a JSON object, found an array", "[]");
        indexRefused("tensor b is mapped to one.safetensors, which does not contain it",
                "{\"weight_map\":{\"a\":\"one.safetensors\",\"b\":\"one.safetensors\"}}");
        indexRefused("missing.safetensors: no such weights file", "{\"weight_map\":{\"a\":\"missing.safetensors\"}}");
        for (String bad : List.of("", "../one.safetensors", "sub/one.safetensors", ".hidden", "/etc/passwd", "a\\\\b")) {
            indexRefused("which is not a file name in the checkpoint folder", "{\"weight_map\":{\"a\":\"" + bad + "\"}}");
        }
    }

    @Test
    void anIndexOrShardThatIsAPipeIsRefused() throws Exception {
        Path d = sharded("{\"weight_map\":{\"a\":\"one.safetensors\",\"p\":\"pipe.safetensors\"}}");
        mkfifo(d.resolve("pipe.safetensors"));
        refuses("pipe.safetensors: the weights file is not a regular file", v -> Checkpoints.open(d));
        Path e = Files.createDirectories(dir.resolve("pipe-index"));
        mkfifo(e.resolve("model.safetensors.index.json"));
        refuses("the index is not a regular file", v -> Checkpoints.open(e));
        Path u = sharded("x");
        Files.write(u.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"\u00e9\":\"one\"}}".getBytes(StandardCharsets.ISO_8859_1));
        refuses("the index is not valid UTF-8", v -> Checkpoints.open(u));
    }
}
