package org.transformers4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * Parameters [rows_i, K] seen as one [sum rows_i, K] (see {@link StoredTensor#stackRows}): every
 * form is one copy of the parts' rows, in the form the parts share. Int8 rows keep their own
 * scales, since int8 parameters are quantized per row.
 */
final class StackedRows implements StoredTensor {
    private final List<StoredTensor> parts;
    private final Shape shape;

    StackedRows(List<StoredTensor> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no parameters to stack");
        }
        long cols = parts.getFirst().shape().dim(-1), rows = 0;
        for (StoredTensor p : parts) {
            if (p.shape().rank() != 2 || p.shape().dim(1) != cols) {
                throw new IllegalArgumentException("cannot stack " + p.name() + " of shape " + p.shape()
                        + " by rows with parameters of " + cols + " columns");
            }
            rows += p.shape().dim(0);
        }
        this.parts = List.copyOf(parts);
        this.shape = Shape.of(rows, cols);
    }

    @Override
    public String name() {
        return parts.stream().map(StoredTensor::name).collect(Collectors.joining(", "));
    }

    @Override
    public Shape shape() {
        return shape;
    }

    @Override
    public boolean isInt8() {
        return parts.stream().allMatch(StoredTensor::isInt8);
    }

    @Override
    public Tensor load(TensorArena arena) {
        try (TensorArena staging = TensorArena.confined()) {
            return stack(DType.F32, shape, arena, parts.stream().map(p -> p.load(staging)).toList());
        }
    }

    @Override
    public Optional<Tensor> inPlace(DType type, TensorArena arena) {
        try (TensorArena staging = TensorArena.confined()) {
            List<Tensor> views = new ArrayList<>();
            for (StoredTensor p : parts) {
                Optional<Tensor> v = p.inPlace(type, staging);
                if (v.isEmpty()) {
                    return Optional.empty();
                }
                views.add(v.get());
            }
            return Optional.of(stack(type, shape, arena, views));
        }
    }

    @Override
    public Tensor int8Values(TensorArena arena) {
        try (TensorArena staging = TensorArena.confined()) {
            return stack(DType.I8, shape, arena, parts.stream().map(p -> p.int8Values(staging)).toList());
        }
    }

    @Override
    public Tensor int8Scales(TensorArena arena) {
        try (TensorArena staging = TensorArena.confined()) {
            return stack(DType.F32, Shape.of(shape.dim(0)), arena,
                    parts.stream().map(p -> p.int8Scales(staging)).toList());
        }
    }

    @Override
    public boolean int8PerTensorActivations() {
        return parts.stream().anyMatch(StoredTensor::int8PerTensorActivations);
    }

    /** Contiguous host tensors of one type, one per part, their bytes copied one after another into a new tensor. */
    private static Tensor stack(DType type, Shape out, TensorArena arena, List<Tensor> tensors) {
        Tensor stacked = arena.empty(type, out.toArray());
        MemorySegment to = TensorMemory.host(stacked);
        long at = 0;
        for (Tensor t : tensors) {
            if (!t.isContiguous()) { // every form of a stored parameter is; a copy of a strided span would mix rows
                throw new IllegalStateException("a part of " + out + " stacked rows is a strided view");
            }
            MemorySegment from = TensorMemory.host(t);
            MemorySegment.copy(from, 0, to, at, from.byteSize());
            at += from.byteSize();
        }
        return stacked;
    }

    @Override
    public String toString() {
        return "rows of " + name();
    }
}
