package org.transformers4j.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the weights in a model folder, whichever way they are stored. */
public final class Checkpoints {
    private Checkpoints() {
    }

    /**
     * {@return {@link #open(Path, LoadMode)} in the default mode ({@link LoadMode#byDefault()})}
     *
     * @param dir a model folder
     */
    public static Checkpoint open(Path dir) {
        return open(dir, LoadMode.byDefault());
    }

    /**
     * model.safetensors or model.safetensors.index.json (sharded), else pytorch_model.bin or
     * pytorch_model.bin.index.json (torch.save files, read without executing anything:
     * {@link TorchCheckpoint}), held as mode says; throws
     * {@link CheckpointException} naming the folder when neither is there, or the file when it is
     * not a regular file (a pipe, a device, a folder) or is malformed.
     *
     * @param dir a model folder
     * @param mode how the weights are held (read into memory, or mapped)
     * @return the checkpoint, to close when the model is loaded
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
        Path bin = dir.resolve("pytorch_model.bin"), binIndex = dir.resolve("pytorch_model.bin.index.json");
        if (Files.isRegularFile(bin)) {
            return TorchCheckpoint.open(bin, mode);
        }
        if (Files.isRegularFile(binIndex)) {
            return TorchCheckpoint.openIndex(binIndex, mode);
        }
        throw new CheckpointException(dir + ": no model.safetensors, model.safetensors.index.json, pytorch_model.bin"
                + " or pytorch_model.bin.index.json");
    }
}
