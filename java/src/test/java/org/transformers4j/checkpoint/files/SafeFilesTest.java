package org.transformers4j.checkpoint.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.checkpoint.CheckpointException;

class SafeFilesTest {
    @TempDir
    Path dir;

    @Test
    void readsARegularFile() throws Exception {
        Path f = Files.writeString(dir.resolve("config.json"), "{\"a\": \"é\"}");
        assertEquals("{\"a\": \"é\"}", SafeFiles.readText(f, "config", 100));
        assertArrayEquals(Files.readAllBytes(f), SafeFiles.readBytes(f, "config", 100));
    }

    @Test
    void refusesWhatIsNotARegularFile() throws Exception {
        var e = assertThrows(CheckpointException.class, () -> SafeFiles.readText(dir, "config", 100));
        assertTrue(e.getMessage().contains("is a folder"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> SafeFiles.readText(dir.resolve("absent.json"), "config", 100));
        assertTrue(e.getMessage().contains("no such config"), e.getMessage());
    }

    @Test
    void refusesANamedPipeWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("config.json");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(p.waitFor() == 0, "mkfifo is not available");
        var e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(CheckpointException.class, () -> SafeFiles.readText(fifo, "config", 100)));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void refusesALinkToADevice() throws Exception {
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero), "no /dev/zero");
        Path link = Files.createSymbolicLink(dir.resolve("config.json"), zero);
        var e = assertThrows(CheckpointException.class, () -> SafeFiles.readBytes(link, "config", 100));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void refusesFilesOverTheCap() throws Exception {
        Path f = Files.write(dir.resolve("big.json"), new byte[101]);
        var e = assertThrows(CheckpointException.class, () -> SafeFiles.readBytes(f, "config", 100));
        assertTrue(e.getMessage().contains("101 bytes, more than the 100"), e.getMessage());
        assertEquals(100, SafeFiles.readBytes(Files.write(dir.resolve("ok.json"), new byte[100]), "config", 100).length);
    }

    @Test
    void refusesMalformedUtf8() throws Exception {
        Path f = Files.write(dir.resolve("tokenizer.json"), new byte[] {'{', (byte) 0xC3, '}'});
        var e = assertThrows(CheckpointException.class, () -> SafeFiles.readText(f, "tokenizer", 100));
        assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
    }
}
