package org.transformers4j.checkpoint;

/**
 * A checkpoint file or its content is unusable: truncated, corrupt, or missing or misshapen
 * parameters. The message names the file and, where there is one, the tensor.
 */
public class CheckpointException extends IllegalArgumentException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
