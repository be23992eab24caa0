package org.transformers4j.nn;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Loads parameters from a checkpoint onto a backend's device, checking each one's shape; an error
 * names the checkpoint, the parameter and the shapes. On the host the tensors view the checkpoint
 * where they can (no copy); on a GPU each is copied there once. Whatever is computed from them at
 * load time (transposes, concatenations) is computed on the host first. Matrices (2-D parameters:
 * linear layers' weights, embedding tables) go to the backend's {@link Backend#weightType()}
 * where that differs from what the model computes in (bfloat16 weights on the CPU).
 */
public final class Weights {
    private final Checkpoint checkpoint;
    private final TensorArena arena;
    private final Backend backend;

    /** Parameters in arena, an arena of the backend's device (from {@link Backend#longLived()}). */
    public Weights(Checkpoint checkpoint, TensorArena arena, Backend backend) {
        if (!arena.device().equals(backend.device())) {
            throw new IllegalArgumentException("weights arena is on " + arena.device() + ", the backend on "
                    + backend.device());
        }
        this.checkpoint = checkpoint;
        this.arena = arena;
        this.backend = backend;
    }

    public TensorArena arena() {
        return arena;
    }

    public Backend backend() {
        return backend;
    }

    public boolean has(String name) {
        return checkpoint.has(name);
    }

    /** The parameter, which must exist with exactly these dimensions, on the backend's device. */
    public Tensor get(String name, long... dims) {
        if (dims.length == 2 && convertsMatrices()) {
            checkShape(name, dims);
            Tensor stored = backend.weightType() == DType.BF16 && arena.device().equals(Device.CPU)
                    ? checkpoint.viewBf16(name, arena) : null;
            if (stored != null) { // a bfloat16 checkpoint: the file's pages, no copy
                return stored;
            }
            try (TensorArena staging = TensorArena.confined()) {
                return backend.weightMatrix(host(name, dims, staging), arena);
            }
        }
        return asStored(name, dims);
    }

    /**
     * A parameter stored with these dimensions but used as a vector of all its elements (BART's
     * final_logits_bias [1, V]): in the type the model computes in, whatever the weight type.
     */
    public Tensor vector(String name, long... dims) {
        return asStored(name, dims).reshape(Arrays.stream(dims).reduce(1, Math::multiplyExact));
    }

    private Tensor asStored(String name, long[] dims) {
        if (arena.device().equals(Device.CPU)) {
            return host(name, dims, arena);
        }
        try (TensorArena staging = TensorArena.confined()) {
            return backend.toDevice(host(name, dims, staging), arena);
        }
    }

    private boolean convertsMatrices() {
        return backend.weightType() != arena.floatType();
    }

    /** A matrix computed at load time, as the backend keeps weight matrices. */
    private Tensor matrix(float[] values, long rows, long cols) {
        if (!convertsMatrices()) {
            return backend.values(values, arena, rows, cols);
        }
        try (TensorArena staging = TensorArena.confined()) {
            return backend.weightMatrix(staging.of(values, rows, cols), arena);
        }
    }

    /** The parameter's values, read on the host (for what load-time code computes from them). */
    public float[] hostFloats(String name, long... dims) {
        try (TensorArena staging = TensorArena.confined()) {
            return host(name, dims, staging).toFloatArray();
        }
    }

    private Tensor host(String name, long[] dims, TensorArena into) {
        checkShape(name, dims);
        return checkpoint.load(name, into);
    }

    private void checkShape(String name, long[] dims) {
        if (!checkpoint.has(name)) {
            throw new CheckpointException(checkpoint.source() + ": missing parameter " + name);
        }
        long[] stored = checkpoint.shape(name).toArray();
        if (!Arrays.equals(stored, dims)) {
            throw new CheckpointException(checkpoint.source() + ": parameter " + name + " has shape "
                    + Arrays.toString(stored) + ", the config implies " + Arrays.toString(dims));
        }
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
        if (backend.weightType() == DType.BF16 && convertsMatrices() && arena.device().equals(Device.CPU)) {
            Tensor stored = concatStoredBf16(cols, names, rows, total);
            if (stored != null) {
                return stored;
            }
        }
        try (TensorArena staging = TensorArena.confined()) {
            boolean inPlace = arena.device().equals(Device.CPU) && !convertsMatrices(); // rows copied once, here
            Tensor out = (inPlace ? arena : staging).empty(DType.F32, total, cols);
            long at = 0;
            for (int i = 0; i < names.length; i++) {
                Tensor part = host(names[i], new long[] {rows[i], cols}, staging);
                MemorySegment.copy(part.segment(), 0, out.segment(), at, part.segment().byteSize());
                at += part.segment().byteSize();
            }
            if (inPlace) {
                return out;
            }
            return convertsMatrices() ? backend.weightMatrix(out, arena) : backend.toDevice(out, arena);
        }
    }

    /** The parts' bfloat16 rows copied as stored into one tensor, or null unless every part is stored in bfloat16. */
    private Tensor concatStoredBf16(long cols, String[] names, long[] rows, long total) {
        Tensor[] parts = new Tensor[names.length];
        for (int i = 0; i < names.length; i++) {
            checkShape(names[i], new long[] {rows[i], cols});
            parts[i] = checkpoint.viewBf16(names[i], arena);
            if (parts[i] == null) {
                return null;
            }
        }
        Tensor out = arena.empty(DType.BF16, total, cols);
        long at = 0;
        for (Tensor part : parts) {
            MemorySegment.copy(part.segment(), 0, out.segment(), at, part.segment().byteSize());
            at += part.segment().byteSize();
        }
        return out;
    }

    /**
     * A parameter stored [in, out] (GPT-2's Conv1D) as the [out, in] tensor a linear layer takes:
     * transposed once, at load time.
     */
    public Tensor transposed(String name, long in, long out) {
        float[] src = hostFloats(name, in, out);
        float[] dst = new float[src.length];
        int rows = (int) in, cols = (int) out;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                dst[j * rows + i] = src[i * cols + j];
            }
        }
        return matrix(dst, out, in);
    }

    /** Several [n_i] vectors concatenated into one. */
    public Tensor concat(String[] names, long[] sizes) {
        long total = Arrays.stream(sizes).sum();
        float[] out = new float[Math.toIntExact(total)];
        int at = 0;
        for (int i = 0; i < names.length; i++) {
            float[] part = hostFloats(names[i], sizes[i]);
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return backend.values(out, arena, total);
    }
}
