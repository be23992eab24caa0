package org.transformers4j.checkpoint;

import java.util.Set;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** Named parameters of a model, as the Hugging Face Hub names them. */
public interface Checkpoint extends AutoCloseable {

    /** Every parameter name. */
    Set<String> names();

    /** Whether the checkpoint has a parameter of that name. */
    default boolean has(String name) {
        return names().contains(name);
    }

    /** The stored shape of a parameter; throws {@link CheckpointException} naming it when absent. */
    Shape shape(String name);

    /**
     * The parameter as float32: a view of the checkpoint's bytes where it is stored as aligned float32, a
     * converted copy in the arena otherwise. Throws {@link CheckpointException} naming it when absent.
     */
    Tensor load(String name, TensorArena arena);

    /**
     * The parameter as a bfloat16 tensor viewing the file, where it is stored as bfloat16 (and
     * aligned, on a little-endian host); null otherwise. Throws {@link CheckpointException} naming
     * it when absent.
     */
    default Tensor viewBf16(String name, TensorArena arena) {
        shape(name);
        return null;
    }

    /** Where the checkpoint came from, for messages. */
    String source();

    /**
     * Releases the checkpoint's bytes (its own copy or its mapping); tensors viewing them must not
     * be used afterwards. Closing again does nothing.
     */
    @Override
    void close();
}
