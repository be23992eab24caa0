package org.transformers4j.backend.cpu;

import static org.transformers4j.tensor.internal.TensorMemory.host;
import static org.transformers4j.bindings.cpu.t4j_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.transformers4j.backend.Checks;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * The int8 weight matrices of one CPU backend, packed for libt4j_cpu's int8 products (t4j.h), by the
 * weight tensor they serve: int8 matrices handed over quantized (a checkpoint's), packed when they
 * are, and float32 matrices quantized per output channel and packed on their first product (the
 * loader hands embedding tables and linear weights over alike; only products quantize, so tables
 * stay float32). Freed once the weight's memory is closed (PackCache).
 */
final class Int8Weights {
    /** A packing of [N, K] int8 weights with their scales, and how the activations meeting it are quantized. */
    record Packed(MemorySegment packed, long n, long k, boolean perTensorActivations) {
    }

    private final PackCache<Packed> byWeight = new PackCache<>();

    /** {@return how many packings are kept} */
    int size() {
        return byWeight.size();
    }

    /** Packs checked int8 values q [N, K] with their scales [N] for products with w = q; returns q. */
    Tensor register(Tensor q, Tensor scale, boolean perTensorActivations) {
        Checks.int8Matrix(q, scale);
        byWeight.put(q, (w, arena) -> pack(host(w), w.dim(0), w.dim(1), w.dim(1), host(scale), perTensorActivations,
                arena));
        return q;
    }

    /**
     * The packing of weight w: an int8 matrix registered here, or a float32 matrix quantized per
     * output channel (activations per row) on first use when quantizeFloats.
     */
    Packed of(Tensor w, boolean quantizeFloats) {
        if (w.dtype() == DType.I8) {
            Packed p = byWeight.get(w);
            if (p == null) {
                throw new IllegalArgumentException("w is an int8 tensor " + w.shape()
                        + " that this backend did not make (int8 weights come from Backend.int8Matrix)");
            }
            return p;
        }
        if (!quantizeFloats || w.dtype() != DType.F32) {
            return null;
        }
        if (w.dim(1) > Checks.MAX_INT8_K) {
            return null; // beyond the int8 products' exact range: stays float32
        }
        return byWeight.computeIfAbsent(w, Int8Weights::quantize);
    }

    private static Packed quantize(Tensor w, Arena arena) {
        long n = w.dim(0), k = w.dim(1);
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment q = tmp.allocate(Math.max(n * k, 1), 64), scale = tmp.allocate(4 * Math.max(n, 1), 64);
            int status = t4j_quantize_weights_int8(host(w), n, k, rowStride(w), q, k, scale);
            if (status == T4J_ERR_VALUE()) {
                throw new IllegalArgumentException("weight matrix " + w.shape()
                        + " holds a value that is not finite: it cannot be quantized to int8");
            }
            CpuBackend.check(status, "quantize_weights_int8");
            return pack(q, n, k, k, scale, false, arena);
        }
    }

    private static Packed pack(MemorySegment q, long n, long k, long ldq, MemorySegment scale, boolean perTensor,
                               Arena arena) {
        long bytes = t4j_packed_int8_bytes(n, k);
        if (bytes < 0) {
            throw new IllegalArgumentException("int8 weights [" + n + ", " + k + "] cannot be packed (status " + bytes
                    + ")");
        }
        MemorySegment dst = arena.allocate(bytes, 64);
        CpuBackend.check(t4j_pack_weights_int8(q, n, k, ldq, scale, dst), "pack_weights_int8");
        return new Packed(dst, n, k, perTensor);
    }

    /**
     * y = act(x w^T + bias) on packed int8 weights: activations quantized per row inside the
     * product, or first over the whole of x (one scale and zero point, as ONNX Runtime's
     * DynamicQuantizeLinear) into scratch memory of the calling thread.
     */
    static void linear(Packed p, Tensor x, Tensor bias, int act, Tensor y) {
        long m = x.dim(0), n = p.n(), k = p.k();
        MemorySegment b = bias == null ? MemorySegment.NULL : host(bias);
        if (!p.perTensorActivations()) {
            CpuBackend.check(t4j_linear_int8(m, n, k, host(x), rowStride(x), p.packed(), b, act, host(y),
                    rowStride(y)), "linear_int8");
            return;
        }
        long scalesAt = (m * k + 63) / 64 * 64;
        try (TensorArena scratch = TensorArena.pooled()) {
            MemorySegment buf = host(scratch.empty(DType.I8, scalesAt + 8 * m));
            MemorySegment q = buf.asSlice(0, m * k), scale = buf.asSlice(scalesAt, 4 * m);
            MemorySegment zero = buf.asSlice(scalesAt + 4 * m, 4 * m);
            CpuBackend.check(t4j_quantize_u8(host(x), m, k, rowStride(x), 1, q, k, scale, zero), "quantize_u8");
            CpuBackend.check(t4j_linear_int8_quantized(m, n, k, q, k, scale, zero, p.packed(), b, act, host(y),
                    rowStride(y)), "linear_int8_quantized");
        }
    }

    private static long rowStride(Tensor t) {
        return t.dim(0) <= 1 ? Math.max(t.dim(1), 1) : t.stride(0);
    }
}
