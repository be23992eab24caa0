package org.transformers4j.util;

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

/**
 * Copies class-path resources (native libraries, bundled models) into a cache folder once, so
 * they can be loaded or memory-mapped as files. The folder is {@code $XDG_CACHE_HOME/transformers4j}
 * or {@code ~/.cache/transformers4j}, or the system property {@code transformers4j.cache}. Files are
 * written to a temporary name and moved into place, so a reader never sees half a file.
 */
public final class ResourceCache {
    private ResourceCache() {
    }

    /** The cache folder. */
    public static Path root() {
        String override = System.getProperty("transformers4j.cache");
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("transformers4j");
    }

    /** Reads a class-path resource whole; throws {@link UncheckedIOException} naming it when absent. */
    public static byte[] read(String resource) {
        try (InputStream in = ResourceCache.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new UncheckedIOException(new IOException("resource " + resource + " is not on the class path"));
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + resource, e);
        }
    }

    /** Writes bytes to dir/name unless a file of that size and content is there already. */
    public static Path extract(Path dir, String name, byte[] bytes) {
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
                moveIntoPlace(tmp, target);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + name + " to " + dir, e);
        }
    }

    /** Moves a finished temporary file over the target, atomically where the file system can. */
    public static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** First 16 hex digits of the SHA-256 of the parts. */
    public static String hash(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
            }
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
