package org.transformers4j.util;

/**
 * A file is unusable: missing, not a regular file, too large, not UTF-8 or not strict JSON. The
 * message names the file and what was wrong. The readers here sit below the checkpoint layer, so
 * they throw this; the library's callers turn it into the checkpoint's own exception, with the
 * same message, before it reaches a user.
 */
public class FileFormatException extends IllegalArgumentException {
    /**
     * An unusable file.
     *
     * @param message what was wrong, naming the file
     */
    public FileFormatException(String message) {
        super(message);
    }

    /**
     * An unusable file, from another failure.
     *
     * @param message what was wrong, naming the file
     * @param cause the failure underneath
     */
    public FileFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
