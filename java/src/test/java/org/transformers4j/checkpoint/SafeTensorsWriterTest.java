package org.transformers4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.Fixtures;
import org.transformers4j.tensor.TensorArena;

/** Writing checkpoints: both files or none, clear messages on failure, ordinary permissions. */
class SafeTensorsWriterTest {
    @TempDir
    Path tmp;

    static JsonObject config() {
        JsonObject c = new JsonObject();
        c.addProperty("model_type", "bert");
        return c;
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Runs a command; true when it exited 0. */
    static boolean run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }

    @Test
    void writtenFilesGetThePermissionsOfAnyNewFile() throws IOException {
        Set<PosixFilePermission> usual = Files.getPosixFilePermissions(Files.createFile(tmp.resolve("fresh")));
        Path out = tmp.resolve("out");
        try (Checkpoint c = Checkpoints.open(Fixtures.model("bert-mlm"))) {
            SafeTensorsWriter.writeCheckpoint(out, config(), c);
        }
        assertEquals(List.of("config.json", "model.safetensors"), names(out));
        for (String f : List.of("config.json", "model.safetensors")) {
            assertEquals(PosixFilePermissions.toString(usual), PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(out.resolve(f))), f + " (not the 0600 of a temporary file)");
        }
        assertTrue(usual.contains(PosixFilePermission.OWNER_WRITE) && usual.contains(PosixFilePermission.OWNER_READ));
        assertEquals("bert", com.google.gson.JsonParser.parseString(Files.readString(out.resolve("config.json")))
                .getAsJsonObject().get("model_type").getAsString());
    }

    @Test
    void anExistingFileAsTheOutputFolderIsNamed() throws IOException {
        Path file = Files.writeString(tmp.resolve("taken"), "x");
        try (Checkpoint c = Checkpoints.open(Fixtures.model("bert-mlm"))) {
            IOException e = assertThrows(IOException.class, () -> SafeTensorsWriter.writeCheckpoint(file, config(), c));
            assertEquals("cannot write " + file + ": " + file + ": exists and is not a folder", e.getMessage());
        }
        assertEquals("x", Files.readString(file));
        assertEquals(List.of("taken"), names(tmp));
    }

    @Test
    void whenConfigCannotBeMovedThePreviousModelStaysAndNothingIsLeft() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        byte[] previous = "previous weights".getBytes(StandardCharsets.UTF_8);
        Files.write(out.resolve("model.safetensors"), previous);
        Files.writeString(Files.createDirectories(out.resolve("config.json")).resolve("occupied"), "x");
        try (Checkpoint c = Checkpoints.open(Fixtures.model("bert-mlm"))) {
            IOException e = assertThrows(IOException.class, () -> SafeTensorsWriter.writeCheckpoint(out, config(), c));
            assertTrue(e.getMessage().startsWith("cannot write " + out.resolve("config.json")), e.getMessage());
        }
        assertArrayEquals(previous, Files.readAllBytes(out.resolve("model.safetensors")));
        assertEquals(List.of("config.json", "model.safetensors"), names(out), "no temporary file left");
    }

    @Test
    void aFailedReadLeavesNoFolderBehind() throws IOException {
        // an I64 tensor cannot be loaded as a float32 parameter: the write fails after the folder was made
        String header = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        ByteBuffer b = ByteBuffer.allocate(8 + header.length() + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length()).put(header.getBytes(StandardCharsets.UTF_8));
        Path out = tmp.resolve("new").resolve("out");
        try (Checkpoint c = SafeTensors.fromBytes(b.array(), "ids")) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> SafeTensorsWriter.writeCheckpoint(out, config(), c));
            assertTrue(e.getMessage().contains("tensor ids is I64"), e.getMessage());
        }
        assertFalse(Files.exists(out));
    }

    @Test
    void aReadOnlyFolderIsNamed() throws Exception {
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", ro.toString());
        try {
            if (!mounted) {
                Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
                boolean effective = true;
                try {
                    Files.delete(Files.createFile(ro.resolve("probe")));
                } catch (IOException e) {
                    effective = false;
                }
                assumeTrue(!effective, "neither a read-only mount nor a read-only folder is possible here (root?)");
            }
            try (Checkpoint c = Checkpoints.open(Fixtures.model("bert-mlm"))) {
                IOException e = assertThrows(IOException.class, () -> SafeTensorsWriter.writeCheckpoint(ro, config(), c));
                assertTrue(e.getMessage().startsWith("cannot write " + ro + ": "), e.getMessage());
                assertTrue(e.getMessage().endsWith("Read-only file system") || e.getMessage().endsWith("permission denied"),
                        e.getMessage());
            }
            assertEquals(List.of(), names(ro));
        } finally {
            if (mounted) {
                run("umount", ro.toString());
            } else {
                Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
    }

    @Test
    void aFullDiskIsNamedAndLeavesNothing() throws Exception {
        // a 256 KiB tmpfs, smaller than the 378 KB checkpoint: writing runs out of space
        Path small = Files.createDirectories(tmp.resolve("small"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", small.toString()),
                "mounting a small tmpfs is not permitted here");
        try {
            Path out = small.resolve("out");
            try (Checkpoint c = Checkpoints.open(Fixtures.model("bert-mlm")); TensorArena a = TensorArena.confined()) {
                IOException e = assertThrows(IOException.class, () -> SafeTensorsWriter.writeCheckpoint(out, config(), c));
                assertEquals("cannot write " + out + ": No space left on device", e.getMessage());
                Path single = small.resolve("w.safetensors");
                UncheckedIOException u = assertThrows(UncheckedIOException.class,
                        () -> SafeTensorsWriter.write(single, Map.of("t", a.zeros(100_000)), Map.of()));
                assertEquals("cannot write " + single + ": No space left on device", u.getMessage());
            }
            assertEquals(List.of(), names(small), "no temporary file or folder left");
        } finally {
            run("umount", small.toString());
        }
    }
}
