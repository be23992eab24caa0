package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ./t4j launcher where no JDK 25 can be found: exit code 3 and its message, nothing run after it. */
class LauncherTest {
    static final Path LAUNCHER = Path.of("../t4j").toAbsolutePath().normalize();

    /** A program on this machine's PATH. */
    static Path onPath(String name) {
        return Arrays.stream(System.getenv("PATH").split(File.pathSeparator)).map(d -> Path.of(d, name))
                .filter(Files::isExecutable).findFirst().orElseThrow(() -> new AssertionError("no " + name + " on PATH"));
    }

    static Path executable(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    @Test
    void withoutAJdk25ItExitsWith3AndSaysWhy(@TempDir Path tmp) throws Exception {
        // a PATH with the few tools the launcher uses before it looks for Java, and no java
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        for (String tool : new String[] {"dirname", "readlink", "sed"}) {
            Files.createSymbolicLink(bin.resolve(tool), onPath(tool));
        }
        // the only JDK it may see is a JDK 17
        Path old = tmp.resolve("jvm/fake-jdk-17");
        executable(old.resolve("bin/java"), "#!/bin/sh\necho '    java.specification.version = 17' >&2\n");
        executable(old.resolve("bin/javac"), "#!/bin/sh\nexit 0\n");

        ProcessBuilder pb = new ProcessBuilder(onPath("bash").toString(), LAUNCHER.toString(), "similarity", "a", "b");
        pb.environment().clear();
        pb.environment().put("PATH", bin.toString());
        pb.environment().put("JAVA_HOME", tmp.resolve("nowhere").toString());
        pb.environment().put("T4J_JDK_SEARCH_PATH", tmp.resolve("jvm").toString());
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(3, p.waitFor(), err);
        assertTrue(err.startsWith("t4j: no JDK 25 or newer found"), err);
        assertTrue(err.contains(tmp.resolve("jvm").toString()), "names where it looked: " + err);
        assertEquals(2, err.lines().count(), "nothing after the message: " + err);
        assertFalse(err.contains("building"), err);
        assertEquals("", out);
    }
}
