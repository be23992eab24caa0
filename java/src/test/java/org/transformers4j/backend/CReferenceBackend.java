package org.transformers4j.backend;

import static org.transformers4j.tensor.internal.TensorMemory.host;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.Tensor;

/**
 * The C references (native/ref/t4j_ref.c, which the C kernel tests take as their truth) as a
 * backend, so that the op-case test checks them against the one oracle, ReferenceBackend. Loaded
 * from the native build's ref/libt4j_ref.so (built with the kernel tests). The ops the C references
 * do not have (they only move or scale values) throw.
 */
final class CReferenceBackend extends ValidatingBackend {
    static final Path LIBRARY = Path.of("target/native/ref/libt4j_ref.so").toAbsolutePath();
    /** Ops without a C reference: nothing to check. */
    static final Set<Op> MISSING = Collections.unmodifiableSet(EnumSet.of(Op.SCALE, Op.EMBEDDING, Op.COPY));

    private final Arena arena = Arena.ofShared();
    private final MethodHandle layerNorm;
    private final MethodHandle rmsNorm;
    private final MethodHandle softmax;
    private final MethodHandle attention;
    private final MethodHandle add;
    private final MethodHandle biasAct;
    private final MethodHandle gatedAct;
    private final MethodHandle rope;
    private final MethodHandle sgemm;

    static boolean available() {
        return Files.isRegularFile(LIBRARY);
    }

    CReferenceBackend() {
        SymbolLookup lib = SymbolLookup.libraryLookup(LIBRARY, arena);
        layerNorm = handle(lib, "t4j_ref_layer_norm", ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG,
                JAVA_LONG, JAVA_FLOAT);
        rmsNorm = handle(lib, "t4j_ref_rms_norm", ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG,
                JAVA_FLOAT);
        softmax = handle(lib, "t4j_ref_softmax", ADDRESS, ADDRESS, ADDRESS);
        attention = handle(lib, "t4j_ref_attention", ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        add = handle(lib, "t4j_ref_add", ADDRESS, ADDRESS, ADDRESS, JAVA_LONG);
        biasAct = handle(lib, "t4j_ref_bias_act", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG);
        gatedAct = handle(lib, "t4j_ref_gated_act", JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS,
                JAVA_LONG, JAVA_LONG, JAVA_LONG);
        rope = handle(lib, "t4j_ref_rope", ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        sgemm = handle(lib, "t4j_ref_sgemm", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_FLOAT, ADDRESS,
                JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS, JAVA_LONG);
    }

    private static MethodHandle handle(SymbolLookup lib, String name, MemoryLayout... args) {
        return Linker.nativeLinker().downcallHandle(lib.findOrThrow(name), FunctionDescriptor.ofVoid(args));
    }

    private static void call(MethodHandle h, Object... args) {
        try {
            h.invokeWithArguments(args);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static MemorySegment seg(Tensor t) {
        return t == null ? MemorySegment.NULL : host(t);
    }

    private static MemorySegment ints(Arena a, int[] values) {
        return values == null ? MemorySegment.NULL : a.allocateFrom(ValueLayout.JAVA_INT, values);
    }

    private static long rowStride(Tensor t) {
        return t.stride(0);
    }

    @Override
    public String name() {
        return "c-reference";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public String gemmProvider() {
        return "t4j_ref_sgemm";
    }

    @Override
    public String kernelProvider() {
        return "native/ref";
    }

    @Override
    protected void matmulImpl(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, long m, long n, long k,
                              float alpha, float beta) {
        call(sgemm, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, host(a), rowStride(a), host(b),
                rowStride(b), beta, host(c), rowStride(c));
    }

    @Override
    protected void normImpl(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, Tensor beta, float eps, Tensor y,
                            long rows, long cols, boolean rms) {
        if (rms) {
            call(rmsNorm, host(x), seg(residual), seg(sumOut), host(y), host(gamma), rows, cols, eps);
        } else {
            call(layerNorm, host(x), seg(residual), seg(sumOut), host(y), host(gamma), seg(beta), rows,
                    cols, eps);
        }
    }

    @Override
    protected void softmaxImpl(Tensor x, SoftmaxOptions o, Tensor y, SoftmaxShape sh) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = NativeParams.softmax(a, o, sh, seg(o.mask()), ints(a, o.keyStart()),
                    ints(a, o.keyLength()));
            call(softmax, p, host(x), host(y));
        }
    }

    @Override
    protected void attentionImpl(Tensor q, Tensor k, Tensor v, AttentionOptions o, Tensor out, AttentionShape sh) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = NativeParams.attention(a, q, k, v, out, o, sh, seg(o.bias()), ints(a, o.keyStart()),
                    ints(a, o.keyLength()));
            call(attention, p, host(q), host(k), host(v), host(out));
        }
    }

    @Override
    protected void biasActivationImpl(Activation act, Tensor x, Tensor bias, Tensor y, long rows, long cols) {
        call(biasAct, act.code(), host(x), seg(bias), host(y), rows, cols);
    }

    @Override
    protected void gatedActivationImpl(Activation act, Tensor gate, Tensor up, Tensor y) {
        call(gatedAct, act.code(), host(gate), rowStride(gate), host(up), rowStride(up), host(y),
                rowStride(y), gate.dim(0), gate.dim(1));
    }

    @Override
    protected void ropeImpl(Tensor x, long[] positions, Tensor invFreq) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pos = a.allocateFrom(ValueLayout.JAVA_LONG, positions);
            call(rope, host(x), x.dim(0), x.dim(1), x.dim(2), x.dim(3), x.stride(0), x.stride(1), x.stride(2), pos,
                    2 * invFreq.dim(0), host(invFreq));
        }
    }

    @Override
    protected void addImpl(Tensor a, Tensor b, Tensor y, long n) {
        call(add, host(a), host(b), host(y), n);
    }

    @Override
    protected void scaleImpl(Tensor x, float alpha, Tensor y, long n) {
        throw new UnsupportedOperationException("native/ref has no scale");
    }

    @Override
    protected void embeddingImpl(Tensor table, Tensor ids, Tensor out, long n) {
        throw new UnsupportedOperationException("native/ref has no embedding");
    }

    @Override
    protected void copyImpl(Tensor src, Tensor dst) {
        throw new UnsupportedOperationException("native/ref has no copy");
    }

    @Override
    protected void stridedCopyImpl(Tensor src, Tensor dst) {
        throw new UnsupportedOperationException("native/ref has no copy");
    }

    @Override
    public void close() {
        arena.close();
    }
}
