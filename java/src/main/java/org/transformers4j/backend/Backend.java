package org.transformers4j.backend;

import java.util.Optional;
import org.transformers4j.checkpoint.StoredTensor;
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

    /** {@return a short name, for example "cpu"} */
    String name();

    /** {@return the device whose tensors this backend takes} */
    Device device();

    /** {@return what runs matrix products, for example "OpenBLAS 0.3.31 (SkylakeX)" or "built-in GEMM"} */
    String gemmProvider();

    /** {@return what runs the other kernels, for example "libt4j_cpu avx512, 2 threads"} */
    String kernelProvider();

    /**
     * c = alpha op(a) op(b) + beta c for 2-D tensors; op(a) is [M, K] (a is [K, M] when transA),
     * op(b) is [K, N] (b is [N, K] when transB), c is [M, N]. With beta = 0, c is not read.
     *
     * @param a the left matrix, [M, K] or [K, M]
     * @param transA whether op(a) is a's transpose
     * @param b the right matrix, [K, N] or [N, K]
     * @param transB whether op(b) is b's transpose
     * @param c the result [M, N], read only when beta is not 0
     * @param alpha multiplies the product
     * @param beta multiplies c's previous contents
     */
    void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta);

    /**
     * A linear layer in Hugging Face layout: y = act(x w^T + bias), x: [N, in], w: [out, in],
     * bias: [out] or null, y: [N, out].
     *
     * @param x the input, [N, in]
     * @param w the weight, [out, in], as {@link #weightMatrix} or {@link #int8Matrix} gives it
     *        (constant: a backend may pack or quantize it once, on first use), or float values
     *        computed at run time (read at each call)
     * @param bias [out], or null for none
     * @param act applied after the bias
     * @param y the output, [N, out]
     */
    void linear(Tensor x, Tensor w, Tensor bias, Activation act, Tensor y);

    /**
     * Layer norm over the last axis of s = x + residual (residual may be null):
     * y = (s - mean) / sqrt(var + eps) * gamma + beta. x, residual, sumOut, y: [rows, C];
     * gamma, beta: [C]; beta and sumOut may be null; sumOut receives s. y may be x.
     *
     * @param x the input, [rows, C]
     * @param residual added to x before normalising, [rows, C], or null
     * @param sumOut receives x + residual, [rows, C], or null
     * @param gamma the scale, [C]
     * @param beta the shift, [C], or null for none
     * @param eps added to the variance
     * @param y the output, [rows, C]
     */
    void layerNorm(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, Tensor beta, float eps, Tensor y);

    /**
     * RMS norm (T5, Llama): y = s / sqrt(mean(s^2) + eps) * gamma, s = x + residual; as layerNorm.
     *
     * @param x the input, [rows, C]
     * @param residual added to x before normalising, [rows, C], or null
     * @param sumOut receives x + residual, [rows, C], or null
     * @param gamma the scale, [C]
     * @param eps added to the mean of squares
     * @param y the output, [rows, C]; may be x
     */
    void rmsNorm(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, float eps, Tensor y);

    /**
     * Masked softmax over the last axis; x, y: [B, H, S, T] contiguous, y may be x.
     * A row with no visible key gives zeros.
     *
     * @param x the scores, [B, H, S, T]
     * @param options scale, causal masking, additive mask and key ranges
     * @param y the probabilities, [B, H, S, T]
     */
    void softmax(Tensor x, SoftmaxOptions options, Tensor y);

    /**
     * Fused attention: q: [B, S, H, D], k, v: [B, T, K, D] (K divides H), out: [B, S, H, D],
     * with causal or windowed attention S &lt;= T (queries are the last S positions; cross-attention
     * takes any S). out must not overlap q, k or v. The bias of
     * the options is [B or 1, H or 1, S or 1, T].
     * A query with no visible key gives zeros.
     *
     * @param q the queries, [B, S, H, D]
     * @param k the keys, [B, T, K, D]
     * @param v the values, [B, T, K, D]
     * @param options scale, causal masking, window, additive bias and key ranges
     * @param out the output, [B, S, H, D]
     */
    void attention(Tensor q, Tensor k, Tensor v, AttentionOptions options, Tensor out);

    /**
     * y = a + b elementwise for contiguous tensors of one shape; y may be a or b.
     *
     * @param a the first term
     * @param b the second term
     * @param y the sum
     */
    void add(Tensor a, Tensor b, Tensor y);

    /**
     * y = alpha x elementwise for x, y of the same shape (contiguous); y may be x.
     *
     * @param x the input
     * @param alpha the factor
     * @param y the output
     */
    void scale(Tensor x, float alpha, Tensor y);

    /**
     * y = act(x) elementwise for x, y of the same shape (contiguous); y may be x.
     *
     * @param act the activation
     * @param x the input
     * @param y the output
     */
    void activation(Activation act, Tensor x, Tensor y);

    /**
     * y = act(x + bias) with x, y: [rows, C] and bias: [C] or null; y may be x.
     *
     * @param act the activation
     * @param x the input, [rows, C]
     * @param bias [C], or null for none
     * @param y the output, [rows, C]
     */
    void biasActivation(Activation act, Tensor x, Tensor bias, Tensor y);

    /**
     * y = act(gate) * up for gate, up, y: [rows, F] (SwiGLU with SILU, gated GELU with GELU).
     *
     * @param act the activation applied to gate
     * @param gate the gate projection, [rows, F]
     * @param up the up projection, [rows, F]
     * @param y the output, [rows, F]
     */
    void gatedActivation(Activation act, Tensor gate, Tensor up, Tensor y);

    /**
     * Rotary position embedding in place, rotate-half convention, on x: [B, S, N, D]; with
     * invFreq float32 [R] on this device, the first 2R dimensions of each head rotate, pair i by
     * the angle positions[b * S + s] * invFreq[i] (a float32 product, as transformers computes it).
     *
     * @param x the queries or keys, [B, S, N, D] with N heads; rotated in place
     * @param positions the position of each token, B * S values, batch-major
     * @param invFreq the inverse frequencies, float32 [R] with 2R &lt;= D, on this device
     */
    void rope(Tensor x, long[] positions, Tensor invFreq);

    /**
     * out[i, :] = table[ids[i], :]; table: [V, C], ids: int64 of any shape with n elements, out: [n, C].
     *
     * @param table the embedding table, [V, C]
     * @param ids the rows to gather, int64, each in [0, V)
     * @param out the gathered rows, [n, C]
     */
    void embedding(Tensor table, Tensor ids, Tensor out);

    /**
     * dst = src for tensors of the same shape and dtype that do not overlap; other than the last
     * dimension, strides are free (a KV-cache slot, a head slice of a fused projection).
     *
     * @param src the values to copy
     * @param dst where they go
     */
    void copy(Tensor src, Tensor dst);

    /**
     * The element type this backend keeps weight matrices in (linear layers' weights, embedding
     * tables): the type models compute in, or BF16 on a CPU backend made for bfloat16 weights,
     * which computes in F32.
     *
     * @return the dtype of the tensors {@link #weightMatrix} gives
     */
    default DType weightType() {
        return DType.F32;
    }

    /**
     * A weight matrix (a linear layer's weight or an embedding table) given as host values, on
     * this device in {@link #weightType()}, allocated in arena when it has to be copied. The
     * result is constant from then on (on the CPU it may be hostValues itself: do not change
     * them afterwards): a backend may pack or quantize it once for its products.
     *
     * @param hostValues the weights, float32 [N, K] in host memory
     * @param arena a long-lived arena of this device
     * @return the matrix {@link #linear} and {@link #embedding} take
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
     *
     * @param q the quantized weights, I8 [N, K] in host memory
     * @param scale the per-row scales, F32 [N] in host memory
     * @param perTensorActivations whether activations get one scale per product rather than one per row
     * @param arena a long-lived arena of this device
     * @return the matrix {@link #linear} takes
     * @throws IllegalArgumentException when q is not I8 [N, K] or scale not F32 [N]
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
     * A weight matrix (a linear layer's weight, an embedding table) from its stored form, on this
     * device as this backend keeps weight matrices: the one place where the weight type policy is
     * decided. Stored in int8: {@link #int8Matrix} (on the host, with the int8 values viewing the
     * checkpoint). Otherwise in {@link #weightType()}: on the host, the stored values themselves
     * where they are in that type already (float32 weights of a float32 backend, viewed in place
     * where aligned; bfloat16 weights of a bfloat16 one), else the float32 values through
     * {@link #weightMatrix(Tensor, TensorArena)}; on a device, the float32 values through it, once.
     *
     * @param stored the parameter as stored ({@link org.transformers4j.checkpoint.Checkpoint#view})
     * @param arena a long-lived arena of this device
     * @return the matrix {@link #linear} and {@link #embedding} take
     */
    default Tensor weightMatrix(StoredTensor stored, TensorArena arena) {
        boolean onHost = arena.device().equals(Device.CPU);
        try (TensorArena staging = TensorArena.confined()) {
            if (stored.isInt8()) {
                TensorArena values = onHost ? arena : staging; // on the host: views of the checkpoint, kept
                return int8Matrix(stored.int8Values(values), stored.int8Scales(values),
                        stored.int8PerTensorActivations(), arena);
            }
            if (onHost && weightType() == arena.floatType()) {
                return stored.load(arena);
            }
            Optional<Tensor> asStored = onHost ? stored.inPlace(weightType(), arena) : Optional.empty();
            return asStored.isPresent() ? asStored.get() : weightMatrix(stored.load(staging), arena);
        }
    }

    /**
     * A parameter other than a weight matrix (a bias, a norm's scale) from its stored form, on
     * this device in the type the model computes in: on the host the float32 values (a view of the
     * checkpoint where it stores aligned float32), on a device a copy of them.
     *
     * @param stored the parameter as stored ({@link org.transformers4j.checkpoint.Checkpoint#view})
     * @param arena a long-lived arena of this device
     * @return the parameter
     */
    default Tensor parameter(StoredTensor stored, TensorArena arena) {
        if (arena.device().equals(Device.CPU)) {
            return stored.load(arena);
        }
        try (TensorArena staging = TensorArena.confined()) {
            return toDevice(stored.load(staging), arena);
        }
    }

    /**
     * An arena for one computation's intermediate results on this backend's device, confined to
     * the calling thread; its memory is reused after close, so contents start undefined.
     *
     * @return a new arena, to close when the computation ends
     */
    default TensorArena scratch() {
        return TensorArena.pooled();
    }

    /** {@return an arena on this backend's device for tensors that outlive a computation (weights, caches)} */
    default TensorArena longLived() {
        return TensorArena.shared();
    }

    /**
     * The tensor on this backend's device: t itself when it is there, else a contiguous copy
     * allocated in arena (an arena of this device).
     *
     * @param t a tensor on the host or this device
     * @param arena where a copy is allocated
     * @return t or its copy on this device
     * @throws IllegalArgumentException when t is on another device
     */
    default Tensor toDevice(Tensor t, TensorArena arena) {
        Checks.onDevice("tensor", t, device());
        return t;
    }

    /**
     * A copy of t (on the host or this device) in arena, an arena of this device.
     *
     * @param t the tensor to copy
     * @param arena where the copy is allocated
     * @return the contiguous copy
     */
    default Tensor place(Tensor t, TensorArena arena) {
        java.util.Objects.requireNonNull(t, "t");
        Tensor c = arena.empty(t.dtype(), t.shape().toArray());
        copy(t, c);
        return c;
    }

    /**
     * A new int64 tensor of arena (on this device) holding the values.
     *
     * @param values the elements in row-major order
     * @param arena an arena of this device
     * @param dims the shape; its product must equal values.length
     * @return the new tensor
     */
    default Tensor longs(long[] values, TensorArena arena, long... dims) {
        return arena.ofLongs(values, dims);
    }

    /**
     * A new float32 tensor of arena (on this device) holding the values: for additive biases and
     * masks, which the kernels take in float32 whatever the model computes in.
     *
     * @param values the elements in row-major order
     * @param arena an arena of this device
     * @param dims the shape; its product must equal values.length
     * @return the new float32 tensor
     */
    default Tensor floats(float[] values, TensorArena arena, long... dims) {
        return arena.of(values, dims);
    }

    /**
     * A new tensor of the arena's float type (on this device) holding the values: for weights and
     * activations computed on the host.
     *
     * @param values the elements in row-major order, converted to the arena's float type
     * @param arena an arena of this device
     * @param dims the shape; its product must equal values.length
     * @return the new tensor
     */
    default Tensor values(float[] values, TensorArena arena, long... dims) {
        return arena.of(values, dims);
    }

    /**
     * The tensor in host memory, for reading: t itself when it is there, else a contiguous copy
     * allocated in hostArena after the work queued before it has finished.
     *
     * @param t a tensor on this device
     * @param hostArena a host arena, where a copy is allocated
     * @return t or its host copy
     * @throws IllegalArgumentException when t is on another device
     */
    default Tensor toHost(Tensor t, TensorArena hostArena) {
        Checks.onDevice("tensor", t, device());
        return t;
    }

    /** Releases what the backend holds (not the tensors, which their arenas own). */
    @Override
    void close();
}
