package org.transformers4j.checkpoint;

import java.util.List;
import java.util.Optional;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * A parameter as a checkpoint stores it, before any conversion: what a backend's weight policy
 * ({@code Backend.weightMatrix(StoredTensor, TensorArena)}) chooses from. It offers the values as
 * float32 ({@link #load}), the stored values in their own type where they can be used as they are
 * ({@link #inPlace}), or, for a parameter stored in int8, the int8 values and their scales. From
 * {@link Checkpoint#view}; several parameters stacked by rows: {@link #stackRows}; values computed
 * at load time: {@link #ofValues}.
 */
public interface StoredTensor {

    /** {@return the parameter's name (the names of stacked parts, joined), for messages} */
    String name();

    /** {@return the stored shape} */
    Shape shape();

    /**
     * {@return whether the parameter is stored quantized to int8 (docs/int8.md), with its scales}
     */
    boolean isInt8();

    /**
     * The values as float32: a view of the checkpoint's bytes where they are stored as aligned
     * float32, a converted (or dequantized) copy in arena otherwise.
     *
     * @param arena a host arena, where a copy is made
     * @return the float32 values
     */
    Tensor load(TensorArena arena);

    /**
     * The values exactly as stored, in their stored type, without conversion: a view of the
     * checkpoint's bytes (stacked parts: one copy of their bytes in arena). Empty where the
     * parameter is stored in another type, or its bytes cannot be viewed (unaligned, strided, on a
     * big-endian host).
     *
     * @param type the element type wanted
     * @param arena a host arena, which views belong to and copies are made in
     * @return the values in type, or empty
     */
    Optional<Tensor> inPlace(DType type, TensorArena arena);

    /**
     * The int8 values [N, K] (dtype I8) of a parameter {@link #isInt8 stored in int8}, viewing the
     * checkpoint's bytes where it can.
     *
     * @param arena a host arena, where a copy is made when the bytes cannot be viewed
     * @return the int8 values
     * @throws CheckpointException when the parameter is not stored in int8
     */
    Tensor int8Values(TensorArena arena);

    /**
     * The float32 scales [N] of a parameter {@link #isInt8 stored in int8}, each checked finite.
     *
     * @param arena a host arena, where a copy is made when the bytes cannot be viewed
     * @return the scales
     * @throws CheckpointException naming the scale and its value when one is not finite, or when
     *         the parameter is not stored in int8
     */
    Tensor int8Scales(TensorArena arena);

    /**
     * {@return whether the activations meeting these int8 weights are quantized per tensor rather
     * than per row (see {@link Checkpoint#int8PerTensorActivations()})}
     */
    boolean int8PerTensorActivations();

    /**
     * Parameters [rows_i, K] stacked by rows into one [sum rows_i, K] (a fused projection): int8
     * when every part is, in place in a type when every part is stored in it, float32 otherwise.
     *
     * @param parts two or more 2-D parameters of as many columns
     * @return the stacked parameter
     * @throws IllegalArgumentException when parts is empty or a part is not 2-D with the same columns
     */
    static StoredTensor stackRows(List<StoredTensor> parts) {
        return new StackedRows(parts);
    }

    /**
     * Float32 values computed at load time (a transposed or rescaled matrix), to be taken as a
     * parameter stored in float32 would be.
     *
     * @param name what they were computed from, for messages
     * @param values the values, row-major
     * @param dims the shape, whose product is values.length
     * @return the parameter
     * @throws IllegalArgumentException when the shape does not hold values.length values
     */
    static StoredTensor ofValues(String name, float[] values, long... dims) {
        return new ComputedValues(name, values, Shape.of(dims));
    }
}
