package org.transformers4j.backend;

import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * The operations models are built from, on one device. Every method checks
 * shapes, strides, dtypes, devices and lengths before any native call and
 * throws {@link IllegalArgumentException} naming the argument at fault.
 * Tensors are float32 unless a method says otherwise; the last dimension of
 * every tensor argument must be contiguous (stride 1), other strides are free.
 */
public interface Backend extends AutoCloseable {

    /** A short name, for example "cpu". */
    String name();

    /** The device whose tensors this backend takes. */
    Device device();

    /** What runs matrix products, for example "OpenBLAS 0.3.31 (SkylakeX)" or "built-in GEMM". */
    String gemmProvider();

    /** What runs the other kernels, for example "libt4j_cpu avx512, 2 threads". */
    String kernelProvider();

    /**
     * c = alpha op(a) op(b) + beta c for 2-D tensors; op(a) is [M, K] (a is [K, M] when transA),
     * op(b) is [K, N] (b is [N, K] when transB), c is [M, N]. With beta = 0, c is not read.
     */
    void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta);

    /**
     * A linear layer in Hugging Face layout: y = act(x w^T + bias), x: [N, in], w: [out, in],
     * bias: [out] or null, y: [N, out].
     */
    void linear(Tensor x, Tensor w, Tensor bias, Activation act, Tensor y);

    /**
     * Layer norm over the last axis of s = x + residual (residual may be null):
     * y = (s - mean) / sqrt(var + eps) * gamma + beta. x, residual, sumOut, y: [rows, C];
     * gamma, beta: [C]; beta and sumOut may be null; sumOut receives s. y may be x.
     */
    void layerNorm(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, Tensor beta, float eps, Tensor y);

    /** RMS norm (T5, Llama): y = s / sqrt(mean(s^2) + eps) * gamma, s = x + residual; as layerNorm. */
    void rmsNorm(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, float eps, Tensor y);

    /**
     * Masked softmax over the last axis; x, y: [B, H, S, T] contiguous, y may be x.
     * A row with no visible key gives zeros.
     */
    void softmax(Tensor x, SoftmaxOptions options, Tensor y);

    /**
     * Fused attention: q: [B, S, H, D], k, v: [B, T, K, D] (K divides H), out: [B, S, H, D],
     * with causal or windowed attention S &lt;= T (queries are the last S positions; cross-attention
     * takes any S). out must not overlap q, k or v. The bias of
     * the options is [B or 1, H or 1, S or 1, T].
     * A query with no visible key gives zeros.
     */
    void attention(Tensor q, Tensor k, Tensor v, AttentionOptions options, Tensor out);

    /** y = a + b elementwise for contiguous tensors of one shape; y may be a or b. */
    void add(Tensor a, Tensor b, Tensor y);

    /** y = alpha x elementwise for x, y of the same shape (contiguous); y may be x. */
    void scale(Tensor x, float alpha, Tensor y);

    /** y = act(x) elementwise for x, y of the same shape (contiguous); y may be x. */
    void activation(Activation act, Tensor x, Tensor y);

    /** y = act(x + bias) with x, y: [rows, C] and bias: [C] or null; y may be x. */
    void biasActivation(Activation act, Tensor x, Tensor bias, Tensor y);

    /** y = act(gate) * up for gate, up, y: [rows, F] (SwiGLU with SILU, gated GELU with GELU). */
    void gatedActivation(Activation act, Tensor gate, Tensor up, Tensor y);

    /**
     * Rotary position embedding in place, rotate-half convention, on x: [B, S, N, D]; with
     * invFreq float32 [R] on this device, the first 2R dimensions of each head rotate, pair i by
     * the angle positions[b * S + s] * invFreq[i] (a float32 product, as transformers computes it).
     */
    void rope(Tensor x, long[] positions, Tensor invFreq);

    /** out[i, :] = table[ids[i], :]; table: [V, C], ids: int64 of any shape with n elements, out: [n, C]. */
    void embedding(Tensor table, Tensor ids, Tensor out);

    /**
     * dst = src for tensors of the same shape and dtype that do not overlap; other than the last
     * dimension, strides are free (a KV-cache slot, a head slice of a fused projection).
     */
    void copy(Tensor src, Tensor dst);

    /**
     * The element type this backend keeps weight matrices in (linear layers' weights, embedding
     * tables): the type models compute in, or BF16 on a CPU backend made for bfloat16 weights,
     * which computes in F32.
     */
    default DType weightType() {
        return DType.F32;
    }

    /**
     * A weight matrix (a linear layer's weight or an embedding table) given as host values, on
     * this device in {@link #weightType()}, allocated in arena when it has to be copied.
     */
    default Tensor weightMatrix(Tensor hostValues, TensorArena arena) {
        return toDevice(hostValues, arena);
    }

    /**
     * A weight matrix stored quantized to int8 (docs/int8.md): q [N, K] I8, row n the output channel
     * n quantized symmetrically, and scale [N] F32, so that w[n, k] = q[n, k] * scale[n]; host
     * tensors that must stay alive as long as the model. With perTensorActivations the activations
     * meeting it are quantized with one scale over all rows of a product (as ONNX Runtime's
     * DynamicQuantizeLinear does), else per row. A backend with int8 products keeps the integers
     * (a tensor of dtype I8 that only it can use); this default gives the dequantized values as
     * {@link #weightMatrix} keeps float matrices.
     */
    default Tensor int8Matrix(Tensor q, Tensor scale, boolean perTensorActivations, TensorArena arena) {
        Checks.int8Matrix(q, scale);
        try (TensorArena staging = TensorArena.confined()) {
            Tensor host = staging.empty(DType.F32, q.dim(0), q.dim(1));
            Checks.dequantize(q, scale, host);
            Tensor w = weightMatrix(host, arena);
            return w == host ? place(host, arena) : w; // kept as given: it must outlive the staging arena
        }
    }

    /**
     * An arena for one computation's intermediate results on this backend's device, confined to
     * the calling thread; its memory is reused after close, so contents start undefined.
     */
    default TensorArena scratch() {
        return TensorArena.pooled();
    }

    /** An arena on this backend's device for tensors that outlive a computation (weights, caches). */
    default TensorArena longLived() {
        return TensorArena.shared();
    }

    /**
     * The tensor on this backend's device: t itself when it is there, else a contiguous copy
     * allocated in arena (an arena of this device).
     */
    default Tensor toDevice(Tensor t, TensorArena arena) {
        Checks.onDevice("tensor", t, device());
        return t;
    }

    /** A copy of t (on the host or this device) in arena, an arena of this device. */
    default Tensor place(Tensor t, TensorArena arena) {
        Tensor c = arena.empty(t.dtype(), t.shape().toArray());
        copy(t, c);
        return c;
    }

    /** A new int64 tensor of arena (on this device) holding the values. */
    default Tensor longs(long[] values, TensorArena arena, long... dims) {
        return arena.ofLongs(values, dims);
    }

    /**
     * A new float32 tensor of arena (on this device) holding the values: for additive biases and
     * masks, which the kernels take in float32 whatever the model computes in.
     */
    default Tensor floats(float[] values, TensorArena arena, long... dims) {
        return arena.of(values, dims);
    }

    /**
     * A new tensor of the arena's float type (on this device) holding the values: for weights and
     * activations computed on the host.
     */
    default Tensor values(float[] values, TensorArena arena, long... dims) {
        return arena.of(values, dims);
    }

    /**
     * The tensor in host memory, for reading: t itself when it is there, else a contiguous copy
     * allocated in hostArena after the work queued before it has finished.
     */
    default Tensor toHost(Tensor t, TensorArena hostArena) {
        Checks.onDevice("tensor", t, device());
        return t;
    }

    /** Releases what the backend holds (not the tensors, which their arenas own). */
    @Override
    void close();
}
