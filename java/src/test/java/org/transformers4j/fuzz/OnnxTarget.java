package org.transformers4j.fuzz;

import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.OnnxCheckpoint;
import org.transformers4j.tensor.TensorArena;

/**
 * An ONNX model file: the protobuf reader (varints, lengths, wire types), the initializers and
 * their sizes, the MatMul renaming, then every initializer loaded. Only {@link CheckpointException}
 * is expected.
 */
public final class OnnxTarget {
    private OnnxTarget() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        try (OnnxCheckpoint c = OnnxCheckpoint.fromBytes(data, "fuzz.onnx"); TensorArena arena = TensorArena.confined()) {
            for (String name : c.names()) {
                c.shape(name);
                c.load(name, arena).toFloatArray();
            }
        } catch (CheckpointException expected) {
            // bad input, refused with a message
        }
    }
}
