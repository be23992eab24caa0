package org.transformers4j.backend;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The op table: every operation of {@link Backend}, with its argument shapes and its semantics in
 * one formula. The Java reference ({@code ReferenceBackend}) is the oracle every backend is tested
 * against (docs/ops.md); decorators such as {@link ProfilingBackend} dispatch on this table, so
 * they need no code per op.
 */
public enum Op {
    /** A matrix product. */
    MATMUL("matmul", Family.GEMM, "a [M, K] ([K, M] transA), b [K, N] ([N, K] transB), c [M, N]",
            "c = alpha op(a) op(b) + beta c"),
    /** A linear layer in Hugging Face layout. */
    LINEAR("linear", Family.GEMM, "x [N, in], w [out, in], bias [out] or null, y [N, out]",
            "y = act(x w^T + bias)"),
    /** Layer norm of a sum. */
    LAYER_NORM("layerNorm", Family.NORM, "x, residual?, sumOut?, y [rows, C]; gamma, beta? [C]",
            "s = x + residual; y = (s - mean s) / sqrt(var s + eps) * gamma + beta"),
    /** RMS norm of a sum. */
    RMS_NORM("rmsNorm", Family.NORM, "x, residual?, sumOut?, y [rows, C]; gamma [C]",
            "s = x + residual; y = s / sqrt(mean s^2 + eps) * gamma"),
    /** Masked softmax over the last axis. */
    SOFTMAX("softmax", Family.ATTENTION, "x, y [B, H, S, T]; mask [B or 1, H or 1, S or 1, T]",
            "y = exp(v - max v) / sum exp(v - max v), v = scale x + mask over visible keys, 0 elsewhere"),
    /** Fused attention. */
    ATTENTION("attention", Family.ATTENTION,
            "q, out [B, S, H, D]; k, v [B, T, K, D], K divides H; bias [B or 1, H or 1, S or 1, T]",
            "out = softmax(scale q k^T + bias, visible keys) v, per head (head h reads k, v head h / (H / K))"),
    /** Elementwise sum. */
    ADD("add", Family.OTHER, "a, b, y of one shape", "y = a + b"),
    /** Elementwise scaling. */
    SCALE("scale", Family.OTHER, "x, y of one shape", "y = alpha x"),
    /** Elementwise activation. */
    ACTIVATION("activation", Family.OTHER, "x, y of one shape", "y = act(x)"),
    /** Bias and activation on rows. */
    BIAS_ACTIVATION("biasActivation", Family.OTHER, "x, y [rows, C]; bias [C] or null", "y = act(x + bias)"),
    /** Gated activation (SwiGLU, gated GELU). */
    GATED_ACTIVATION("gatedActivation", Family.OTHER, "gate, up, y [rows, F]", "y = act(gate) * up"),
    /** Rotary position embedding, in place. */
    ROPE("rope", Family.OTHER, "x [B, S, N, D]; positions [B * S]; invFreq [R], 2R <= D",
            "(x_i, x_{i+R}) = (x_i cos a - x_{i+R} sin a, x_{i+R} cos a + x_i sin a), "
                    + "a = positions[b S + s] invFreq[i], i < R"),
    /** Row gather. */
    EMBEDDING("embedding", Family.OTHER, "table [V, C]; ids int64, n elements; out [n, C]",
            "out[i, :] = table[ids[i], :]"),
    /** Copy between (strided) tensors. */
    COPY("copy", Family.OTHER, "src, dst of one shape and dtype, not overlapping", "dst = src");

    /** Where an op's time is counted in a profile. */
    public enum Family {
        /** Matrix products and linear layers. */
        GEMM,
        /** Attention and softmax. */
        ATTENTION,
        /** Layer and RMS norms. */
        NORM,
        /** Everything else. */
        OTHER
    }

    private static final Map<String, Op> BY_METHOD =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(Op::method, Function.identity()));

    private final String method;
    private final Family family;
    private final String shapes;
    private final String formula;

    Op(String method, Family family, String shapes, String formula) {
        this.method = method;
        this.family = family;
        this.shapes = shapes;
        this.formula = formula;
    }

    /** {@return the name of the {@link Backend} method, for example "layerNorm"} */
    public String method() {
        return method;
    }

    /** {@return the family the op's time is counted in} */
    public Family family() {
        return family;
    }

    /** {@return the arguments' shapes, in the dimension letters of the {@link Backend} methods} */
    public String shapes() {
        return shapes;
    }

    /** {@return what the op computes, in one formula} */
    public String formula() {
        return formula;
    }

    /**
     * {@return the op a {@link Backend} method runs, or null for a method that is not an op (name, arenas,
     * transfers)}
     *
     * @param m a method; one not declared by {@link Backend} gives null
     */
    public static Op of(Method m) {
        Op op = BY_METHOD.get(m.getName());
        return op != null && m.getDeclaringClass() == Backend.class ? op : null;
    }

    /**
     * {@return the op of a method name, or null}
     *
     * @param name a {@link Backend} method name, for example "layerNorm"
     */
    public static Op ofMethod(String name) {
        return BY_METHOD.get(name);
    }
}
