package org.transformers4j.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a new JVM with this one's class path, so that a test of something that
 * could crash the JVM (a native abort, a segmentation fault) fails instead of killing the build.
 */
public final class ForkedJvm {
    /** How a forked run ended: its exit code (-1 when it timed out) and what it printed. */
    public record Result(int exitCode, String stdout, String stderr, boolean timedOut) {
        /** The exit code and the end of both outputs, for assertion messages. */
        public String describe() {
            return (timedOut ? "timed out" : "exit code " + exitCode) + "\n--- stdout (end) ---\n" + tail(stdout)
                    + "\n--- stderr (end) ---\n" + tail(stderr);
        }

        private static String tail(String s) {
            return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
        }
    }

    private ForkedJvm() {
    }

    /** Runs mainClass with args, killing it after timeout; jvmOptions go before the class name. */
    public static Result run(Class<?> mainClass, Duration timeout, List<String> jvmOptions, String... args) {
        Path out = null, err = null;
        try {
            out = Files.createTempFile("forked-jvm", ".out");
            err = Files.createTempFile("forked-jvm", ".err");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("--enable-native-access=ALL-UNNAMED");
            command.addAll(jvmOptions);
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(mainClass.getName());
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.destroyForcibly().waitFor();
            }
            return new Result(done ? p.exitValue() : -1, Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8), !done);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a JVM for " + mainClass.getName(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + mainClass.getName() + " ran", e);
        } finally {
            delete(out);
            delete(err);
        }
    }

    /** As {@link #run(Class, Duration, List, String...)} without JVM options. */
    public static Result run(Class<?> mainClass, Duration timeout, String... args) {
        return run(mainClass, timeout, List.of(), args);
    }

    private static void delete(Path p) {
        if (p != null) {
            File f = p.toFile();
            if (!f.delete()) {
                f.deleteOnExit();
            }
        }
    }
}
