package org.transformers4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar is a module that exports the API packages and nothing else, as
 * {@code jar --describe-module} reports it, and every exported package is documented.
 */
class ModuleDescriptorIT {
    // the API: a package added here must also get a package-info.java with its documentation
    private static final Set<String> EXPORTED = Set.of(
            "org.transformers4j.backend", "org.transformers4j.backend.cpu", "org.transformers4j.backend.cuda",
            "org.transformers4j.checkpoint", "org.transformers4j.generation", "org.transformers4j.model",
            "org.transformers4j.model.bart", "org.transformers4j.model.bert", "org.transformers4j.model.distilbert",
            "org.transformers4j.model.electra", "org.transformers4j.model.gemma", "org.transformers4j.model.gpt2",
            "org.transformers4j.model.gptneo", "org.transformers4j.model.llama", "org.transformers4j.model.mistral",
            "org.transformers4j.model.modernbert", "org.transformers4j.model.phi3", "org.transformers4j.model.qwen2",
            "org.transformers4j.model.qwen3", "org.transformers4j.model.t5", "org.transformers4j.pipeline",
            "org.transformers4j.scheduler", "org.transformers4j.tensor", "org.transformers4j.tokenizer");

    @Test
    void jarDescribesAModuleExportingOnlyTheApi() {
        String description = describe(Path.of(System.getProperty("t4j.test.jar")));
        assertTrue(description.startsWith("org.transformers4j"), description);
        Set<String> exported = new TreeSet<>();
        Set<String> contained = new TreeSet<>();
        Set<String> openToGson = new TreeSet<>();
        for (String line : description.lines().toList()) {
            List<String> words = Arrays.asList(line.trim().split("\\s+"));
            if (line.trim().startsWith("qualified opens ") && words.getLast().equals("com.google.gson")) {
                openToGson.add(words.get(2));
            } else if (words.get(0).equals("exports")) {
                assertEquals(2, words.size(), "a qualified export in the library: " + line);
                exported.add(words.get(1));
            } else if (words.get(0).equals("contains")) {
                contained.add(words.get(1));
            }
        }
        assertEquals(new TreeSet<>(EXPORTED), exported, description);
        for (String internal : List.of("org.transformers4j.nn", "org.transformers4j.util",
                "org.transformers4j.verify", "org.transformers4j.backend.reference")) {
            assertTrue(contained.contains(internal), internal + " should be in the jar, unexported: " + description);
        }
        // gson binds the config records by reflection: on the module path it fails unless the package is open to it
        for (String pkg : exported) {
            if (pkg.startsWith("org.transformers4j.model")) {
                assertTrue(openToGson.contains(pkg), pkg + " is not open to com.google.gson: " + description);
            }
        }
    }

    @Test
    void everyExportedPackageIsDocumented() throws IOException {
        Path sources = Path.of("src", "main", "java");
        for (String pkg : EXPORTED) {
            Path info = sources.resolve(pkg.replace('.', '/')).resolve("package-info.java");
            assertTrue(Files.isRegularFile(info), "exported package " + pkg + " has no package-info.java");
            assertTrue(Files.readString(info).contains("/**"), info + " has no documentation comment");
        }
        try (Stream<Path> infos = Files.walk(sources)) {
            Set<String> documented = infos.filter(f -> f.endsWith("package-info.java"))
                    .map(f -> sources.relativize(f.getParent()).toString().replace('/', '.'))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertTrue(documented.containsAll(EXPORTED), "undocumented: " + documented);
        }
    }

    private static String describe(Path jar) {
        assertTrue(Files.isRegularFile(jar), "packaged jar missing: " + jar);
        ToolProvider tool = ToolProvider.findFirst("jar").orElseThrow();
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int status = tool.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), "--describe-module", "--file", jar.toString());
        assertEquals(0, status, "jar --describe-module --file " + jar + ": " + err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8).trim();
    }
}
