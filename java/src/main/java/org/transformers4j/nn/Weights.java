package org.transformers4j.nn;

import java.util.Arrays;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Loads parameters from a checkpoint into an arena, checking each one's shape; an error names
 * the checkpoint, the parameter and the shapes.
 */
public final class Weights {
    private final Checkpoint checkpoint;
    private final TensorArena arena;

    public Weights(Checkpoint checkpoint, TensorArena arena) {
        this.checkpoint = checkpoint;
        this.arena = arena;
    }

    public TensorArena arena() {
        return arena;
    }

    public boolean has(String name) {
        return checkpoint.has(name);
    }

    /** The parameter, which must exist with exactly these dimensions. */
    public Tensor get(String name, long... dims) {
        if (!checkpoint.has(name)) {
            throw new CheckpointException(checkpoint.source() + ": missing parameter " + name);
        }
        long[] stored = checkpoint.shape(name).toArray();
        if (!Arrays.equals(stored, dims)) {
            throw new CheckpointException(checkpoint.source() + ": parameter " + name + " has shape "
                    + Arrays.toString(stored) + ", the config implies " + Arrays.toString(dims));
        }
        return checkpoint.load(name, arena);
    }

    /** The parameter if present (shape checked), else null. */
    public Tensor optional(String name, long... dims) {
        return checkpoint.has(name) ? get(name, dims) : null;
    }

    /** The first of the names that exists (shape checked); names them all when none does. */
    public Tensor first(long[] dims, String... names) {
        for (String n : names) {
            if (checkpoint.has(n)) {
                return get(n, dims);
            }
        }
        throw new CheckpointException(checkpoint.source() + ": missing parameter " + String.join(" or ", names));
    }

    /** Several [rows_i, cols] parameters stacked into one [sum rows_i, cols] tensor (a fused projection). */
    public Tensor concatRows(long cols, String[] names, long[] rows) {
        long total = Arrays.stream(rows).sum();
        Tensor out = arena.zeros(total, cols);
        long at = 0;
        for (int i = 0; i < names.length; i++) {
            Tensor part = get(names[i], rows[i], cols);
            out.narrow(0, at, rows[i]).segment().copyFrom(part.segment());
            at += rows[i];
        }
        return out;
    }

    /**
     * A parameter stored [in, out] (GPT-2's Conv1D) as the [out, in] tensor a linear layer takes:
     * transposed once, at load time.
     */
    public Tensor transposed(String name, long in, long out) {
        float[] src = get(name, in, out).toFloatArray();
        float[] dst = new float[src.length];
        int rows = (int) in, cols = (int) out;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                dst[j * rows + i] = src[i * cols + j];
            }
        }
        return arena.of(dst, out, in);
    }

    /** Several [n_i] vectors concatenated into one. */
    public Tensor concat(String[] names, long[] sizes) {
        long total = Arrays.stream(sizes).sum();
        Tensor out = arena.zeros(total);
        long at = 0;
        for (int i = 0; i < names.length; i++) {
            out.narrow(0, at, sizes[i]).segment().copyFrom(get(names[i], sizes[i]).segment());
            at += sizes[i];
        }
        return out;
    }
}
