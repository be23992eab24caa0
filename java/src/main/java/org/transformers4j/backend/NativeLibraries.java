package org.transformers4j.backend;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.transformers4j.util.ResourceCache;

/**
 * Loads native libraries shipped as class-path resources: each is copied once into the cache
 * folder ({@link ResourceCache}) under a name derived from the content hash, then loaded with
 * {@link System#load}, so the jextract bindings (which look symbols up in this class loader's
 * libraries) find them. A library of ours that needs a runtime the build ships beside it
 * (libt4j_cpu: libgomp.so.1, absent where gcc is not installed) gets it loaded first, by absolute
 * path from the same folder, so that its dependency is found without the system's.
 */
public final class NativeLibraries {
    /** The folder of this machine under natives/ in our jar: linux-x86_64 or linux-aarch64. */
    public static final String PLATFORM = platform(false);
    /** The same in the naming of the org.bytedeco jars: linux-x86_64 or linux-arm64. */
    public static final String BYTEDECO_PLATFORM = platform(true);

    /** Libraries shipped beside one of ours, loaded before it. */
    private static final Map<String, List<String>> SHIPPED_WITH = Map.of("libt4j_cpu.so", List.of("libgomp.so.1"));

    private NativeLibraries() {
    }

    private static String platform(boolean bytedeco) {
        String os = System.getProperty("os.name").toLowerCase();
        String arch = System.getProperty("os.arch");
        String o = os.contains("linux") ? "linux" : os.contains("mac") ? "macosx" : os.contains("win") ? "windows" : os;
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64"
                : arch.equals("aarch64") || arch.equals("arm64") ? (bytedeco ? "arm64" : "aarch64") : arch;
        return o + "-" + a;
    }

    /** The names with what the build ships beside each put before it, each once. */
    static List<String> withShipped(List<String> names) {
        List<String> all = new ArrayList<>();
        for (String n : names) {
            for (String dep : SHIPPED_WITH.getOrDefault(n, List.of())) {
                if (!all.contains(dep)) {
                    all.add(dep);
                }
            }
            if (!all.contains(n)) {
                all.add(n);
            }
        }
        return all;
    }

    /**
     * Extracts the given resources (all from one folder, in dependency order), and the runtimes
     * shipped beside them, into one cache folder and loads them in that order. Throws
     * {@link UnsatisfiedLinkError} naming what is missing.
     *
     * @param folder the resource folder, for example "natives/linux-x86_64"
     * @param libraries the file names in that folder, each after those it depends on
     * @return the cache folder the libraries were loaded from
     * @throws UnsatisfiedLinkError when a resource is missing for this platform or does not load
     */
    public static Path load(String folder, List<String> libraries) {
        List<String> names = withShipped(libraries);
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
