package org.transformers4j.checkpoint;

import java.util.Set;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** Named parameters of a model, as the Hugging Face Hub names them. */
public interface Checkpoint extends AutoCloseable {

    /** {@return every parameter name} */
    Set<String> names();

    /**
     * {@return whether the checkpoint has a parameter of that name}
     *
     * @param name the parameter's name
     */
    default boolean has(String name) {
        return names().contains(name);
    }

    /**
     * {@return the stored shape of a parameter; throws {@link CheckpointException} naming it when absent}
     *
     * @param name the parameter's name
     */
    Shape shape(String name);

    /**
     * The parameter as float32: a view of the checkpoint's bytes where it is stored as aligned float32, a
     * converted copy in the arena otherwise. Throws {@link CheckpointException} naming it when absent.
     *
     * @param name the parameter's name
     * @param arena where a converted copy is made
     * @return the parameter
     */
    Tensor load(String name, TensorArena arena);

    /**
     * The parameter as stored, for a backend to take in the form it keeps weights in (its weight
     * policy: {@code Backend.weightMatrix(StoredTensor, TensorArena)}): float32, the stored bytes
     * in place where their type is the one wanted, or int8 with scales. Throws
     * {@link CheckpointException} naming it when absent.
     *
     * @param name the parameter's name
     * @return the stored parameter
     */
    default StoredTensor view(String name) {
        return new StoredParameter(this, name, StoredParameter.NONE);
    }

    /** The suffix of the scales of a parameter stored in int8: NAME_scale beside NAME (docs/int8.md). */
    String INT8_SCALE_SUFFIX = "_scale";

    /**
     * Whether the parameter is stored quantized to int8 (docs/int8.md): NAME as I8 [N, K], row n
     * the quantized output channel n whatever orientation the float tensor had, and NAME_scale as
     * F32 [N], w[n, k] = NAME[n, k] * NAME_scale[n]. {@link #load} gives it dequantized to float32.
     * Throws {@link CheckpointException} naming the parameter when absent, or when its scales are
     * missing or of the wrong shape.
     *
     * @param name the parameter's name
     * @return whether it is stored in int8
     */
    default boolean isInt8(String name) {
        shape(name);
        return false;
    }

    /**
     * The int8 values [N, K] (dtype I8) of a parameter {@link #isInt8 stored in int8}, viewing the
     * checkpoint's bytes where it can; its scales are the float32 parameter NAME_scale.
     *
     * @param name the parameter's name
     * @param arena where a copy is made when the bytes cannot be viewed
     * @return the int8 values
     */
    default Tensor int8Values(String name, TensorArena arena) {
        throw new CheckpointException(source() + ": parameter " + name + " is not stored in int8");
    }

    /**
     * Whether the activations meeting this checkpoint's int8 weights are quantized with one scale
     * and zero point per tensor (ONNX Runtime's dynamic quantization, which an imported graph asks
     * for) rather than per row.
     *
     * @return whether activations are quantized per tensor
     */
    default boolean int8PerTensorActivations() {
        return false;
    }

    /** {@return where the checkpoint came from, for messages} */
    String source();

    /**
     * Releases the checkpoint's bytes (its own copy or its mapping); tensors viewing them must not
     * be used afterwards. Closing again does nothing.
     */
    @Override
    void close();
}
