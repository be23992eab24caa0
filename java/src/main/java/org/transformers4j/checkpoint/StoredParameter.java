package org.transformers4j.checkpoint;

import java.util.Optional;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** One parameter of a checkpoint, as {@link Checkpoint#view} gives it. */
final class StoredParameter implements StoredTensor {
    /** How a checkpoint views a parameter's bytes in their stored type (empty where it cannot). */
    @FunctionalInterface
    interface InPlace {
        Optional<Tensor> view(DType type, TensorArena arena);
    }

    /** For a checkpoint that never views bytes in a type other than float32. */
    static final InPlace NONE = (type, arena) -> Optional.empty();

    private final Checkpoint checkpoint;
    private final String name;
    private final InPlace inPlace;

    /** Throws {@link CheckpointException} naming the parameter when the checkpoint lacks it. */
    StoredParameter(Checkpoint checkpoint, String name, InPlace inPlace) {
        checkpoint.shape(name);
        this.checkpoint = checkpoint;
        this.name = name;
        this.inPlace = inPlace;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Shape shape() {
        return checkpoint.shape(name);
    }

    @Override
    public boolean isInt8() {
        return checkpoint.isInt8(name);
    }

    @Override
    public Tensor load(TensorArena arena) {
        return checkpoint.load(name, arena);
    }

    @Override
    public Optional<Tensor> inPlace(DType type, TensorArena arena) {
        return inPlace.view(type, arena);
    }

    @Override
    public Tensor int8Values(TensorArena arena) {
        return checkpoint.int8Values(name, arena);
    }

    @Override
    public Tensor int8Scales(TensorArena arena) {
        if (!isInt8()) {
            throw new CheckpointException(checkpoint.source() + ": parameter " + name + " is not stored in int8");
        }
        String scales = name + Checkpoint.INT8_SCALE_SUFFIX;
        Tensor scale = checkpoint.load(scales, arena);
        for (long n = 0; n < scale.dim(0); n++) {
            if (!Float.isFinite(scale.getFloat(n))) {
                throw new CheckpointException(checkpoint.source() + ": " + scales + "[" + n + "] is "
                        + scale.getFloat(n) + ", not finite");
            }
        }
        return scale;
    }

    @Override
    public boolean int8PerTensorActivations() {
        return checkpoint.int8PerTensorActivations();
    }

    @Override
    public String toString() {
        return checkpoint.source() + ": " + name;
    }
}
