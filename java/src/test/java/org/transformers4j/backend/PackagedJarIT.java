package org.transformers4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, in a fresh JVM with only jars on its class path and an empty cache
 * directory, extracts and loads its native library and runs the demo.
 */
class PackagedJarIT {
    @Test
    void demoRunsFromThePackagedJar(@TempDir Path cache) throws IOException, InterruptedException {
        String jar = System.getProperty("t4j.test.jar");
        String deps = Files.readString(Path.of(System.getProperty("t4j.test.classpath"))).trim();
        assertTrue(Files.isRegularFile(Path.of(jar)), "packaged jar missing: " + jar);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-Dtransformers4j.cache=" + cache, "-cp", jar + ":" + deps, "org.transformers4j.verify.SelfCheck"))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("kernels: libt4j_cpu"), out);
        assertTrue(out.contains("worst relative error") && out.contains("(ok)"), out);
        try (Stream<Path> files = Files.walk(cache)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().equals("libt4j_cpu.so")),
                    "libt4j_cpu.so was not extracted into the cache directory");
        }
    }
}
