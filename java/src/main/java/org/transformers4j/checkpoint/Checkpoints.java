package org.transformers4j.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the weights in a model folder, whichever way they are stored. */
public final class Checkpoints {
    private Checkpoints() {
    }

    /**
     * model.safetensors, model.safetensors.index.json (sharded), or a single {@code *.onnx} file
     * (through the ONNX importer); throws {@link CheckpointException} naming the folder when none is there.
     * With no safetensors there, pytorch_model.bin or pytorch_model.bin.index.json is read (torch.save
     * files, read without executing anything: {@link TorchCheckpoint}).
     */
    public static Checkpoint open(Path dir) {
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(single)) {
            return SafeTensors.open(single);
        }
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            return ShardedCheckpoint.open(index);
        }
        Path bin = dir.resolve("pytorch_model.bin"), binIndex = dir.resolve("pytorch_model.bin.index.json");
        if (Files.isRegularFile(bin)) {
            return TorchCheckpoint.open(bin);
        }
        if (Files.isRegularFile(binIndex)) {
            return TorchCheckpoint.openIndex(binIndex);
        }
        throw new CheckpointException(dir + ": no model.safetensors, model.safetensors.index.json, pytorch_model.bin"
                + " or pytorch_model.bin.index.json");
    }
}
