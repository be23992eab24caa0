package org.transformers4j.backend;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.internal.TensorMemory;

/** Argument checks shared by every backend; each failure names the argument and the value. */
public final class Checks {
    /** The most input features of an int8 product (t4j_packed_int8_bytes). */
    public static final long MAX_INT8_K = 65536;

    private Checks() {
    }

    /**
     * Requires a live float32 tensor of the given rank on the device, last dimension contiguous.
     *
     * @param name the argument's name, for the message
     * @param t the tensor to check
     * @param rank the rank it must have, or -1 for any
     * @param device the device it must be on
     * @throws IllegalArgumentException when t is null, closed, of another dtype, rank or device, or
     *         strided in its last dimension
     */
    public static void tensor(String name, Tensor t, int rank, Device device) {
        tensor(name, t, rank, device, DType.F32);
    }

    /**
     * As {@link #tensor(String, Tensor, int, Device)} for another dtype.
     *
     * @param name the argument's name, for the message
     * @param t the tensor to check
     * @param rank the rank it must have, or -1 for any
     * @param device the device it must be on
     * @param dtype the dtype it must have
     * @throws IllegalArgumentException when t is null, closed, of another dtype, rank or device, or
     *         strided in its last dimension
     */
    public static void tensor(String name, Tensor t, int rank, Device device, DType dtype) {
        if (t == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (!t.isAlive()) {
            throw new IllegalArgumentException(name + " belongs to a closed arena");
        }
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(name + " has dtype " + t.dtype() + ", expected " + dtype);
        }
        if (!t.device().equals(device)) {
            throw new IllegalArgumentException(name + " is on " + t.device() + ", this backend runs on " + device);
        }
        if (rank >= 0 && t.rank() != rank) {
            throw new IllegalArgumentException(name + " has shape " + t.shape() + ", expected rank " + rank);
        }
        if (t.rank() > 0 && t.dim(-1) > 1 && t.stride(-1) != 1) {
            throw new IllegalArgumentException(name + " must be contiguous in its last dimension, stride is "
                    + t.stride(-1));
        }
    }

    /**
     * Requires t to be a live tensor on the device.
     *
     * @param name the argument's name, for the message
     * @param t the tensor to check
     * @param device the device it must be on
     * @throws IllegalArgumentException when t is null, belongs to a closed arena or is on another device
     */
    public static void onDevice(String name, Tensor t, Device device) {
        if (t == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (!t.isAlive()) {
            throw new IllegalArgumentException(name + " belongs to a closed arena");
        }
        if (!t.device().equals(device)) {
            throw new IllegalArgumentException(name + " is on " + t.device() + ", this backend runs on " + device);
        }
    }

    /**
     * Requires t to have exactly the given sizes.
     *
     * @param name the argument's name, for the message
     * @param t the tensor to check, not null
     * @param dims the sizes it must have
     * @throws IllegalArgumentException when its shape differs
     */
    public static void shape(String name, Tensor t, long... dims) {
        if (!Arrays.equals(t.shape().toArray(), dims)) {
            throw new IllegalArgumentException(name + " has shape " + t.shape() + ", expected "
                    + Arrays.toString(dims));
        }
    }

    /**
     * Requires dimension value to equal expected.
     *
     * @param what the dimension, for the message (for example "k's head dim")
     * @param value its size
     * @param expected the size it must have
     * @throws IllegalArgumentException when they differ
     */
    public static void dim(String what, long value, long expected) {
        if (value != expected) {
            throw new IllegalArgumentException(what + " is " + value + ", expected " + expected);
        }
    }

    /**
     * Requires a fully contiguous tensor.
     *
     * @param name the argument's name, for the message
     * @param t the tensor to check
     * @throws IllegalArgumentException when t has gaps or another order, naming its strides
     */
    public static void contiguous(String name, Tensor t) {
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(name + " must be contiguous, strides are "
                    + Arrays.toString(t.strides()) + " for shape " + t.shape());
        }
    }

    /**
     * Requires that two tensors share no memory (their address ranges do not overlap).
     *
     * @param name the first argument's name, for the message
     * @param t the first tensor
     * @param otherName the second argument's name
     * @param other the second tensor
     * @throws IllegalArgumentException when the ranges overlap
     */
    public static void disjoint(String name, Tensor t, String otherName, Tensor other) {
        if (TensorMemory.overlaps(t, other)) { // address ranges only
            throw new IllegalArgumentException(name + " overlaps " + otherName);
        }
    }

    /**
     * Requires that an output is either the very same view as an input (an operation in place)
     * or shares no memory with it: the kernels read and write element by element, so an output
     * that overlaps its input shifted or strided differently would read values already written.
     *
     * @param name the output's name, for the message
     * @param out the output
     * @param inputName the input's name
     * @param in the input, or null (accepted)
     * @throws IllegalArgumentException when they overlap without being the same view
     */
    public static void sameOrDisjoint(String name, Tensor out, String inputName, Tensor in) {
        if (in != null && !TensorMemory.sameView(out, in) && TensorMemory.overlaps(out, in)) {
            throw new IllegalArgumentException(name + " overlaps " + inputName + " without being the same view of it"
                    + " (an output may be its input exactly, in place, or share none of its memory)");
        }
    }

    /**
     * Requires per-batch lengths (when present) of length batch with values in [0, max].
     *
     * @param name the argument's name, for the message
     * @param values the per-batch values, or null (accepted)
     * @param batch B, how many values there must be
     * @param max the largest value allowed
     * @throws IllegalArgumentException when the count is not B or a value is out of range, naming its index
     */
    public static void lengths(String name, int[] values, long batch, long max) {
        if (values == null) {
            return;
        }
        if (values.length != batch) {
            throw new IllegalArgumentException(name + " has " + values.length + " entries, batch is " + batch);
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] > max) {
                throw new IllegalArgumentException(name + "[" + i + "] = " + values[i] + " is outside [0, " + max + "]");
            }
        }
    }

    /**
     * Element strides of a broadcastable operand of shape [B or 1, H or 1, S (or 1 if allowed), T]
     * against the full shape; a size-1 dimension gets stride 0.
     *
     * @param name the argument's name, for the message
     * @param t the operand (a mask or bias), rank 4
     * @param full the shape it broadcasts to, [B, H, S, T]
     * @param rowsMayBroadcast whether its S dimension may be 1
     * @return its element strides over B, H and S, 0 where it broadcasts
     * @throws IllegalArgumentException when t is not rank 4 or a dimension cannot broadcast
     */
    public static long[] broadcastStrides(String name, Tensor t, long[] full, boolean rowsMayBroadcast) {
        if (t.rank() != 4) {
            throw new IllegalArgumentException(name + " has shape " + t.shape() + ", expected rank 4");
        }
        long[] strides = new long[3];
        for (int i = 0; i < 4; i++) {
            long d = t.dim(i);
            boolean broadcastable = i < 2 || (i == 2 && rowsMayBroadcast);
            boolean ok = d == full[i] || (broadcastable && d == 1);
            if (!ok) {
                throw new IllegalArgumentException(name + " has shape " + t.shape() + ", cannot broadcast to "
                        + Arrays.toString(full));
            }
            if (i < 3) {
                strides[i] = d == 1 ? 0 : t.stride(i);
            }
        }
        return strides;
    }

    /**
     * Requires a finite value, naming it.
     *
     * @param name the argument's name, for the message
     * @param value the value to check
     * @throws IllegalArgumentException when value is NaN or infinite
     */
    public static void finite(String name, float value) {
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite, got " + value);
        }
    }

    /**
     * An int8 weight matrix (see {@link Backend#int8Matrix}): q a contiguous host I8 [N, K] with K of
     * at most 65536 (the int8 products sum exactly in int32 up to there), scale a host F32 [N] of
     * finite values.
     *
     * @param q the quantized weights
     * @param scale the per-row scales
     * @throws IllegalArgumentException when either has the wrong dtype, device, shape or layout, K exceeds
     *         {@link #MAX_INT8_K}, or a scale is not finite (naming its row)
     */
    public static void int8Matrix(Tensor q, Tensor scale) {
        tensor("q", q, 2, Device.CPU, DType.I8);
        contiguous("q", q);
        if (q.dim(1) > MAX_INT8_K) {
            throw new IllegalArgumentException("q has shape " + q.shape() + ": int8 products take at most "
                    + MAX_INT8_K + " input features");
        }
        tensor("scale", scale, 1, Device.CPU, DType.F32);
        shape("scale", scale, q.dim(0));
        for (long n = 0; n < scale.dim(0); n++) {
            float s = scale.getFloat(n);
            if (!Float.isFinite(s)) {
                throw new IllegalArgumentException("scale[" + n + "] of an int8 matrix is " + s + ", not finite");
            }
        }
    }

    /**
     * w[n, k] = q[n, k] * scale[n] for checked int8 q [N, K], scale [N] into F32 w [N, K] (contiguous).
     * Nothing is checked here: call {@link #int8Matrix} first.
     *
     * @param q the quantized weights, I8 [N, K] on the host
     * @param scale the per-row scales, F32 [N] on the host
     * @param w receives the float weights, F32 [N, K] on the host
     */
    public static void dequantize(Tensor q, Tensor scale, Tensor w) {
        long n = q.dim(0), k = q.dim(1);
        MemorySegment src = TensorMemory.host(q), dst = TensorMemory.host(w);
        for (long r = 0; r < n; r++) {
            float s = scale.getFloat(r);
            for (long c = 0; c < k; c++) {
                dst.setAtIndex(ValueLayout.JAVA_FLOAT, r * k + c,
                        src.get(ValueLayout.JAVA_BYTE, r * k + c) * s);
            }
        }
    }
}
