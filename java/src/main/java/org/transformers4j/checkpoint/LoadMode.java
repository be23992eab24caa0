package org.transformers4j.checkpoint;

import java.util.Locale;

/**
 * How a checkpoint's bytes are held while a model uses them.
 *
 * <p>A memory-mapped file is read in place, so the process sees any later change to the file: a
 * file truncated or rewritten in place ({@code cp new.safetensors model.safetensors}) under a
 * mapping makes the next read of a vanished page raise SIGBUS inside native code, which no Java
 * handler can catch, and a rewrite that keeps the size silently swaps the weights. Replacing a file
 * by rename ({@code mv}) is safe either way: the old file lives on until it is unmapped.
 *
 * <p>So {@link #COPY} is the default: the file is read once into memory the checkpoint owns
 * (and checked not to have changed while it was read); nothing done to the file afterwards reaches
 * the model. It costs a read of the whole file at load and memory that the page cache cannot share
 * between processes. {@link #MAPPED} keeps the zero-copy mapping, for read-only media or files
 * that are only ever replaced by rename.
 */
public enum LoadMode {
    /** Read the file into owned memory at open; later changes to the file cannot reach the model. */
    COPY,
    /** Map the file read-only and view it in place; the file must not be rewritten in place while open. */
    MAPPED;

    /** The system property that sets the default mode: {@code copy} (when unset) or {@code mapped}. */
    public static final String PROPERTY = "transformers4j.weights";

    /** {@return the mode that {@code open} methods without one use: the {@link #PROPERTY} system property, else COPY} */
    public static LoadMode byDefault() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            return COPY;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "copy" -> COPY;
            case "mapped" -> MAPPED;
            default -> throw new IllegalArgumentException("system property " + PROPERTY + " = " + value
                    + ": expected copy or mapped");
        };
    }
}
