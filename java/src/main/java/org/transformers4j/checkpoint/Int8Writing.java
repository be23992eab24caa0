package org.transformers4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/** A checkpoint's parameters as {@link SafeTensorsWriter} writes them in the int8 layout ({@link Int8Layout}). */
final class Int8Writing {
    private Int8Writing() {
    }

    /**
     * Puts NAME (and NAME_scale) as the int8 layout has them: stored int8 as it is, a matrix
     * {@link Int8Layout#quantizes} chooses quantized, anything else as float32.
     */
    static void put(Map<String, Tensor> out, Checkpoint checkpoint, String name, String modelType, TensorArena arena) {
        String scaleName = name + Checkpoint.INT8_SCALE_SUFFIX;
        if (checkpoint.isInt8(name)) {
            out.put(name, checkpoint.int8Values(name, arena));
            out.put(scaleName, checkpoint.load(scaleName, arena));
            return;
        }
        Tensor t = checkpoint.load(name, arena);
        if (!Int8Layout.quantizes(name, t.shape())) {
            out.put(name, t);
            return;
        }
        if (checkpoint.has(scaleName)) {
            throw new IllegalArgumentException(checkpoint.source() + ": " + name + " is to be written in int8, but "
                    + scaleName + " is a parameter of its own");
        }
        if (Int8Layout.storedInputMajor(modelType, name)) {
            t = t.transpose(0, 1);
        }
        long n = t.dim(0), k = t.dim(1);
        Tensor q = arena.allocate(DType.I8, n, k), scale = arena.allocate(DType.F32, n);
        quantize(name, t, TensorMemory.host(q), scale);
        out.put(name, q);
        out.put(scaleName, scale);
    }

    /**
     * Per output channel (row of w), symmetric, as t4j_quantize_weights_int8 computes it in float32:
     * scale = max |w| / 127 (1 where below the smallest normal float), q = rint(w / scale) within
     * -127..127, ties to even.
     */
    static void quantize(String name, Tensor w, MemorySegment q, Tensor scale) {
        long n = w.dim(0), k = w.dim(1);
        for (long r = 0; r < n; r++) {
            float mx = 0;
            for (long c = 0; c < k; c++) {
                float v = w.getFloat(r, c);
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException(name + "[" + r + ", " + c + "] is " + v
                            + ": a matrix with values that are not finite cannot be quantized to int8");
                }
                mx = Math.abs(v) > mx ? Math.abs(v) : mx;
            }
            float s = mx / 127.0f;
            if (!(s >= Float.MIN_NORMAL)) {
                s = 1.0f;
            }
            for (long c = 0; c < k; c++) {
                float v = (float) Math.rint(w.getFloat(r, c) / s);
                q.set(ValueLayout.JAVA_BYTE, r * k + c, (byte) (v < -127f ? -127f : v > 127f ? 127f : v));
            }
            scale.setFloat(s, r);
        }
    }
}
