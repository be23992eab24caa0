package org.transformers4j.fuzz;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a fuzz target over every file of a corpus folder once, printing each file's name before
 * its run (so that the last name printed is the culprit when the JVM dies) and "REPLAYED n" at
 * the end. An exception escaping the target propagates and the JVM exits with an error.
 */
public final class CorpusReplay {
    private CorpusReplay() {
    }

    /** Arguments: the target class name, the corpus folder. */
    public static void main(String[] args) throws Exception {
        Method target = Class.forName(args[0]).getMethod("fuzzerTestOneInput", byte[].class);
        List<Path> files;
        try (var list = Files.list(Path.of(args[1]))) {
            files = list.sorted().toList();
        }
        for (Path f : files) {
            System.out.println("input " + f.getFileName());
            System.out.flush();
            target.invoke(null, (Object) Files.readAllBytes(f));
        }
        System.out.println("REPLAYED " + files.size());
    }
}
