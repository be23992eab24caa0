package org.transformers4j.checkpoint;

import java.util.function.Supplier;
import org.transformers4j.util.FileFormatException;

/**
 * The file readers of util sit below this package and throw their own exception; here it becomes
 * a {@link CheckpointException} with the same message, cause and stack, the type users catch.
 */
final class ReadErrors {
    private ReadErrors() {
    }

    /** The read's result; its {@link FileFormatException} rethrown as a CheckpointException. */
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
