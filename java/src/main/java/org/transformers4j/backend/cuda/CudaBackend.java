package org.transformers4j.backend.cuda;

import static org.transformers4j.bindings.cublas.cublas_h.*;
import static org.transformers4j.bindings.cuda.t4j_cuda_h.*;
import static org.transformers4j.bindings.cudart.cudart_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.AttentionShape;
import org.transformers4j.backend.Checks;
import org.transformers4j.backend.NativeParams;
import org.transformers4j.backend.SoftmaxOptions;
import org.transformers4j.backend.SoftmaxShape;
import org.transformers4j.backend.StridedCopy;
import org.transformers4j.backend.ValidatingBackend;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * The operations on one NVIDIA GPU: matrix products through cuBLAS ({@code cublasGemmEx}, float32
 * without TF32), the rest through libt4j_cuda, all queued in order on one stream of this backend.
 * Tensors live in device memory from {@link #longLived()} and {@link #scratch()} arenas;
 * {@link #toDevice} and {@link #toHost} copy across. Arguments are checked in Java first, as
 * for every backend; a failed CUDA call throws {@link CudaException} naming it.
 */
public final class CudaBackend extends ValidatingBackend {
    /** The largest head dim libt4j_cuda's attention takes. */
    public static final int MAX_HEAD_DIM = 256;
    private static final int SMALL_ARRAYS = 16;
    private final Device device;
    private final DType floatType;
    private final int code; // the T4J_* element type of floatType
    private final int cudaType; // and cuBLAS's
    private final MemorySegment stream;
    private final MemorySegment cublas;
    private final CudaMemory memory;
    private final CudaMemory scratchMemory;
    private final HostStaging staging;
    private final String kernelProvider;
    private final Object gemmLock = new Object();
    // the host values of tensors made by longs() (token and position ids): embedding checks ids
    // against the vocabulary from these rather than copying them back and waiting on the stream.
    // Should such a tensor be overwritten later, its entry goes stale: the embedding kernel
    // bounds-checks ids itself (zeros for ids outside the table), so that costs the exception,
    // never memory safety.
    private final Map<Tensor, long[]> uploadedLongs = Collections.synchronizedMap(new WeakHashMap<>());
    private final LinkedHashMap<SmallKey, SmallArray> smallArrays = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<SmallKey, SmallArray> eldest) {
            if (size() <= SMALL_ARRAYS) {
                return false;
            }
            scratchMemory.free(eldest.getValue().address(), eldest.getValue().bytes()); // reuse is stream-ordered
            return true;
        }
    };
    private MemorySegment workspace = MemorySegment.NULL;
    private long workspaceBytes;
    private boolean closed;

    private CudaBackend(int ordinal, DType floatType) {
        this.device = new Device("cuda", ordinal);
        this.floatType = floatType;
        this.code = switch (floatType) {
            case F32 -> T4J_F32();
            case F16 -> T4J_F16();
            case BF16 -> T4J_BF16();
            default -> throw new IllegalArgumentException("a GPU model computes in F32, F16 or BF16, not " + floatType);
        };
        this.cudaType = switch (floatType) {
            case F16 -> CUDA_R_16F();
            case BF16 -> CUDA_R_16BF();
            default -> CUDA_R_32F();
        };
        use(ordinal);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            check(cudaStreamCreate(out), "cudaStreamCreate");
            stream = out.get(ValueLayout.ADDRESS, 0);
            checkBlas(cublasCreate_v2(out), "cublasCreate");
            cublas = out.get(ValueLayout.ADDRESS, 0);
            checkBlas(cublasSetStream_v2(cublas, stream), "cublasSetStream");
            checkBlas(cublasSetMathMode(cublas, CUBLAS_DEFAULT_MATH()), "cublasSetMathMode"); // no TF32
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            check(cudaDeviceGetAttribute(v, cudaDevAttrMultiProcessorCount(), ordinal), "cudaDeviceGetAttribute");
            int sms = v.get(ValueLayout.JAVA_INT, 0);
            check(cudaDeviceGetAttribute(v, cudaDevAttrComputeCapabilityMajor(), ordinal), "cudaDeviceGetAttribute");
            int major = v.get(ValueLayout.JAVA_INT, 0);
            check(cudaDeviceGetAttribute(v, cudaDevAttrComputeCapabilityMinor(), ordinal), "cudaDeviceGetAttribute");
            kernelProvider = "libt4j_cuda on " + device + " (sm_" + major + v.get(ValueLayout.JAVA_INT, 0) + ", "
                    + sms + " multiprocessors)";
        }
        memory = new CudaMemory(device, false);
        scratchMemory = new CudaMemory(device, true);
        staging = new HostStaging(this::waitForStream);
    }

    /**
     * {@return the float32 backend of GPU {@code ordinal}}
     *
     * @param ordinal the GPU's CUDA index, from 0
     * @throws IllegalStateException saying why, when this build or machine has no usable GPU
     * @throws IllegalArgumentException when there is no GPU of that index
     */
    public static CudaBackend create(int ordinal) {
        return create(ordinal, DType.F32);
    }

    /**
     * The backend of GPU {@code ordinal} whose models compute in floatType (F32, F16 or BF16: weights
     * converted once when they move to the GPU, activations in that type, float32 accumulation).
     *
     * @param ordinal the GPU's CUDA index, from 0
     * @param floatType F32, F16 or BF16
     * @return a new backend; close it when done
     * @throws IllegalStateException saying why, when this build or machine has no usable GPU
     * @throws IllegalArgumentException when there is no GPU of that index or floatType is another type
     */
    public static CudaBackend create(int ordinal, DType floatType) {
        Cuda.Availability cuda = Cuda.availability();
        if (!cuda.usable()) {
            throw new IllegalStateException("no GPU backend: " + cuda.detail());
        }
        if (ordinal < 0 || ordinal >= cuda.devices()) {
            throw new IllegalArgumentException("cuda:" + ordinal + " does not exist: there are " + cuda.devices()
                    + " GPU(s)");
        }
        return new CudaBackend(ordinal, floatType);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    protected DType floatType() {
        return floatType;
    }

    @Override
    public String gemmProvider() {
        return floatType == DType.F32 ? "cuBLAS (float32, TF32 off)" : "cuBLAS (" + floatType + ", float32 accumulation)";
    }

    @Override
    public String kernelProvider() {
        return kernelProvider;
    }

    @Override
    public TensorArena scratch() {
        return TensorArena.scratchOnDevice(scratchMemory, floatType);
    }

    @Override
    public TensorArena longLived() {
        return TensorArena.onDevice(memory, floatType);
    }

    /** Host tensors arrive converted to the arena's float type when they are float32. */
    @Override
    public Tensor toDevice(Tensor t, TensorArena arena) {
        Checks.onDevice("tensor", t, t.device()); // alive
        if (t.device().equals(device)) {
            return t;
        }
        return upload(t, arena, t.dtype() == DType.F32 ? arena.floatType() : t.dtype());
    }

    private Tensor upload(Tensor t, TensorArena arena, DType type) {
        Checks.onDevice("tensor", t, Device.CPU);
        if (!arena.device().equals(device)) {
            throw new IllegalArgumentException("arena is on " + arena.device() + ", this backend runs on " + device);
        }
        MemorySegment slice = t.isContiguous() ? staging.take(TensorMemory.byteSpan(t)) : null;
        if (slice == null) {
            return uploadAndWait(t, arena, type);
        }
        try (TensorArena tmp = scratch()) {
            MemorySegment.copy(TensorMemory.host(t), 0, slice, 0, slice.byteSize());
            Tensor out = arena.empty(type, t.shape().toArray());
            Tensor raw = type == t.dtype() ? out : tmp.empty(t.dtype(), t.shape().toArray());
            use(device.index());
            check(cudaMemcpyAsync(dev(raw), slice, slice.byteSize(), cudaMemcpyHostToDevice(), stream),
                    "cudaMemcpyAsync to " + device);
            if (raw != out) {
                checkKernel(t4j_cuda_convert(T4J_F32(), dev(raw), typeCode(type), dev(out),
                        t.shape().elements(), stream), "convert");
            }
            return out;
        } finally {
            staging.queued();
        }
    }

    /** upload through a staging copy of its own, waited for (large or strided tensors). */
    private Tensor uploadAndWait(Tensor t, TensorArena arena, DType type) {
        try (TensorArena staging = TensorArena.confined(); TensorArena tmp = scratch()) {
            Tensor host = contiguousOnHost(t, staging);
            Tensor out = arena.empty(type, t.shape().toArray());
            Tensor raw = type == t.dtype() ? out : tmp.empty(t.dtype(), t.shape().toArray());
            use(device.index());
            check(cudaMemcpyAsync(dev(raw), TensorMemory.host(host), TensorMemory.byteSpan(host),
                    cudaMemcpyHostToDevice(), stream), "cudaMemcpyAsync to " + device);
            if (raw != out) {
                checkKernel(t4j_cuda_convert(T4J_F32(), dev(raw), typeCode(type), dev(out),
                        t.shape().elements(), stream), "convert");
            }
            waitForStream(); // the staging copy is freed next
            return out;
        }
    }

    /** Half-precision tensors come back as float32. */
    @Override
    public Tensor toHost(Tensor t, TensorArena hostArena) {
        Checks.onDevice("tensor", t, t.device());
        if (t.device().equals(Device.CPU)) {
            return t;
        }
        Checks.onDevice("tensor", t, device);
        if (!hostArena.device().equals(Device.CPU)) {
            throw new IllegalArgumentException("hostArena is on " + hostArena.device());
        }
        boolean half = t.dtype() == DType.F16 || t.dtype() == DType.BF16;
        Tensor out = hostArena.empty(half ? DType.F32 : t.dtype(), t.shape().toArray());
        try (TensorArena tmp = scratch()) {
            Tensor src = t;
            if (!t.isContiguous()) {
                src = tmp.empty(t.dtype(), t.shape().toArray());
                copy(t, src);
            }
            use(device.index());
            if (half) {
                Tensor wide = tmp.empty(DType.F32, t.shape().toArray());
                checkKernel(t4j_cuda_convert(typeCode(t.dtype()), dev(src), T4J_F32(), dev(wide),
                        t.shape().elements(), stream), "convert");
                src = wide;
            }
            check(cudaMemcpyAsync(TensorMemory.host(out), dev(src), TensorMemory.byteSpan(out),
                    cudaMemcpyDeviceToHost(), stream), "cudaMemcpyAsync from " + device);
            waitForStream();
        }
        return out;
    }

    @Override
    public Tensor place(Tensor t, TensorArena arena) {
        return t.device().equals(Device.CPU) ? toDevice(t, arena) : super.place(t, arena);
    }

    @Override
    public Tensor longs(long[] values, TensorArena arena, long... dims) {
        try (TensorArena host = TensorArena.confined()) {
            Tensor t = toDevice(host.ofLongs(values, dims), arena);
            uploadedLongs.put(t, values.clone());
            return t;
        }
    }

    @Override
    public Tensor floats(float[] values, TensorArena arena, long... dims) {
        try (TensorArena host = TensorArena.confined()) {
            return upload(host.of(values, dims), arena, DType.F32);
        }
    }

    @Override
    public Tensor values(float[] values, TensorArena arena, long... dims) {
        try (TensorArena host = TensorArena.confined()) {
            return toDevice(host.of(values, dims), arena);
        }
    }

    private static int typeCode(DType t) {
        return switch (t) {
            case F16 -> T4J_F16();
            case BF16 -> T4J_BF16();
            default -> T4J_F32();
        };
    }

    private static Tensor contiguousOnHost(Tensor t, TensorArena staging) {
        if (t.isContiguous()) {
            return t;
        }
        Tensor c = staging.empty(t.dtype(), t.shape().toArray());
        StridedCopy.host(t, c);
        return c;
    }

    @Override
    protected long[] idValues(Tensor ids) {
        long[] known = uploadedLongs.get(ids);
        if (known != null && known.length == ids.shape().elements()) {
            return known;
        }
        try (TensorArena host = TensorArena.confined()) {
            return TensorMemory.host(toHost(ids, host)).toArray(ValueLayout.JAVA_LONG);
        }
    }

    // ---- operations -----------------------------------------------------------------------

    @Override
    protected void matmulImpl(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, long m, long n, long k,
                              float alpha, float beta) {
        long lda = rowStride(a), ldb = rowStride(b), ldc = rowStride(c);
        if (Math.max(Math.max(m, n), Math.max(k, Math.max(lda, Math.max(ldb, ldc)))) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("matrix product of " + m + " x " + n + " x " + k
                    + " exceeds cuBLAS's 32-bit sizes");
        }
        // row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands
        use(device.index());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment al = arena.allocateFrom(ValueLayout.JAVA_FLOAT, alpha);
            MemorySegment be = arena.allocateFrom(ValueLayout.JAVA_FLOAT, beta);
            synchronized (gemmLock) {
                checkBlas(cublasGemmEx(cublas, transB ? CUBLAS_OP_T() : CUBLAS_OP_N(),
                        transA ? CUBLAS_OP_T() : CUBLAS_OP_N(), (int) n, (int) m, (int) k, al,
                        dev(b), cudaType, (int) ldb, dev(a), cudaType, (int) lda, be,
                        dev(c), cudaType, (int) ldc, CUBLAS_COMPUTE_32F(), CUBLAS_GEMM_DEFAULT()),
                        "cublasGemmEx");
            }
        }
    }

    private static long rowStride(Tensor t) {
        return t.dim(0) <= 1 ? Math.max(t.dim(1), 1) : t.stride(0);
    }

    @Override
    protected void normImpl(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, Tensor beta, float eps, Tensor y,
                            long rows, long cols, boolean rms) {
        use(device.index());
        int status = rms
                ? t4j_cuda_rms_norm(code, dev(x), dev(residual), dev(sumOut), dev(y), dev(gamma), rows, cols, eps,
                        stream)
                : t4j_cuda_layer_norm(code, dev(x), dev(residual), dev(sumOut), dev(y), dev(gamma), dev(beta),
                        rows, cols, eps, stream);
        checkKernel(status, rms ? "rms_norm" : "layer_norm");
    }

    @Override
    protected void softmaxImpl(Tensor x, SoftmaxOptions o, Tensor y, SoftmaxShape sh) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = NativeParams.softmax(arena, o, sh, dev(o.mask()), keys(o.keyStart()),
                    keys(o.keyLength()));
            checkKernel(t4j_cuda_softmax(code, p, dev(x), dev(y), stream), "softmax");
        }
    }

    @Override
    protected void attentionImpl(Tensor q, Tensor k, Tensor v, AttentionOptions o, Tensor out, AttentionShape sh) {
        if (sh.headDim() > MAX_HEAD_DIM) {
            throw new IllegalArgumentException("head dim " + sh.headDim() + " is more than the " + MAX_HEAD_DIM
                    + " the CUDA attention takes");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = NativeParams.attention(arena, q, k, v, out, o, sh, dev(o.bias()),
                    keys(o.keyStart()), keys(o.keyLength()));
            long need = t4j_cuda_attention_workspace_bytes(p);
            synchronized (this) {
                if (need > workspaceBytes) {
                    releaseWorkspace();
                    workspace = MemorySegment.ofAddress(memory.allocate(need));
                    workspaceBytes = need;
                }
                checkKernel(t4j_cuda_attention(code, p, dev(q), dev(k), dev(v), dev(out), workspace,
                        workspaceBytes, stream), "attention");
            }
        }
    }

    @Override
    protected void biasActivationImpl(Activation act, Tensor x, Tensor bias, Tensor y, long rows, long cols) {
        use(device.index());
        checkKernel(t4j_cuda_bias_act(code, act.code(), dev(x), dev(bias), dev(y), rows, cols, stream), "bias_act");
    }

    @Override
    protected void gatedActivationImpl(Activation act, Tensor gate, Tensor up, Tensor y) {
        use(device.index());
        checkKernel(t4j_cuda_gated_act(code, act.code(), dev(gate), rowStride(gate), dev(up), rowStride(up), dev(y),
                rowStride(y), gate.dim(0), gate.dim(1), stream), "gated_act");
    }

    @Override
    protected void ropeImpl(Tensor x, long[] positions, Tensor invFreq) {
        use(device.index());
        checkKernel(t4j_cuda_rope(code, dev(x), x.dim(0), x.dim(1), x.dim(2), x.dim(3), x.stride(0), x.stride(1),
                x.stride(2), small(positions, DType.I64, positions.length), 2 * invFreq.dim(0), dev(invFreq), stream),
                "rope");
    }

    @Override
    protected void embeddingImpl(Tensor table, Tensor ids, Tensor out, long n) {
        use(device.index());
        checkKernel(t4j_cuda_embedding(code, dev(table), table.dim(0), table.dim(1), dev(ids), n, dev(out),
                stream), "embedding");
    }

    @Override
    protected void addImpl(Tensor a, Tensor b, Tensor y, long n) {
        use(device.index());
        checkKernel(t4j_cuda_add(code, dev(a), dev(b), dev(y), n, stream), "add");
    }

    @Override
    protected void scaleImpl(Tensor x, float alpha, Tensor y, long n) {
        use(device.index());
        checkKernel(t4j_cuda_scale(code, dev(x), alpha, dev(y), n, stream), "scale");
    }

    @Override
    protected void copyImpl(Tensor src, Tensor dst) {
        use(device.index());
        check(cudaMemcpyAsync(dev(dst), dev(src), TensorMemory.byteSpan(src),
                cudaMemcpyDeviceToDevice(), stream), "cudaMemcpyAsync on " + device);
    }

    @Override
    protected void stridedCopyImpl(Tensor src, Tensor dst) {
        int rank = src.rank();
        if (rank > 4) {
            throw new IllegalArgumentException("strided copies on " + device + " take up to 4 dimensions, got " + rank);
        }
        long[] dims = {1, 1, 1, 1}, ss = {0, 0, 0, 1}, ds = {0, 0, 0, 1};
        for (int i = 0; i < rank; i++) {
            dims[4 - rank + i] = src.dim(i);
            ss[4 - rank + i] = src.dim(i) == 1 && i == rank - 1 ? 1 : src.stride(i);
            ds[4 - rank + i] = dst.dim(i) == 1 && i == rank - 1 ? 1 : dst.stride(i);
        }
        use(device.index());
        try (Arena arena = Arena.ofConfined()) {
            checkKernel(t4j_cuda_copy(src.dtype().byteSize(), dev(src),
                    arena.allocateFrom(ValueLayout.JAVA_LONG, ss), dev(dst),
                    arena.allocateFrom(ValueLayout.JAVA_LONG, ds), arena.allocateFrom(ValueLayout.JAVA_LONG, dims),
                    stream), "copy");
        }
    }

    /** Waits for everything queued on this backend's stream. */
    public void synchronize() {
        waitForStream();
    }

    /** Waits for the stream; what uploads copied from can then be reused. */
    private void waitForStream() {
        use(device.index());
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        staging.streamIdle();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        use(device.index());
        cudaStreamSynchronize(stream);
        releaseWorkspace();
        synchronized (smallArrays) {
            smallArrays.values().forEach(a -> scratchMemory.free(a.address(), a.bytes()));
            smallArrays.clear();
        }
        scratchMemory.trim();
        cublasDestroy_v2(cublas);
        cudaStreamDestroy(stream);
        staging.close();
    }

    private void releaseWorkspace() {
        if (workspaceBytes > 0) {
            cudaStreamSynchronize(stream); // the attention that used it may still run
            staging.streamIdle();
            memory.free(workspace.address(), workspaceBytes);
            workspace = MemorySegment.NULL;
            workspaceBytes = 0;
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    /**
     * Small per-call arrays (key ranges, positions) on the device. Every layer of a pass sends the
     * same ones, so the last few are kept by content: one upload per pass instead of per layer,
     * from the staging buffer, without waiting for it.
     */
    private MemorySegment small(Object values, DType type, int length) {
        if (values == null) {
            return MemorySegment.NULL;
        }
        SmallKey key = new SmallKey(values);
        synchronized (smallArrays) {
            SmallArray hit = smallArrays.get(key);
            if (hit != null) {
                return hit.pointer();
            }
        }
        long bytes = (long) length * type.byteSize();
        SmallArray array = new SmallArray(scratchMemory.allocate(bytes), bytes);
        MemorySegment dst = array.pointer();
        MemorySegment src = staging.take(bytes);
        if (src == null) { // only with more than the staging buffer in flight: copy from a source of its own
            try (Arena arena = Arena.ofConfined()) {
                copyToDevice(dst, fill(arena.allocate(bytes, 8), values), bytes);
                waitForStream(); // that source is freed next
            }
        } else {
            try {
                copyToDevice(dst, fill(src, values), bytes);
            } finally {
                staging.queued();
            }
        }
        synchronized (smallArrays) {
            smallArrays.put(key, array);
        }
        return dst;
    }

    /** A block of scratch device memory holding a small array; never read on the host. */
    private record SmallArray(long address, long bytes) {
        /** The device address for a native call: a zero-length segment, which the host cannot read through. */
        MemorySegment pointer() {
            return MemorySegment.ofAddress(address);
        }
    }

    private static MemorySegment fill(MemorySegment to, Object values) {
        if (values instanceof int[] v) {
            MemorySegment.copy(v, 0, to, ValueLayout.JAVA_INT, 0, v.length);
        } else {
            long[] v = (long[]) values;
            MemorySegment.copy(v, 0, to, ValueLayout.JAVA_LONG, 0, v.length);
        }
        return to;
    }

    private void copyToDevice(MemorySegment dst, MemorySegment src, long bytes) {
        use(device.index());
        check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice(), stream), "cudaMemcpyAsync to " + device);
    }

    /** An int[] or long[] compared by content (a copy, so later changes by the caller do not matter). */
    private record SmallKey(Object values) {
        SmallKey {
            values = values instanceof int[] v ? v.clone() : ((long[]) values).clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SmallKey k && Objects.deepEquals(values, k.values);
        }

        @Override
        public int hashCode() {
            return values instanceof int[] v ? Arrays.hashCode(v) : Arrays.hashCode((long[]) values);
        }
    }

    private MemorySegment keys(int[] values) {
        return values == null ? MemorySegment.NULL : small(values, DType.I32, values.length);
    }

    private static MemorySegment dev(Tensor t) {
        return TensorMemory.deviceOrNull(t);
    }

    /** Makes the GPU current for the calling thread (the runtime's current device is per thread). */
    static void use(int ordinal) {
        check(cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
    }

    static void check(int err, String what) {
        if (err != cudaSuccess()) {
            cudaGetLastError(); // clear a non-sticky error so that later calls are not blamed for it
            throw new CudaException(what + " failed: " + Cuda.errorName(err));
        }
    }

    private static void checkBlas(int status, String what) {
        if (status != CUBLAS_STATUS_SUCCESS()) {
            throw new CudaException(what + " failed: " + cublasGetStatusString(status).getString(0));
        }
    }

    /** libt4j_cuda's codes after the Java checks mean a CUDA failure or a bug, never bad input. */
    private static void checkKernel(int status, String op) {
        if (status == T4J_ERR_CUDA()) {
            throw new CudaException("t4j_cuda_" + op + " failed: " + t4j_cuda_last_error().getString(0));
        }
        if (status != 0) {
            throw new IllegalStateException("t4j_cuda_" + op + " rejected arguments that passed the Java checks (status "
                    + status + ")");
        }
    }
}
