package org.transformers4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.TorchCheckpoint;
import org.transformers4j.checkpoint.TorchFiles;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.TensorArena;

/**
 * Fuzzes the torch.save reader. The first byte chooses what the rest is: even, a data.pkl put in
 * a torch.save zip beside storages "0" (16 float32, 64 bytes), "1" (8 bytes) and "2" (empty), so
 * that mutations of the pickle reach the tensor checks; odd, a whole .bin file (the zip reader).
 * Every tensor of a file that opens is loaded as float32 and, where it can be, viewed as
 * bfloat16. Only {@link CheckpointException} is expected for bad input.
 */
public final class TorchPickleTarget {
    private static final Path DIR;
    private static final Path FILE;
    private static final Map<String, byte[]> STORAGES = new LinkedHashMap<>();

    static {
        try {
            DIR = Files.createTempDirectory("t4j-fuzz-torch");
            DIR.toFile().deleteOnExit();
            FILE = DIR.resolve("pytorch_model.bin");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        float[] sixteen = new float[16];
        for (int i = 0; i < 16; i++) {
            sixteen[i] = i * 0.5f - 3;
        }
        STORAGES.put("0", TorchFiles.floats(sixteen));
        STORAGES.put("1", new byte[] {0, 0x3c, 0, (byte) 0xc0, 0x49, 0x40, (byte) 0x80, 0x3f});
        STORAGES.put("2", new byte[0]);
    }

    private TorchPickleTarget() {
    }

    /** libFuzzer's entry point. */
    public static void fuzzerTestOneInput(byte[] data) {
        if (data.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        byte[] file = (data[0] & 1) == 0 ? TorchFiles.zip("archive", rest, STORAGES) : rest;
        try {
            Files.write(FILE, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (TorchCheckpoint c = TorchCheckpoint.open(FILE); TensorArena arena = TensorArena.confined()) {
            for (String name : c.names()) {
                c.shape(name);
                c.dtype(name);
                c.view(name).inPlace(DType.BF16, arena);
                c.load(name, arena).toFloatArray();
            }
        } catch (CheckpointException expected) {
            // bad input, reported with the file named
        }
    }
}
