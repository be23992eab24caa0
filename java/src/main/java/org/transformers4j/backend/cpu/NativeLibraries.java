package org.transformers4j.backend.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Loads native libraries shipped as class-path resources: each is copied once
 * into a cache directory named after its content hash, then loaded with
 * {@link System#load}, so the jextract bindings (which look symbols up in
 * this class loader's libraries) find them. The cache directory is
 * {@code $XDG_CACHE_HOME/transformers4j} or {@code ~/.cache/transformers4j},
 * or the system property {@code transformers4j.cache} when set.
 */
final class NativeLibraries {
    static final String PLATFORM = platform();

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
    static Path load(String folder, List<String> names) {
        List<byte[]> contents = names.stream().map(n -> read(folder + "/" + n)).toList();
        Path dir = cacheRoot().resolve(folder.replace('/', '_') + "-" + hash(contents.toArray(byte[][]::new)));
        for (int i = 0; i < names.size(); i++) {
            Path file = extract(dir, names.get(i), contents.get(i));
            System.load(file.toAbsolutePath().toString());
        }
        return dir;
    }

    private static byte[] read(String resource) {
        try (InputStream in = NativeLibraries.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("native library " + resource + " is not on the class path (platform "
                        + PLATFORM + ")");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + resource, e);
        }
    }

    private static Path cacheRoot() {
        String override = System.getProperty("transformers4j.cache");
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("transformers4j");
    }

    /** Writes bytes to dir/name unless an identical file is there; a temporary file is moved in place. */
    private static Path extract(Path dir, String name, byte[] bytes) {
        Path target = dir.resolve(name);
        try {
            if (Files.isRegularFile(target) && Files.size(target) == bytes.length
                    && hash(Files.readAllBytes(target)).equals(hash(bytes))) {
                return target;
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, name, ".tmp");
            try {
                Files.write(tmp, bytes);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract native library " + name + " to " + dir, e);
        }
    }

    private static String hash(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
            }
            byte[] d = md.digest();
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
