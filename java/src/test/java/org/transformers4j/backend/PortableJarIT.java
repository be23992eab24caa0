package org.transformers4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar runs where the system has no libgomp (machines without gcc, slim images): a
 * fresh JVM with LD_LIBRARY_PATH empty, in a mount namespace where every system libgomp file is
 * covered by an empty one, extracts libt4j_cpu and the libgomp.so.1 shipped beside it, runs each
 * kernel against the reference, and maps libgomp only from the extraction folder. Where mount
 * namespaces cannot be made (not root), the same run without the covering, and the mapping check.
 */
class PortableJarIT {
    private static final String CHECK = """
            import java.nio.file.*;
            public class Check {
                public static void main(String[] hidden) throws Exception {
                    for (String h : hidden) {
                        System.out.println("hidden " + h + " bytes " + Files.size(Path.of(h)));
                    }
                    int status = org.transformers4j.verify.SelfCheck.run(System.out, "cpu");
                    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                        int at = line.indexOf('/');
                        if (at >= 0 && (line.contains("libgomp") || line.contains("libt4j_cpu"))) {
                            System.out.println("mapped " + line.substring(at));
                        }
                    }
                    System.exit(status);
                }
            }
            """;

    /** The system's libgomp files (real paths), wherever the dynamic linker could find one. */
    static Set<Path> systemLibgomp() throws IOException {
        Set<Path> found = new TreeSet<>();
        for (String dir : new String[] {"/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib"}) {
            if (!Files.isDirectory(Path.of(dir))) {
                continue;
            }
            try (Stream<Path> files = Files.find(Path.of(dir), 4,
                    (p, a) -> p.getFileName().toString().startsWith("libgomp.so"))) {
                for (Path p : files.toList()) {
                    Path real = p.toRealPath();
                    if (Files.isRegularFile(real)) {
                        found.add(real);
                    }
                }
            }
        }
        return found;
    }

    /** Whether this process may make a mount namespace and bind-mount a file there. */
    static boolean canHide(Path tmp) throws IOException, InterruptedException {
        Path a = Files.writeString(tmp.resolve("probe-a"), ""), b = Files.writeString(tmp.resolve("probe-b"), "b");
        try {
            Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "mount", "--bind",
                    a.toString(), b.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false; // no unshare
        }
    }

    @Test
    void theJarRunsWithTheSystemLibgompHidden(@TempDir Path tmp) throws Exception {
        String jar = System.getProperty("t4j.test.jar");
        String deps = Files.readString(Path.of(System.getProperty("t4j.test.classpath"))).trim();
        Path cache = Files.createDirectories(tmp.resolve("cache")), check = tmp.resolve("Check.java");
        Files.writeString(check, CHECK);
        Path empty = Files.writeString(tmp.resolve("empty"), "");
        Set<Path> hidden = systemLibgomp();
        boolean hide = canHide(tmp);

        List<String> cmd = new ArrayList<>();
        if (hide) {
            cmd.addAll(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                    "e=$1; shift; while [ \"$1\" != -- ]; do mount --bind \"$e\" \"$1\" || exit 97; shift; done; shift;"
                            + " exec \"$@\"", "sh", empty.toString()));
            hidden.forEach(h -> cmd.add(h.toString()));
            cmd.add("--");
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dtransformers4j.cache=" + cache, "-cp", jar + ":" + deps,
                check.toString()));
        if (hide) {
            hidden.forEach(h -> cmd.add(h.toString()));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LD_LIBRARY_PATH", "");
        pb.environment().remove("LD_PRELOAD");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        System.out.println((hide ? "system libgomp covered in a mount namespace: " + hidden
                : "no mount namespace here (not root?): libgomp checked by what the process maps") + "\n" + out);

        assertTrue(out.contains("kernels: libt4j_cpu") && out.contains("(ok)"), out);
        for (Path h : hidden) {
            assertTrue(!hide || out.contains("hidden " + h + " bytes 0"), "not covered: " + h + "\n" + out);
        }
        List<String> gomp = out.lines().filter(l -> l.startsWith("mapped ") && l.contains("libgomp")).toList();
        assertFalse(gomp.isEmpty(), "libgomp is not mapped at all:\n" + out);
        for (String l : gomp) {
            assertTrue(l.substring("mapped ".length()).startsWith(cache.toRealPath().toString()),
                    "libgomp mapped from outside the extraction folder " + cache + ":\n" + out);
        }
    }

    /** ELF e_machine of a file in the jar: 62 x86-64, 183 aarch64. */
    static int elfMachine(JarFile jar, String entry) throws IOException {
        try (InputStream in = jar.getInputStream(jar.getEntry(entry))) {
            byte[] head = in.readNBytes(20);
            assertEquals(0x7f, head[0] & 0xff, entry + " is not an ELF file");
            return (head[18] & 0xff) | (head[19] & 0xff) << 8;
        }
    }

    @Test
    void theJarCarriesEachPlatformsLibrariesWithTheirLibgomp() throws IOException {
        try (JarFile jar = new JarFile(System.getProperty("t4j.test.jar"))) {
            assertEquals(62, elfMachine(jar, "natives/linux-x86_64/libt4j_cpu.so"));
            assertEquals(62, elfMachine(jar, "natives/linux-x86_64/libgomp.so.1"));
            assumeTrue(jar.getEntry("natives/linux-aarch64/libt4j_cpu.so") != null,
                    "no linux-aarch64 natives: built where aarch64-linux-gnu-gcc is installed");
            assertEquals(183, elfMachine(jar, "natives/linux-aarch64/libt4j_cpu.so"));
            assertEquals(183, elfMachine(jar, "natives/linux-aarch64/libgomp.so.1"));
        }
    }
}
