package org.transformers4j.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the weights in a model folder, whichever way they are stored. */
public final class Checkpoints {
    private Checkpoints() {
    }

    /** {@link #open(Path, LoadMode)} in the default mode ({@link LoadMode#byDefault()}). */
    public static Checkpoint open(Path dir) {
        return open(dir, LoadMode.byDefault());
    }

    /**
     * model.safetensors or model.safetensors.index.json (sharded), held as mode says; throws
     * {@link CheckpointException} naming the folder when neither is there, or the file when it is
     * not a regular file (a pipe, a device, a folder) or is malformed.
     */
    public static Checkpoint open(Path dir, LoadMode mode) {
        Path single = dir.resolve("model.safetensors");
        if (Files.exists(single)) {
            return SafeTensors.open(single, mode);
        }
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.exists(index)) {
            return ShardedCheckpoint.open(index, mode);
        }
        throw new CheckpointException(dir + ": no model.safetensors or model.safetensors.index.json");
    }
}
