package org.transformers4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.StoredTensor;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Loads parameters from a checkpoint onto a backend's device, checking each one's shape; an error
 * names the checkpoint, the parameter and the shapes. Whatever is computed from them at load time
 * (transposes, concatenations) is computed on the host first. The form each takes is the backend's
 * to decide: matrices (2-D parameters: linear layers' weights, embedding tables) through
 * {@link Backend#weightMatrix(StoredTensor, TensorArena)}, its weight type policy (float32, bfloat16
 * kept as stored, int8), other parameters through {@link Backend#parameter}; this class only says
 * which parameters, in which shapes, stacked or transposed how.
 *
 * <p>It keeps count of what it read: once a model is built, {@link #reportUnused} warns of stored
 * tensors that no module read, as transformers warns of "weights of the model checkpoint not used".
 * Tied copies and tables a model computes itself are {@link #skip skipped}, stored buffers that are
 * no parameters (position ids, causal masks) {@link #ignore ignored}; neither is reported.
 */
public final class Weights {
    /** Unused names listed in the warning at most; the rest are counted. */
    static final int LISTED = 20;
    private static final System.Logger LOG = System.getLogger(Weights.class.getName());
    private final Checkpoint checkpoint;
    private final TensorArena arena;
    private final Backend backend;
    private final Set<String> read = new HashSet<>();
    private final List<Pattern> ignored = new ArrayList<>();

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

    /** The checkpoint the parameters come from. */
    public Checkpoint checkpoint() {
        return checkpoint;
    }

    public boolean has(String name) {
        return checkpoint.has(name);
    }

    /** The parameter, which must exist with exactly these dimensions, on the backend's device. */
    public Tensor get(String name, long... dims) {
        checkShape(name, dims);
        StoredTensor stored = checkpoint.view(name);
        return dims.length == 2 ? backend.weightMatrix(stored, arena) : backend.parameter(stored, arena);
    }

    /**
     * A parameter stored with these dimensions but used as a vector of all its elements (BART's
     * final_logits_bias [1, V]): in the type the model computes in, whatever the weight type.
     */
    public Tensor vector(String name, long... dims) {
        checkShape(name, dims);
        Tensor t = backend.parameter(checkpoint.view(name), arena);
        return t.reshape(Arrays.stream(dims).reduce(1, Math::multiplyExact));
    }

    /** A matrix computed at load time, as the backend keeps weight matrices. */
    private Tensor matrix(String from, float[] values, long rows, long cols) {
        return backend.weightMatrix(StoredTensor.ofValues(from, values, rows, cols), arena);
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
        read.add(name);
        if (checkpoint.isInt8(name)) {
            read.add(name + Checkpoint.INT8_SCALE_SUFFIX);
        }
        long[] stored = checkpoint.shape(name).toArray();
        if (!Arrays.equals(stored, dims)) {
            throw new CheckpointException(checkpoint.source() + ": parameter " + name + " has shape "
                    + Arrays.toString(stored) + ", the config implies " + Arrays.toString(dims));
        }
    }

    /**
     * One parameter stored under any of several names (a table shared by the encoder and the
     * decoder, a bias stored twice): the first name present, its shape checked; the others present
     * are copies of it, their shapes checked too. Names them all when none is stored.
     */
    public Tensor first(long[] dims, String... names) {
        Tensor found = null;
        for (String n : names) {
            if (checkpoint.has(n)) {
                if (found == null) {
                    found = get(n, dims);
                } else {
                    skip(n, dims);
                }
            }
        }
        if (found == null) {
            throw new CheckpointException(checkpoint.source() + ": missing parameter " + String.join(" or ", names));
        }
        return found;
    }

    /**
     * The parameter if stored; else, where the config ties it (tie_word_embeddings), the tensor it
     * is tied to; else missing.
     */
    public Tensor tiedOr(String name, long[] dims, Tensor tiedTo, boolean tied) {
        if (checkpoint.has(name)) {
            return get(name, dims);
        }
        if (!tied) {
            throw new CheckpointException(checkpoint.source() + ": missing parameter " + name
                    + " (tie_word_embeddings is false)");
        }
        return tiedTo;
    }

    /**
     * A parameter the model has but does not read, if stored: a tied copy of one it reads, or a
     * table it computes itself (Marian's sinusoidal positions). Its shape is checked.
     */
    public void skip(String name, long... dims) {
        if (checkpoint.has(name)) {
            checkShape(name, dims);
        }
    }

    /**
     * Stored names that are no parameters of the model (buffers such as position_ids or GPT-2's
     * causal mask, transformers' _keys_to_ignore_on_load_unexpected): those matching the regular
     * expression, whole, are not reported as unused.
     */
    public void ignore(String regex) {
        ignored.add(Pattern.compile(regex));
    }

    /** Stored names that were neither read, skipped nor ignored, sorted. */
    public List<String> unused() {
        return checkpoint.names().stream().filter(n -> !read.contains(n))
                .filter(n -> ignored.stream().noneMatch(p -> p.matcher(n).matches())).sorted().toList();
    }

    /**
     * Warns (System.Logger, level WARNING) of the stored tensors that building model left unread,
     * listing at most {@value #LISTED} of them; says nothing when every one was read.
     */
    public void reportUnused(String model) {
        List<String> unused = unused();
        if (!unused.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, unusedMessage(checkpoint.source(), model, unused));
        }
    }

    static String unusedMessage(String source, String model, List<String> unused) {
        String listed = String.join(", ", unused.subList(0, Math.min(LISTED, unused.size())));
        String more = unused.size() > LISTED ? ", ... and " + (unused.size() - LISTED) + " more" : "";
        return "Some weights of the model checkpoint at " + source + " were not used when initializing " + model
                + " (" + unused.size() + "): [" + listed + more + "]";
    }

    /** Several [rows_i, cols] parameters stacked into one [sum rows_i, cols] tensor (a fused projection). */
    public Tensor concatRows(long cols, String[] names, long[] rows) {
        List<StoredTensor> parts = new ArrayList<>();
        for (int i = 0; i < names.length; i++) { // sizes come from the config: the checkpoint confirms them first
            checkShape(names[i], new long[] {rows[i], cols});
            parts.add(checkpoint.view(names[i]));
        }
        return backend.weightMatrix(StoredTensor.stackRows(parts), arena);
    }

    /**
     * A parameter stored [in, out] (GPT-2's Conv1D) as the [out, in] tensor a linear layer takes:
     * transposed once, at load time. Stored in int8, it is [out, in] already (the int8 layout keeps
     * output channels as rows).
     */
    public Tensor transposed(String name, long in, long out) {
        if (checkpoint.has(name) && checkpoint.isInt8(name)) { // stored output channels first
            checkShape(name, new long[] {out, in});
            return backend.weightMatrix(checkpoint.view(name), arena);
        }
        float[] src = hostFloats(name, in, out);
        float[] dst = new float[src.length];
        int rows = (int) in, cols = (int) out;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                dst[j * rows + i] = src[i * cols + j];
            }
        }
        return matrix(name, dst, out, in);
    }

    /**
     * As {@link #concatRows(long, String[], long[])}, with row i of the result multiplied by
     * rowScale[i] in float32 before the matrix takes the backend's weight type: a constant factor
     * of what the projection feeds folded into it at load time. rowScale null: the rows as stored.
     */
    public Tensor concatRows(long cols, String[] names, long[] rows, float[] rowScale) {
        if (rowScale == null) {
            return concatRows(cols, names, rows);
        }
        float[] values = concatHost(cols, names, rows, rowScale.length);
        int n = (int) cols;
        for (int r = 0; r < rowScale.length; r++) {
            for (int j = 0; j < n; j++) {
                values[r * n + j] *= rowScale[r];
            }
        }
        return matrix(String.join(", ", names), values, rowScale.length, cols);
    }

    private float[] concatHost(long cols, String[] names, long[] rows, long total) {
        if (Arrays.stream(rows).sum() != total) {
            throw new IllegalArgumentException("row factors: " + total + " for " + Arrays.stream(rows).sum() + " rows of "
                    + String.join(", ", names));
        }
        float[] values = new float[Math.toIntExact(Math.multiplyExact(total, cols))];
        int at = 0;
        for (int i = 0; i < names.length; i++) {
            float[] part = hostFloats(names[i], rows[i], cols);
            System.arraycopy(part, 0, values, at, part.length);
            at += part.length;
        }
        return values;
    }

    /** As {@link #concat(String[], long[])}, element i multiplied by scale[i] in float32; scale null: as stored. */
    public Tensor concat(String[] names, long[] sizes, float[] scale) {
        if (scale == null) {
            return concat(names, sizes);
        }
        float[] out = concatVectors(names, sizes);
        if (out.length != scale.length) {
            throw new IllegalArgumentException("factors: " + scale.length + " for " + out.length + " values of "
                    + String.join(", ", names));
        }
        for (int i = 0; i < out.length; i++) {
            out[i] *= scale[i];
        }
        return backend.values(out, arena, out.length);
    }

    /** Several [n_i] vectors concatenated into one. */
    public Tensor concat(String[] names, long[] sizes) {
        float[] out = concatVectors(names, sizes);
        return backend.values(out, arena, out.length);
    }

    private float[] concatVectors(String[] names, long[] sizes) {
        for (int i = 0; i < names.length; i++) {
            checkShape(names[i], new long[] {sizes[i]});
        }
        long total = Arrays.stream(sizes).sum();
        float[] out = new float[Math.toIntExact(total)];
        int at = 0;
        for (int i = 0; i < names.length; i++) {
            float[] part = hostFloats(names[i], sizes[i]);
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }
}
