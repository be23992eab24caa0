package org.transformers4j.checkpoint;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import org.transformers4j.checkpoint.files.SafeFiles;

/** A whole weights file as a memory segment, read into owned memory or mapped (see {@link LoadMode}). */
final class FileBytes {
    /** Bytes read per call, so that a buffer never exceeds what a ByteBuffer can address. */
    private static final int CHUNK = 1 << 26;

    private FileBytes() {
    }

    /**
     * The file's bytes, in memory of arena: copied or mapped. Only regular files are opened (a pipe
     * would block, a device never end); what names the file in messages ("weights", "ONNX model").
     */
    static MemorySegment load(Path file, String what, LoadMode mode, Arena arena) {
        SafeFiles.requireRegularFile(file, what);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (mode == LoadMode.MAPPED) {
                return ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            return copy(file, what, ch, size, arena);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read the " + what + ": " + e.getMessage(), e);
        }
    }

    private static MemorySegment copy(Path file, String what, FileChannel ch, long size, Arena arena) throws IOException {
        BasicFileAttributes before = Files.readAttributes(file, BasicFileAttributes.class);
        MemorySegment owned;
        try {
            owned = arena.allocate(Math.max(size, 1), 64).asSlice(0, size);
        } catch (OutOfMemoryError e) {
            throw new CheckpointException(file + ": the " + size + "-byte " + what + " does not fit in memory to be copied;"
                    + " open it with LoadMode.MAPPED (system property " + LoadMode.PROPERTY + "=mapped)", e);
        }
        for (long pos = 0; pos < size; pos += CHUNK) {
            ByteBuffer buf = owned.asSlice(pos, Math.min(CHUNK, size - pos)).asByteBuffer();
            while (buf.hasRemaining()) {
                if (ch.read(buf, pos + buf.position()) < 0) {
                    throw changed(file, what, "it ended at byte " + (pos + buf.position()) + " of " + size);
                }
            }
        }
        // A file replaced by rename meanwhile leaves the open one whole: only the same file with
        // another size or time was written to while it was read. A same-size rewrite within one
        // tick of the file system's clock cannot be seen here (nor by any reader without locks).
        BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class);
        boolean sameFile = before.fileKey() != null && Objects.equals(after.fileKey(), before.fileKey());
        if (ch.size() != size || (sameFile && !after.lastModifiedTime().equals(before.lastModifiedTime()))) {
            throw changed(file, what, "its size or modification time differ after the read");
        }
        return owned;
    }

    private static CheckpointException changed(Path file, String what, String how) {
        return new CheckpointException(file + ": the " + what + " changed while it was being read (" + how
                + "); replace model files by rename, not in place, or try again");
    }
}

