package org.transformers4j.backend;

import java.nio.file.Path;
import java.util.List;
import org.transformers4j.util.ResourceCache;

/**
 * Loads native libraries shipped as class-path resources: each is copied once into the cache
 * folder ({@link ResourceCache}) under a name derived from the content hash, then loaded with
 * {@link System#load}, so the jextract bindings (which look symbols up in this class loader's
 * libraries) find them.
 */
public final class NativeLibraries {
    public static final String PLATFORM = platform();

    private NativeLibraries() {
    }

    /** The resource folder suffix of this machine, for example linux-x86_64. */
    private static String platform() {
        String os = System.getProperty("os.name").toLowerCase();
        String arch = System.getProperty("os.arch");
        String o = os.contains("linux") ? "linux" : os.contains("mac") ? "macosx" : os.contains("win") ? "windows" : os;
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch.equals("aarch64") ? "arm64" : arch;
        return o + "-" + a;
    }

    /**
     * Extracts the given resources (all from one folder, in dependency order) into one cache
     * folder and loads them in that order. Throws {@link UnsatisfiedLinkError} naming what is missing.
     */
    public static Path load(String folder, List<String> names) {
        List<byte[]> contents;
        try {
            contents = names.stream().map(n -> ResourceCache.read(folder + "/" + n)).toList();
        } catch (RuntimeException e) {
            throw new UnsatisfiedLinkError(e.getMessage() + " (platform " + PLATFORM + ")");
        }
        Path dir = ResourceCache.root().resolve(folder.replace('/', '_') + "-"
                + ResourceCache.hash(contents.toArray(byte[][]::new)));
        for (int i = 0; i < names.size(); i++) {
            Path file = ResourceCache.extract(dir, names.get(i), contents.get(i));
            System.load(file.toAbsolutePath().toString());
        }
        return dir;
    }
}
