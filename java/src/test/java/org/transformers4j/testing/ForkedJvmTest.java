package org.transformers4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The crash-isolation helper: exits, crashes and hangs of the child are reported, never shared. */
class ForkedJvmTest {

    /** Prints its arguments and exits with the first. */
    public static final class Exits {
        public static void main(String[] args) {
            System.out.println("args " + String.join(" ", args));
            System.err.println("on stderr");
            System.exit(Integer.parseInt(args[0]));
        }
    }

    /** Reads a mapping from native code after the file under it was truncated: SIGBUS, which kills the JVM. */
    public static final class SigbusInNativeCode {
        public static void main(String[] args) throws Throwable {
            // in the working folder, which the helper keeps after the crash and the test deletes
            Path f = Files.write(Path.of("truncated.bin"), new byte[1 << 20]);
            try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(f, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, 1 << 20, arena);
                ch.truncate(0);
                Linker linker = Linker.nativeLinker();
                MethodHandle memchr = linker.downcallHandle(linker.defaultLookup().find("memchr").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_LONG));
                System.out.println("reading the truncated mapping in native code");
                System.out.flush();
                memchr.invoke(mapped, 1, 1L << 20);
                System.out.println("survived");
            } finally {
                Files.deleteIfExists(f);
            }
        }
    }

    /** Never returns. */
    public static final class Hangs {
        public static void main(String[] args) throws InterruptedException {
            System.out.println("sleeping");
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    @Test
    void anExitIsReportedWithItsStatusAndOutput() {
        ForkedJvm.Result r = ForkedJvm.main(Exits.class).args("3", "x").timeout(Duration.ofSeconds(60)).run();
        assertEquals(3, r.exitCode(), r.describe());
        assertFalse(r.crashed() || r.timedOut(), r.describe());
        assertTrue(r.output().contains("args 3 x") && r.output().contains("on stderr"), r.describe());
        assertFalse(Files.exists(r.directory()), "the folder of a clean run is deleted");
    }

    @Test
    void aCrashInNativeCodeFailsTheChildNotThisJvm() throws IOException {
        ForkedJvm.Result r = ForkedJvm.main(SigbusInNativeCode.class).timeout(Duration.ofSeconds(60)).run();
        assertTrue(r.crashed(), r.describe());
        assertNotNull(r.crashLog(), r.describe());
        assertTrue(r.output().contains("SIGBUS"), r.describe());
        assertFalse(r.output().contains("survived"), r.describe());
        assertTrue(r.describe().contains("crashed (exit " + r.exitCode() + ")"), r.describe());
        deleteTree(r.directory());
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void aHangIsKilledAtTheTimeout() throws IOException {
        ForkedJvm.Result r = ForkedJvm.main(Hangs.class).timeout(Duration.ofSeconds(3)).run();
        assertTrue(r.timedOut(), r.describe());
        assertFalse(r.crashed(), r.describe());
        assertTrue(r.output().contains("sleeping"), r.describe());
        deleteTree(r.directory());
    }
}
