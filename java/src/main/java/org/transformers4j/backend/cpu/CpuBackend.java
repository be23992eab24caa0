package org.transformers4j.backend.cpu;

import static org.transformers4j.tensor.internal.TensorMemory.host;
import static org.transformers4j.bindings.cpu.t4j_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.AttentionShape;
import org.transformers4j.backend.NativeLibraries;
import org.transformers4j.backend.NativeParams;
import org.transformers4j.backend.SoftmaxOptions;
import org.transformers4j.backend.SoftmaxShape;
import org.transformers4j.backend.ValidatingBackend;
import org.transformers4j.backend.Checks;
import org.transformers4j.checkpoint.StoredTensor;
import org.transformers4j.tensor.BFloat16;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * The CPU backend: libt4j_cpu's kernels (AVX-512, AVX2 or plain, chosen at
 * run time) and OpenBLAS for matrix products, or libt4j_cpu's built-in GEMM
 * where OpenBLAS cannot be loaded. Safe to share between threads.
 *
 * <p>Its weight policy, one per backend: float32 weights ({@link #create()}); bfloat16 weights with
 * float32 arithmetic ({@link #withBf16Weights()}); bfloat16 weights with bfloat16 products of many
 * rows ({@link #withBf16Compute()}); int8 linear layers ({@link #withInt8Weights()}). Whatever the
 * policy, weights stored in int8 ({@link #int8Matrix}) run on the int8 products; norms, softmax,
 * attention, residuals and caches are float32 in every case.
 */
public final class CpuBackend extends ValidatingBackend {
    private static final String[] ISA_NAMES = {"scalar", "avx2", "avx512"};
    private static volatile boolean loaded;

    /**
     * Linear layers with more rows than this go to BLAS; from SMALL_ROWS + 1 up to here, to packed
     * weights (MiniLM's layers with weights from L3: 1.2-1.5x OpenBLAS at 128-256 rows, 1.1x at 640,
     * 1.05x at 1024, even at 2048, 0.95-0.99x at 4096).
     */
    private static final long PACKED_MAX_ROWS = 2048;
    /**
     * Up to this many rows (a decode step), libt4j_cpu streams the weights in their own layout (see
     * t4j_sgemm_with); from 2 rows up the packed product is 1.0-1.4x faster on MiniLM's layers.
     */
    private static final long SMALL_ROWS = 1;
    /**
     * Up to this many rows, linear layers with bfloat16 weights stream them (four rows of x per
     * pass over the weights: a decode step, a few beams); more rows run on weights packed once
     * (widened to float32), at the rate of the float32 packed product.
     */
    private static final long STREAMED_BF16_ROWS = 4;
    /**
     * With bfloat16 arithmetic, linear layers of more rows than this (encoders, prefill) run on
     * vdpbf16ps; fewer stream the bfloat16 weights as {@link #withBf16Weights()} does.
     */
    private static final long BF16_DOT_MIN_ROWS = STREAMED_BF16_ROWS + 1;
    /** Copies smaller than this run on the calling thread. */
    private static final long PARALLEL_COPY_BYTES = 1 << 20;

    private final boolean useOpenBlas;
    private final MemorySegment blasSgemm;
    /**
     * The matrices this backend's weight policy made ({@link #weightMatrix}): constant for their
     * lifetime, so packed (or quantized) once on first use and the packing kept. Any other float
     * matrix may change between calls and runs unpacked.
     */
    private final Set<Tensor> constant = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    /** Weights packed on first use, freed once the weight's memory is closed (PackCache). */
    private final PackCache<MemorySegment> packed = new PackCache<>();
    /** bfloat16 weights packed on first use for t4j_linear_bf16dot (bfloat16 arithmetic only). */
    private final PackCache<MemorySegment> bf16Dot = new PackCache<>();
    private final Int8Weights int8 = new Int8Weights();
    private final String gemmProvider;
    private final DType weightType;
    private final boolean bf16Compute;
    private final boolean int8Linear;

    private CpuBackend(boolean allowOpenBlas, DType weightType, boolean bf16Compute, boolean int8Linear) {
        loadKernels();
        this.weightType = weightType;
        this.bf16Compute = bf16Compute;
        this.int8Linear = int8Linear;
        OpenBlas.Status blas = allowOpenBlas ? OpenBlas.load() : new OpenBlas.Status(false, "OpenBLAS not requested");
        this.useOpenBlas = blas.available();
        this.blasSgemm = blas.available() ? OpenBlas.sgemmAddress() : MemorySegment.NULL;
        this.gemmProvider = blas.available() ? blas.description() + ", split over the kernel threads"
                : "built-in GEMM (" + blas.description() + ")";
    }

    /** {@return the CPU backend with OpenBLAS where it loads, the built-in GEMM otherwise} */
    public static CpuBackend create() {
        return new CpuBackend(true, DType.F32, false, false);
    }

    /**
     * The CPU backend keeping weight matrices in bfloat16 (half the bytes a decode step reads),
     * computing in float32 as the other: each weight is widened as it is loaded.
     *
     * @return a new backend; close it when done
     */
    public static CpuBackend withBf16Weights() {
        return new CpuBackend(true, DType.BF16, false, false);
    }

    /**
     * The CPU backend with bfloat16 weights and bfloat16 arithmetic in linear layers of many rows
     * (t4j_linear_bf16dot: activations rounded to bfloat16 at the product's input, float32 sums;
     * vdpbf16ps where the CPU has AVX-512 BF16). Products of few rows (decoding) stream the weights
     * as {@link #withBf16Weights()} does; norms, softmax, attention and residuals stay float32.
     *
     * @return a new backend; close it when done
     */
    public static CpuBackend withBf16Compute() {
        return new CpuBackend(true, DType.BF16, true, false);
    }

    /**
     * The CPU backend with int8 linear layers: each float32 weight matrix a product meets is quantized
     * symmetrically per output channel and packed on its first product (t4j_quantize_weights_int8),
     * and every product, whatever its rows, quantizes the activations per row to uint8 on the fly
     * and sums in int32 (t4j_linear_int8: VNNI where the CPU has it). Embedding tables, norms,
     * attention and the KV cache stay float32; a head tied to the embedding table is quantized as a
     * product weight.
     *
     * @return a new backend; close it when done
     */
    public static CpuBackend withInt8Weights() {
        return new CpuBackend(true, DType.F32, false, true);
    }

    /** {@return the CPU backend with the built-in GEMM only (for tests and comparisons)} */
    public static CpuBackend withBuiltInGemm() {
        return new CpuBackend(false, DType.F32, false, false);
    }

    private static synchronized void loadKernels() {
        if (!loaded) {
            OpenMpSettings.boundSpinning(); // before libgomp loads with libt4j_cpu
            NativeLibraries.load("natives/" + NativeLibraries.PLATFORM, List.of("libt4j_cpu.so"));
            loaded = true;
        }
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public String gemmProvider() {
        return gemmProvider;
    }

    @Override
    public String kernelProvider() {
        int features = t4j_cpu_features();
        String precision = int8Linear ? ", int8 linear layers (" + ((features & T4J_CPU_INT8_VNNI()) != 0
                ? "AVX-512 VNNI" : "no VNNI") + ")"
                : bf16Compute ? ", bfloat16 products (" + ((features & T4J_CPU_BF16_DOT()) != 0 ? "AVX-512 BF16"
                : "no AVX-512 BF16: float32 products of bfloat16 values") + ")"
                : weightType == DType.BF16 ? ", bfloat16 weights" : "";
        return "libt4j_cpu " + ISA_NAMES[t4j_isa()] + ", " + t4j_num_threads() + " threads" + precision;
    }

    /** {@return whether linear layers run on int8 products ({@link #withInt8Weights()})} */
    public boolean int8Linear() {
        return int8Linear;
    }

    /** {@return whether linear layers of many rows run on bfloat16 products ({@link #withBf16Compute()})} */
    public boolean bf16Compute() {
        return bf16Compute;
    }

    @Override
    protected boolean int8Products() {
        return true;
    }

    /**
     * Keeps the int8 values (q itself, which must outlive the model) and packs them with their
     * scales: products with the returned tensor run on the int8 kernels, whatever this backend's
     * policy for float weights.
     */
    @Override
    public Tensor int8Matrix(Tensor q, Tensor scale, boolean perTensorActivations, TensorArena arena) {
        return int8.register(q, scale, perTensorActivations);
    }

    @Override
    public DType weightType() {
        return weightType;
    }

    /** With bfloat16 weights, the values rounded to nearest even, as torch's conversion rounds. */
    @Override
    public Tensor weightMatrix(Tensor hostValues, TensorArena arena) {
        Checks.tensor("hostValues", hostValues, 2, Device.CPU, DType.F32);
        return constant(weightType == DType.F32 ? hostValues : BFloat16.rounded(hostValues, arena));
    }

    /** As the interface does it, the result marked constant (packed once when a product uses it). */
    @Override
    public Tensor weightMatrix(StoredTensor stored, TensorArena arena) {
        return constant(super.weightMatrix(stored, arena));
    }

    /** {@return the kernels' thread count as a call from this thread sees it} */
    int threads() {
        return t4j_num_threads();
    }

    /** {@return how many int8 packings are kept now (for tests)} */
    int int8Packings() {
        return int8.size();
    }

    /** {@return how many weight matrices are packed now (for tests)} */
    int packedWeights() {
        return packed.size() + bf16Dot.size();
    }

    private Tensor constant(Tensor w) {
        constant.add(w);
        return w;
    }

    /** {@return whether matrix products go to OpenBLAS} */
    public boolean usesOpenBlas() {
        return useOpenBlas;
    }

    /**
     * Sets the threads of the kernels, matrix products included, for every CPU backend of the
     * process and every thread that calls them (each kernel call applies it to its calling
     * thread, since OpenMP keeps the count per thread).
     *
     * @param n the thread count, at least 1
     * @throws IllegalArgumentException when n is below 1
     */
    public void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        check(t4j_set_num_threads(n), "set_num_threads");
    }

    /**
     * Limits the instruction set ("avx512", "avx2", "scalar") for every CPU backend; null restores the best.
     *
     * @param isa the instruction set to use at most, or null for the best the CPU has
     * @return the instruction set the kernels now use (lower than asked when the CPU lacks it)
     * @throws IllegalArgumentException when isa is not one of the three names
     */
    public static String limitInstructionSet(String isa) {
        loadKernels();
        int code = isa == null ? -1 : List.of(ISA_NAMES).indexOf(isa);
        if (isa != null && code < 0) {
            throw new IllegalArgumentException("unknown instruction set " + isa + ", expected one of avx512, avx2, scalar");
        }
        return ISA_NAMES[t4j_set_isa(code)];
    }

    @Override
    protected void matmulImpl(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, long m, long n, long k,
                              float alpha, float beta) {
        long lda = rowStride(a), ldb = rowStride(b), ldc = rowStride(c);
        boolean fits = Math.max(Math.max(m, n), Math.max(k, Math.max(lda, Math.max(ldb, ldc)))) < Integer.MAX_VALUE;
        MemorySegment blas = fits ? blasSgemm : MemorySegment.NULL; // the built-in GEMM takes 64-bit sizes
        check(t4j_sgemm_with(blas, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, host(a), lda, host(b),
                ldb, beta, host(c), ldc), "sgemm");
    }

    /**
     * Linear layers of medium batch size run on weights packed once for libt4j_cpu's GEMM, bias and
     * activation applied as its tiles finish: BLAS would pack every weight matrix again on every call.
     */
    @Override
    protected void linearImpl(Tensor x, Tensor w, Tensor bias, Activation act, Tensor y) {
        long m = x.dim(0), n = w.dim(0), k = w.dim(1);
        boolean fixed = constant.contains(w);
        Int8Weights.Packed q = int8.of(w, int8Linear && fixed);
        if (q != null) {
            Int8Weights.linear(q, x, bias, act.code(), y);
            return;
        }
        if (bf16Compute && fixed && w.dtype() == DType.BF16 && m >= BF16_DOT_MIN_ROWS) {
            MemorySegment p = bf16Dot.computeIfAbsent(w, CpuBackend::packBf16Dot);
            check(t4j_linear_bf16dot(m, n, k, host(x), rowStride(x), p, seg(bias), act.code(), host(y),
                    rowStride(y)), "linear_bf16dot");
            return;
        }
        if (w.dtype() == DType.BF16 && (m <= STREAMED_BF16_ROWS || !w.isContiguous() || !fixed)) {
            check(t4j_linear_bf16(m, n, k, host(x), rowStride(x), host(w), rowStride(w), seg(bias), act.code(),
                    host(y), rowStride(y)), "linear_bf16");
            return;
        }
        if (fixed && (w.dtype() == DType.BF16 || m > SMALL_ROWS && m <= PACKED_MAX_ROWS && w.isContiguous())) {
            MemorySegment p = packed.computeIfAbsent(w, CpuBackend::pack);
            check(t4j_linear_packed(m, n, k, host(x), rowStride(x), p, seg(bias), act.code(), host(y),
                    rowStride(y)), "linear_packed");
            return;
        }
        long ldx = rowStride(x), ldw = rowStride(w), ldy = rowStride(y);
        boolean fits = Math.max(Math.max(m, n), Math.max(k, Math.max(ldx, Math.max(ldw, ldy)))) < Integer.MAX_VALUE;
        // bias written into y before the product and the activation applied per thread block: no extra passes
        check(t4j_linear_with(fits ? blasSgemm : MemorySegment.NULL, m, n, k, host(x), ldx, host(w), ldw,
                seg(bias), act.code(), host(y), ldy), "linear");
    }

    private static MemorySegment pack(Tensor w, Arena arena) {
        long bytes = t4j_packed_bytes(w.dim(0), w.dim(1));
        MemorySegment dst = arena.allocate(bytes, 64);
        if (w.dtype() == DType.BF16) {
            check(t4j_pack_weights_bf16(host(w), w.dim(0), w.dim(1), w.dim(1), dst), "pack_weights_bf16");
        } else {
            check(t4j_pack_weights(host(w), w.dim(0), w.dim(1), w.dim(1), dst), "pack_weights");
        }
        return dst;
    }

    private static MemorySegment packBf16Dot(Tensor w, Arena arena) {
        long bytes = t4j_packed_bf16dot_bytes(w.dim(0), w.dim(1));
        if (bytes < 0) {
            throw new IllegalArgumentException("bfloat16 weights " + w.shape() + " cannot be packed (status " + bytes
                    + ")");
        }
        MemorySegment dst = arena.allocate(bytes, 64);
        check(t4j_pack_weights_bf16dot(host(w), w.dim(0), w.dim(1), rowStride(w), dst), "pack_weights_bf16dot");
        return dst;
    }

    /** Row stride for BLAS: a single row may carry any stride, BLAS wants at least the row length. */
    private static long rowStride(Tensor t) {
        return t.dim(0) <= 1 ? Math.max(t.dim(1), 1) : t.stride(0);
    }

    @Override
    protected void normImpl(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, Tensor beta, float eps, Tensor y,
                            long rows, long cols, boolean rms) {
        MemorySegment r = seg(residual), s = seg(sumOut);
        int status = rms
                ? t4j_rms_norm(host(x), r, s, host(y), host(gamma), rows, cols, eps)
                : t4j_layer_norm(host(x), r, s, host(y), host(gamma), seg(beta), rows, cols, eps);
        check(status, rms ? "rms_norm" : "layer_norm");
    }

    @Override
    protected void softmaxImpl(Tensor x, SoftmaxOptions o, Tensor y, SoftmaxShape sh) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = NativeParams.softmax(arena, o, sh, seg(o.mask()), ints(arena, o.keyStart()),
                    ints(arena, o.keyLength()));
            check(t4j_softmax(p, host(x), host(y)), "softmax");
        }
    }

    @Override
    protected void attentionImpl(Tensor q, Tensor k, Tensor v, AttentionOptions o, Tensor out, AttentionShape sh) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = NativeParams.attention(arena, q, k, v, out, o, sh, seg(o.bias()),
                    ints(arena, o.keyStart()), ints(arena, o.keyLength()));
            check(t4j_attention(p, host(q), host(k), host(v), host(out)), "attention");
        }
    }

    @Override
    protected void biasActivationImpl(Activation act, Tensor x, Tensor bias, Tensor y, long rows, long cols) {
        check(t4j_bias_act(act.code(), host(x), seg(bias), host(y), rows, cols), "bias_act");
    }

    @Override
    protected void gatedActivationImpl(Activation act, Tensor gate, Tensor up, Tensor y) {
        check(t4j_gated_act(act.code(), host(gate), rowStride(gate), host(up), rowStride(up), host(y),
                rowStride(y), gate.dim(0), gate.dim(1)), "gated_act");
    }

    @Override
    protected void ropeImpl(Tensor x, long[] positions, Tensor invFreq) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pos = arena.allocateFrom(ValueLayout.JAVA_LONG, positions);
            check(t4j_rope(host(x), x.dim(0), x.dim(1), x.dim(2), x.dim(3), x.stride(0), x.stride(1), x.stride(2),
                    pos, 2 * invFreq.dim(0), host(invFreq)), "rope");
        }
    }

    @Override
    protected void embeddingImpl(Tensor table, Tensor ids, Tensor out, long n) {
        if (table.dtype() == DType.BF16) {
            check(t4j_embedding_bf16(host(table), table.dim(0), table.dim(1), host(ids), n, host(out)),
                    "embedding_bf16");
            return;
        }
        check(t4j_embedding(host(table), table.dim(0), table.dim(1), host(ids), n, host(out)), "embedding");
    }

    @Override
    protected void addImpl(Tensor a, Tensor b, Tensor y, long n) {
        check(t4j_add(host(a), host(b), host(y), n), "add");
    }

    @Override
    protected void copyImpl(Tensor src, Tensor dst) {
        long bytes = host(src).byteSize();
        if (bytes < PARALLEL_COPY_BYTES) { // a KV-cache row: a parallel region would cost more than the copy
            MemorySegment.copy(host(src), 0, host(dst), 0, bytes);
            return;
        }
        check(t4j_copy(host(dst), host(src), bytes), "copy");
    }

    private static MemorySegment seg(Tensor t) {
        return t == null ? MemorySegment.NULL : host(t);
    }

    private static MemorySegment ints(Arena arena, int[] values) {
        return values == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_INT, values);
    }

    /** Native status codes after Java-side checks mean a bug or exhausted memory, never bad input. */
    static void check(int status, String op) {
        if (status == T4J_ERR_ALLOC()) {
            throw new OutOfMemoryError("t4j_" + op + ": native scratch memory could not be allocated");
        }
        if (status != T4J_OK()) {
            throw new IllegalStateException("t4j_" + op + " rejected arguments that passed the Java checks (status "
                    + status + ")");
        }
    }

    @Override
    public void close() {
        // the native library stays loaded for the life of the class loader
    }
}
