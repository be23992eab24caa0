package org.transformers4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.transformers4j.testing.ForkedJvm;

/**
 * Finds and runs the fuzz targets (docs/fuzzing.md): every class {@code org.transformers4j.fuzz.*Target}
 * with {@code public static void fuzzerTestOneInput(byte[])}, its committed seed corpus
 * {@code fuzz/<Name>Target/} (a test resource) and, where present, a libFuzzer dictionary
 * {@code fuzz/<Name>Target.dict}.
 *
 * <p>{@link #runSeeds} replays a corpus in this JVM (a regression test); {@link #fuzz} runs Jazzer's
 * standalone driver on one target in a forked JVM for a given time, on a working corpus seeded
 * from the committed one, and reads back the executions ("Done N runs in S second(s)") and the
 * findings (files crash-*, timeout-*, oom-*, leak-* in the findings folder).
 *
 * <p>{@code main [MINUTES]} (what {@code ./t4j fuzz} runs) splits MINUTES (default 10) evenly over
 * the targets, keeps each target's working corpus in {@code target/fuzz/corpus/<Name>} from one
 * run to the next, leaves findings in {@code target/fuzz/findings/<Name>}, prints a table and
 * writes it to {@code target/fuzz-report.txt}; it exits 1 when anything was found.
 */
public final class FuzzRunner {
    private static final String PACKAGE = "org.transformers4j.fuzz";
    private static final String DRIVER = "com.code_intelligence.jazzer.Jazzer";
    private static final Pattern DONE = Pattern.compile("Done (\\d+) runs in (\\d+) second");

    /** A fuzz target: its class and its seed corpus folder. */
    public record Target(String name, Class<?> type, Path seeds, Path dictionary) {
    }

    /**
     * What one fuzzing run did.
     *
     * @param findings the files Jazzer wrote for crashes, timeouts, out-of-memory and leaks
     */
    public record Outcome(String target, long executions, double seconds, List<Path> findings, ForkedJvm.Result run) {
        /** Whether it ran to its time without a finding. */
        public boolean clean() {
            return findings.isEmpty() && run.exitCode() == 0 && !run.timedOut();
        }
    }

    private FuzzRunner() {
    }

    /** Every fuzz target on the class path, by name. */
    public static List<Target> targets() {
        Path dir = classesRoot().resolve(PACKAGE.replace('.', '/'));
        Path corpora = resource("fuzz");
        try (Stream<Path> files = Files.list(dir)) {
            List<Target> out = new ArrayList<>();
            for (Path f : files.sorted().toList()) {
                String file = f.getFileName().toString();
                if (file.endsWith("Target.class") && !file.contains("$")) {
                    String name = file.substring(0, file.length() - ".class".length());
                    Class<?> type = Class.forName(PACKAGE + "." + name);
                    entryPoint(type);
                    Path dict = corpora.resolve(name + ".dict");
                    out.add(new Target(name, type, corpora.resolve(name), Files.isRegularFile(dict) ? dict : null));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the fuzz targets in " + dir, e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The target's {@code public static void fuzzerTestOneInput(byte[])}; names the class when it has none. */
    static Method entryPoint(Class<?> type) {
        try {
            Method m = type.getMethod("fuzzerTestOneInput", byte[].class);
            if (!Modifier.isStatic(m.getModifiers()) || m.getReturnType() != void.class) {
                throw new IllegalStateException(type.getName() + ".fuzzerTestOneInput must be public static void");
            }
            return m;
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type.getName() + " has no public static void fuzzerTestOneInput(byte[])", e);
        }
    }

    /** The seed files of a target (at least one, or it is an error). */
    public static List<Path> seeds(Target t) {
        if (!Files.isDirectory(t.seeds())) {
            throw new IllegalStateException(t.name() + " has no seed corpus " + t.seeds());
        }
        try (Stream<Path> files = Files.list(t.seeds())) {
            List<Path> seeds = files.filter(Files::isRegularFile).sorted().toList();
            if (seeds.isEmpty()) {
                throw new IllegalStateException(t.name() + " has an empty seed corpus " + t.seeds());
            }
            return seeds;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs every seed through the target in this JVM; throws AssertionError naming the first seed that escapes. */
    public static int runSeeds(Target t) {
        Method m = entryPoint(t.type());
        List<Path> seeds = seeds(t);
        for (Path seed : seeds) {
            try {
                m.invoke(null, (Object) Files.readAllBytes(seed));
            } catch (InvocationTargetException e) {
                throw new AssertionError(t.name() + " on seed " + seed.getFileName() + ": " + e.getCause(), e.getCause());
            } catch (IOException | IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return seeds.size();
    }

    /**
     * Fuzzes one target for the given time in a forked JVM; the working corpus (created if
     * missing) receives the seeds' descendants, findings land in the findings folder.
     */
    public static Outcome fuzz(Target t, Duration time, Path corpus, Path findings) {
        try {
            Files.createDirectories(corpus);
            Files.createDirectories(findings);
            Path scratch = Files.createTempDirectory("fuzz-" + t.name());
            List<String> args = new ArrayList<>(List.of("--target_class=" + t.type().getName(),
                    "--instrumentation_includes=org.transformers4j.**",
                    "-max_total_time=" + Math.max(1, time.toSeconds()), "-timeout=10", "-rss_limit_mb=3072",
                    "-artifact_prefix=" + findings.toAbsolutePath() + "/"));
            if (t.dictionary() != null) {
                args.add("-dict=" + t.dictionary());
            }
            args.add(corpus.toAbsolutePath().toString());
            args.add(t.seeds().toString());
            ForkedJvm.Result r = ForkedJvm.main(DRIVER).jvmArgs("-Xmx1g", "-XX:+EnableDynamicAgentLoading", "-Djava.io.tmpdir=" + scratch)
                    .args(args.toArray(String[]::new)).timeout(time.plusMinutes(2)).run();
            deleteTree(scratch);
            Matcher m = DONE.matcher(r.output());
            long runs = -1;
            double seconds = 0;
            while (m.find()) {
                runs = Long.parseLong(m.group(1));
                seconds = Double.parseDouble(m.group(2));
            }
            return new Outcome(t.name(), runs, seconds, findings(findings), r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fuzz " + t.name(), e);
        }
    }

    private static List<Path> findings(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("(crash|timeout|oom|leak)-.*")).sorted().toList();
        }
    }

    /** The table that ./t4j fuzz prints: target, executions, seconds, findings, then the totals. */
    public static String table(List<Outcome> outcomes) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-24s %14s %9s %9s%n", "target", "executions",
                "seconds", "findings"));
        long runs = 0, found = 0;
        double seconds = 0;
        for (Outcome o : outcomes) {
            b.append(String.format(Locale.ROOT, "%-24s %14d %9.0f %9d%n", o.target(), o.executions(), o.seconds(),
                    o.findings().size()));
            runs += Math.max(o.executions(), 0);
            seconds += o.seconds();
            found += o.findings().size();
        }
        return b.append(String.format(Locale.ROOT, "%-24s %14d %9.0f %9d%n", "total", runs, seconds, found)).toString();
    }

    /** Fuzzes every target for MINUTES (default 10) in all; see the class comment. */
    public static void main(String[] args) throws IOException {
        double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 10;
        if (!(minutes > 0) || minutes > 60 * 24 * 7) {
            throw new IllegalArgumentException("MINUTES must be more than 0 and at most a week, not " + args[0]);
        }
        List<Target> targets = targets();
        Duration each = Duration.ofSeconds(Math.max(1, Math.round(minutes * 60 / targets.size())));
        System.out.printf(Locale.ROOT, "fuzzing %d targets for %d s each%n", targets.size(), each.toSeconds());
        Path work = Path.of("target", "fuzz");
        List<Outcome> outcomes = new ArrayList<>();
        for (Target t : targets) {
            Outcome o = fuzz(t, each, work.resolve("corpus").resolve(t.name()), work.resolve("findings").resolve(t.name()));
            outcomes.add(o);
            System.out.printf(Locale.ROOT, "%s: %d executions in %.0f s, %d findings%n", t.name(), o.executions(),
                    o.seconds(), o.findings().size());
            if (!o.clean()) {
                System.out.println(o.run().describe());
                o.findings().forEach(f -> System.out.println("finding: " + f.toAbsolutePath()));
            }
        }
        String table = table(outcomes);
        System.out.print(table);
        Files.writeString(Files.createDirectories(Path.of("target")).resolve("fuzz-report.txt"), table);
        System.exit(outcomes.stream().allMatch(Outcome::clean) ? 0 : 1);
    }

    private static Path classesRoot() {
        try {
            return Path.of(FuzzRunner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path resource(String name) {
        var url = FuzzRunner.class.getResource("/" + name);
        if (url == null) {
            throw new IllegalStateException("test resource " + name + " is missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temporary folder is all that is left
        }
    }
}
