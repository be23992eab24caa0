package org.transformers4j.checkpoint.files;

import java.nio.file.Path;
import java.util.function.Supplier;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.util.BoundedFiles;
import org.transformers4j.util.FileFormatException;

/**
 * Reading the files of a model folder (config.json, tokenizer.json, generation_config.json) as
 * {@link BoundedFiles} does, regular files only and up to a size cap, with its errors as the
 * {@link CheckpointException}s users catch, the same message naming the file.
 *
 * <p>Why a package of its own: util sits below checkpoint (checkpoint reads its files through
 * util), so util cannot throw checkpoint's exception; the layers above checkpoint read through
 * here, checkpoint itself through util with the same translation.
 */
public final class SafeFiles {
    /** The cap for JSON files (config.json, generation_config.json, index files): 64 MiB. */
    public static final long MAX_JSON_BYTES = BoundedFiles.MAX_JSON_BYTES;
    /** The cap for tokenizer.json, whose vocabularies can be large: 512 MiB. */
    public static final long MAX_TOKENIZER_BYTES = BoundedFiles.MAX_TOKENIZER_BYTES;

    private SafeFiles() {
    }

    /**
     * As {@link BoundedFiles#requireRegularFile}.
     *
     * @param file the file
     * @param what what it is, for messages
     * @return its size
     * @throws CheckpointException naming the file and what it is instead
     */
    public static long requireRegularFile(Path file, String what) {
        return checked(() -> BoundedFiles.requireRegularFile(file, what));
    }

    /**
     * As {@link BoundedFiles#readBytes}.
     *
     * @param file the file
     * @param what what it is, for messages
     * @param maxBytes the most bytes read
     * @return its bytes
     * @throws CheckpointException naming the file and the fault
     */
    public static byte[] readBytes(Path file, String what, long maxBytes) {
        return checked(() -> BoundedFiles.readBytes(file, what, maxBytes));
    }

    /**
     * As {@link BoundedFiles#readText}.
     *
     * @param file the file
     * @param what what it is, for messages
     * @param maxBytes the most bytes read
     * @return its text
     * @throws CheckpointException naming the file and the fault
     */
    public static String readText(Path file, String what, long maxBytes) {
        return checked(() -> BoundedFiles.readText(file, what, maxBytes));
    }

    /**
     * As {@link BoundedFiles#decodeUtf8}.
     *
     * @param bytes the bytes
     * @param source what they are, for messages
     * @return the text
     * @throws CheckpointException naming source and the first bad byte
     */
    public static String decodeUtf8(byte[] bytes, String source) {
        return checked(() -> BoundedFiles.decodeUtf8(bytes, source));
    }

    /** The read's result; its {@link FileFormatException} rethrown as a CheckpointException (message, cause, stack). */
    static <T> T checked(Supplier<T> read) {
        try {
            return read.get();
        } catch (FileFormatException e) {
            CheckpointException c = new CheckpointException(e.getMessage(), e.getCause());
            c.setStackTrace(e.getStackTrace());
            throw c;
        }
    }
}
