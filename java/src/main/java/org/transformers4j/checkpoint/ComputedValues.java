package org.transformers4j.checkpoint;

import java.util.Optional;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** Float32 values computed at load time, taken as a parameter stored in float32 (see {@link StoredTensor#ofValues}). */
record ComputedValues(String name, float[] values, Shape shape) implements StoredTensor {
    ComputedValues {
        if (shape.elements() != values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + shape);
        }
    }

    @Override
    public boolean isInt8() {
        return false;
    }

    @Override
    public Tensor load(TensorArena arena) {
        return arena.of(values, shape.toArray());
    }

    @Override
    public Optional<Tensor> inPlace(DType type, TensorArena arena) {
        return type == DType.F32 ? Optional.of(load(arena)) : Optional.empty();
    }

    @Override
    public Tensor int8Values(TensorArena arena) {
        throw new CheckpointException("parameter " + name + " is not stored in int8");
    }

    @Override
    public Tensor int8Scales(TensorArena arena) {
        throw new CheckpointException("parameter " + name + " is not stored in int8");
    }

    @Override
    public boolean int8PerTensorActivations() {
        return false;
    }
}
