package org.transformers4j.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs a main class in a JVM of its own, so that a test of something that could kill a JVM
 * (a SIGSEGV or SIGBUS in native code, an abort, a hang, an exhausted heap) fails that test
 * instead of taking the whole build down: the crash-isolation pattern.
 *
 * <p>Write the risky scenario as a small {@code main} in the test sources that prints what it
 * observed and exits 0 only when all went as it should; then, in the test:
 *
 * <pre>{@code
 * ForkedJvm.Result r = ForkedJvm.main(ReplaceWeightsWhileServing.class)
 *         .args("copy", "inplace", "3")
 *         .timeout(Duration.ofMinutes(1))
 *         .run();
 * assertEquals(0, r.exitCode(), r.describe());   // a crash or a hang fails here, with the output
 * assertTrue(r.output().contains("mismatched=0"), r.describe());
 * }</pre>
 *
 * <p>The child runs the same {@code java} as the test, on the test class path (surefire's
 * {@code surefire.test.class.path}, else {@code java.class.path}), with
 * {@code --enable-native-access=ALL-UNNAMED}, a 512 MB heap unless {@link #jvmArgs} says otherwise,
 * no core dump, and its working folder in a new temporary folder that also receives the JVM's
 * crash log ({@code hs_err_pid*.log}). Standard output and error are merged into
 * {@link Result#output()}. A child still running at the timeout is killed with its descendants and
 * reported as {@link Result#timedOut()}. The temporary folder is deleted after a clean exit and
 * kept (its path in {@link Result#describe()}) after a crash or a timeout.
 */
public final class ForkedJvm {
    private final String mainClass;
    private final List<String> args = new ArrayList<>();
    private final List<String> jvmArgs = new ArrayList<>();
    private Duration timeout = Duration.ofMinutes(2);
    private Path directory;

    private ForkedJvm(String mainClass) {
        this.mainClass = mainClass;
    }

    /** A JVM that will run mainClass's {@code main}. */
    public static ForkedJvm main(Class<?> mainClass) {
        return new ForkedJvm(mainClass.getName());
    }

    /** A JVM that will run the named main class (one from a dependency, for example). */
    public static ForkedJvm main(String mainClass) {
        return new ForkedJvm(mainClass);
    }

    /** Arguments for main. */
    public ForkedJvm args(String... values) {
        args.addAll(List.of(values));
        return this;
    }

    /** JVM options, before the main class ({@code -Xmx2g}, {@code -Dname=value}). */
    public ForkedJvm jvmArgs(String... values) {
        jvmArgs.addAll(List.of(values));
        return this;
    }

    /** How long the child may run before it is killed (default 2 minutes). */
    public ForkedJvm timeout(Duration value) {
        timeout = value;
        return this;
    }

    /** The working folder of the child (default: a new temporary folder, deleted after a clean exit). */
    public ForkedJvm directory(Path value) {
        directory = value;
        return this;
    }

    /** The class path the child runs on: the test class path, every entry absolute (the child runs elsewhere). */
    public static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        return Arrays.stream(cp.split(File.pathSeparator)).filter(e -> !e.isBlank())
                .map(e -> Path.of(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
    }

    /** The java launcher of the running JVM. */
    public static Path javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** Starts the child, waits for it (at most the timeout) and returns what happened. */
    public Result run() {
        try {
            boolean ownFolder = directory == null;
            Path dir = ownFolder ? Files.createTempDirectory("forked-jvm") : Files.createDirectories(directory);
            Path log = Files.createTempFile(dir, "output", ".txt");
            List<String> command = new ArrayList<>(List.of(javaExecutable().toString(), "--enable-native-access=ALL-UNNAMED",
                    "-Xmx512m", "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log")));
            command.addAll(jvmArgs);
            command.addAll(List.of("-cp", classPath(), mainClass));
            command.addAll(args);
            long start = System.nanoTime();
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor();
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            String output = Files.readString(log, StandardCharsets.UTF_8);
            Path crashLog = crashLog(dir);
            Result r = new Result(mainClass, p.exitValue(), !finished, output, crashLog, elapsed, dir);
            if (ownFolder && !r.crashed() && !r.timedOut()) {
                deleteTree(dir);
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + mainClass + " in a forked JVM", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + mainClass, e);
        }
    }

    private static Path crashLog(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("hs_err_pid")).findFirst().orElse(null);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * What a child did.
     *
     * @param mainClass the class it ran
     * @param exitCode  its exit status (128 + signal when killed by one; 134 after a JVM crash)
     * @param timedOut  whether it was killed at the timeout
     * @param output    standard output and error, merged
     * @param crashLog  the JVM's fatal-error log, or null when it did not crash
     * @param elapsed   how long it ran
     * @param directory its working folder (deleted after a clean exit)
     */
    public record Result(String mainClass, int exitCode, boolean timedOut, String output, Path crashLog,
                         Duration elapsed, Path directory) {

        /** Whether the JVM died of a fatal error or a signal rather than exiting. */
        public boolean crashed() {
            return crashLog != null || (exitCode > 128 && !timedOut);
        }

        /** One paragraph for an assertion message: how it ended, where the crash log is, and the output's tail. */
        public String describe() {
            String how = timedOut ? "killed after the timeout of " + elapsed.toSeconds() + " s"
                    : crashed() ? "crashed (exit " + exitCode + ")" : "exited " + exitCode;
            String tail = output.length() > 4000 ? "..." + output.substring(output.length() - 4000) : output;
            return mainClass + " " + how + " after " + elapsed.toMillis() + " ms"
                    + (crashLog != null ? "; crash log " + crashLog : "")
                    + (timedOut || crashed() ? "; folder " + directory : "") + "; output:\n" + tail;
        }
    }
}
