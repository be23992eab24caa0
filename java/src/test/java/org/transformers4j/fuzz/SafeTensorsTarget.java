package org.transformers4j.fuzz;

import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.TensorArena;

/**
 * A whole safetensors file: the header length, the JSON header and the layout checks, then every
 * tensor read the way a model or a reference check reads it. Only {@link CheckpointException} is
 * expected.
 */
public final class SafeTensorsTarget {
    private SafeTensorsTarget() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        try (SafeTensors s = SafeTensors.fromBytes(data, "fuzz.safetensors"); TensorArena arena = TensorArena.confined()) {
            s.metadata().size();
            for (String name : s.names()) {
                s.shape(name);
                switch (s.dtype(name)) {
                    case "F32", "F16", "BF16" -> {
                        s.load(name, arena).toFloatArray();
                        s.view(name).inPlace(DType.BF16, arena);
                    }
                    case "I64", "I32" -> s.loadLongs(name);
                    default -> expectRefused(() -> s.load(name, arena));
                }
            }
        } catch (CheckpointException expected) {
            // bad input, refused with a message
        }
    }

    /** Other dtypes are listed but cannot be loaded as parameters: that must be a CheckpointException. */
    static void expectRefused(Runnable load) {
        try {
            load.run();
        } catch (CheckpointException expected) {
            return;
        }
        throw new IllegalStateException("a tensor of a dtype that is not a parameter type was loaded");
    }
}
