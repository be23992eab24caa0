package org.transformers4j.nn;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
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
        read.add(name);
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
        for (int i = 0; i < names.length; i++) { // sizes come from the config: the checkpoint confirms them first
            checkShape(names[i], new long[] {rows[i], cols});
        }
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
        return backend.values(out, arena, total);
    }
}
