package org.transformers4j.checkpoint;

/**
 * A checkpoint file or its content is unusable: truncated, corrupt, or missing or misshapen
 * parameters. The message names the file and, where there is one, the tensor.
 */
public class CheckpointException extends IllegalArgumentException {
    /**
     * A malformed or missing checkpoint.
     *
     * @param message what was wrong, naming the file
     */
    public CheckpointException(String message) {
        super(message);
    }

    /**
     * A malformed or missing checkpoint, from another failure.
     *
     * @param message what was wrong, naming the file
     * @param cause the failure underneath
     */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
