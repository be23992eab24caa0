package org.transformers4j.backend;

import java.lang.foreign.ValueLayout;
import java.util.Objects;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * Checks every argument of every {@link Backend} operation, then hands the
 * call to the implementation. Implementations receive only valid arguments.
 */
public abstract class ValidatingBackend implements Backend {

    /** For a subclass, which implements the operations behind the checks. */
    protected ValidatingBackend() {
    }

    /**
     * The element type of activations and weights: F32 here; a half-precision GPU backend says
     * F16 or BF16. Additive biases and masks are F32 whatever it is.
     *
     * @return the dtype every activation argument is checked against
     */
    protected DType floatType() {
        return DType.F32;
    }

    /** The float type, unless a subclass keeps weight matrices in another. */
    @Override
    public DType weightType() {
        return floatType();
    }

    /**
     * Whether linear layers take int8 weight matrices this backend made ({@link #int8Matrix}); the
     * implementation checks that it made them.
     *
     * @return true when {@link #linear} accepts I8 weights
     */
    protected boolean int8Products() {
        return false;
    }

    /** A weight matrix may be in the weight type or the float type (one computed at run time). */
    private DType matrixType(Tensor w) {
        return w != null && w.dtype() == weightType() ? weightType() : floatType();
    }

    @Override
    public final void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta) {
        Checks.tensor("a", a, 2, device(), floatType());
        Checks.tensor("b", b, 2, device(), floatType());
        Checks.tensor("c", c, 2, device(), floatType());
        long m = transA ? a.dim(1) : a.dim(0), k = transA ? a.dim(0) : a.dim(1);
        long kb = transB ? b.dim(1) : b.dim(0), n = transB ? b.dim(0) : b.dim(1);
        Checks.dim("inner dimension of b" + (transB ? " (transposed)" : ""), kb, k);
        Checks.dim("rows of c", c.dim(0), m);
        Checks.dim("columns of c", c.dim(1), n);
        Checks.finite("alpha", alpha);
        Checks.finite("beta", beta);
        Checks.disjoint("c", c, "a", a);
        Checks.disjoint("c", c, "b", b);
        if (m == 0 || n == 0) {
            return;
        }
        matmulImpl(a, transA, b, transB, c, m, n, k, alpha, beta);
    }

    @Override
    public final void linear(Tensor x, Tensor w, Tensor bias, Activation act, Tensor y) {
        Objects.requireNonNull(act, "act");
        Checks.tensor("x", x, 2, device(), floatType());
        Checks.tensor("w", w, 2, device(), w != null && w.dtype() == DType.I8 && int8Products() ? DType.I8
                : matrixType(w));
        Checks.tensor("y", y, 2, device(), floatType());
        Checks.dim("input features of w", w.dim(1), x.dim(1));
        Checks.shape("y", y, x.dim(0), w.dim(0));
        Checks.contiguous("y", y);
        if (bias != null) {
            Checks.tensor("bias", bias, 1, device(), floatType());
            Checks.shape("bias", bias, w.dim(0));
        }
        Checks.disjoint("y", y, "x", x);
        Checks.disjoint("y", y, "w", w);
        if (bias != null) {
            Checks.disjoint("y", y, "bias", bias);
        }
        if (y.dim(0) == 0 || y.dim(1) == 0) {
            return;
        }
        if (w.dim(1) == 0) {
            throw new IllegalArgumentException("w has shape " + w.shape() + ": a linear layer needs at least one input"
                    + " feature");
        }
        linearImpl(x, w, bias, act, y);
    }

    /**
     * y = act(x w^T + bias) on checked arguments: the product, then the epilogue as its own pass.
     *
     * @param x the input, [N, in]
     * @param w the weight, [out, in]
     * @param bias [out], or null
     * @param act applied after the bias
     * @param y the output, [N, out]
     */
    protected void linearImpl(Tensor x, Tensor w, Tensor bias, Activation act, Tensor y) {
        matmulImpl(x, false, w, true, y, x.dim(0), w.dim(0), x.dim(1), 1.0f, 0.0f);
        if (bias != null || act != Activation.NONE) {
            biasActivationImpl(act, y, bias, y, y.dim(0), y.dim(1));
        }
    }

    @Override
    public final void layerNorm(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, Tensor beta, float eps,
                                Tensor y) {
        long cols = checkNorm(x, residual, sumOut, gamma, y, eps);
        if (beta != null) {
            Checks.tensor("beta", beta, 1, device(), floatType());
            Checks.shape("beta", beta, cols);
            Checks.disjoint("y", y, "beta", beta);
        }
        normImpl(x, residual, sumOut, gamma, beta, eps, y, x.shape().elements() / cols, cols, false);
    }

    @Override
    public final void rmsNorm(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, float eps, Tensor y) {
        long cols = checkNorm(x, residual, sumOut, gamma, y, eps);
        normImpl(x, residual, sumOut, gamma, null, eps, y, x.shape().elements() / cols, cols, true);
    }

    private long checkNorm(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, Tensor y, float eps) {
        Checks.tensor("x", x, -1, device(), floatType());
        if (x.rank() < 1 || x.dim(-1) < 1) {
            throw new IllegalArgumentException("x has shape " + x.shape() + ", needs a last dimension of at least 1");
        }
        Checks.contiguous("x", x);
        long cols = x.dim(-1);
        Checks.tensor("gamma", gamma, 1, device(), floatType());
        Checks.shape("gamma", gamma, cols);
        sameShapeContiguous("y", y, x);
        if (residual != null) {
            sameShapeContiguous("residual", residual, x);
        }
        if (sumOut != null) {
            sameShapeContiguous("sumOut", sumOut, x);
        }
        if (!(eps >= 0.0f) || !Float.isFinite(eps)) {
            throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
        }
        for (Tensor written : new Tensor[] {y, sumOut}) {
            if (written != null) {
                String name = written == y ? "y" : "sumOut";
                Checks.sameOrDisjoint(name, written, "x", x);
                Checks.sameOrDisjoint(name, written, "residual", residual);
                Checks.disjoint(name, written, "gamma", gamma);
            }
        }
        if (sumOut != null) {
            Checks.sameOrDisjoint("y", y, "sumOut", sumOut);
        }
        return cols;
    }

    private void sameShapeContiguous(String name, Tensor t, Tensor like) {
        Checks.tensor(name, t, like.rank(), device(), like.dtype());
        Checks.shape(name, t, like.shape().toArray());
        Checks.contiguous(name, t);
    }

    @Override
    public final void softmax(Tensor x, SoftmaxOptions o, Tensor y) {
        Objects.requireNonNull(o, "options");
        Checks.tensor("x", x, 4, device(), floatType());
        Checks.contiguous("x", x);
        sameShapeContiguous("y", y, x);
        long b = x.dim(0), h = x.dim(1), s = x.dim(2), t = x.dim(3);
        if (t < 1) {
            throw new IllegalArgumentException("x has shape " + x.shape() + ", the softmax axis is empty");
        }
        if (o.causal() && s > t) {
            throw new IllegalArgumentException("causal softmax needs rows <= columns, x has shape " + x.shape());
        }
        Checks.finite("scale", o.scale());
        Checks.lengths("keyStart", o.keyStart(), b, t);
        Checks.lengths("keyLength", o.keyLength(), b, t);
        long[] ms = {0, 0, 0};
        if (o.mask() != null) {
            Checks.tensor("mask", o.mask(), 4, device());
            ms = Checks.broadcastStrides("mask", o.mask(), new long[] {b, h, s, t}, true);
            Checks.disjoint("y", y, "mask", o.mask());
        }
        Checks.sameOrDisjoint("y", y, "x", x);
        softmaxImpl(x, o, y, new SoftmaxShape(b, h, s, t, ms[0], ms[1], ms[2]));
    }

    @Override
    public final void attention(Tensor q, Tensor k, Tensor v, AttentionOptions o, Tensor out) {
        Objects.requireNonNull(o, "options");
        Checks.tensor("q", q, 4, device(), floatType());
        Checks.tensor("k", k, 4, device(), floatType());
        Checks.tensor("v", v, 4, device(), floatType());
        Checks.tensor("out", out, 4, device(), floatType());
        long b = q.dim(0), s = q.dim(1), h = q.dim(2), d = q.dim(3), t = k.dim(1), kh = k.dim(2);
        Checks.dim("batch of k", k.dim(0), b);
        Checks.dim("head dim of k", k.dim(3), d);
        Checks.shape("v", v, k.shape().toArray());
        Checks.shape("out", out, q.shape().toArray());
        if (d < 1 || h < 1 || kh < 1 || h % kh != 0) {
            throw new IllegalArgumentException("heads " + h + " must be a positive multiple of key/value heads "
                    + kh + ", head dim " + d + " must be >= 1");
        }
        if (t < 1) {
            throw new IllegalArgumentException("keys must not be empty");
        }
        if (s > t && (o.causal() || o.window() > 0)) {
            throw new IllegalArgumentException("with causal or windowed attention, queries (" + s
                    + ") must not outnumber keys (" + t + ")");
        }
        if (o.window() < 0) {
            throw new IllegalArgumentException("window must be >= 0, got " + o.window());
        }
        Checks.finite("scale", o.scale());
        Checks.lengths("keyStart", o.keyStart(), b, t);
        Checks.lengths("keyLength", o.keyLength(), b, t);
        if (o.bias() != null) {
            Checks.disjoint("out", out, "bias", o.bias());
        }
        Checks.disjoint("out", out, "q", q);
        Checks.disjoint("out", out, "k", k);
        Checks.disjoint("out", out, "v", v);
        long[] bs = {0, 0, 0};
        if (o.bias() != null) {
            Checks.tensor("bias", o.bias(), 4, device());
            bs = Checks.broadcastStrides("bias", o.bias(), new long[] {b, h, s, t}, true);
        }
        if (b == 0 || s == 0) {
            return;
        }
        attentionImpl(q, k, v, o, out, new AttentionShape(b, s, t, h, kh, d, bs[0], bs[1], bs[2]));
    }

    @Override
    public final void add(Tensor a, Tensor b, Tensor y) {
        Checks.tensor("a", a, -1, device(), floatType());
        Checks.contiguous("a", a);
        sameShapeContiguous("b", b, a);
        sameShapeContiguous("y", y, a);
        Checks.sameOrDisjoint("y", y, "a", a);
        Checks.sameOrDisjoint("y", y, "b", b);
        addImpl(a, b, y, a.shape().elements());
    }

    /**
     * y = a + b on checked contiguous tensors of one shape.
     *
     * @param a the first term
     * @param b the second term
     * @param y the sum; may be a or b
     * @param n the element count
     */
    protected abstract void addImpl(Tensor a, Tensor b, Tensor y, long n);

    @Override
    public final void scale(Tensor x, float alpha, Tensor y) {
        Checks.tensor("x", x, -1, device(), floatType());
        Checks.contiguous("x", x);
        sameShapeContiguous("y", y, x);
        Checks.finite("alpha", alpha);
        Checks.sameOrDisjoint("y", y, "x", x);
        scaleImpl(x, alpha, y, x.shape().elements());
    }

    /**
     * y = alpha x on checked contiguous tensors. Host memory: a plain loop (embedding scales, once per
     * pass; a device backend overrides it).
     *
     * @param x the input
     * @param alpha the finite factor
     * @param y the output; may be x
     * @param n the element count
     */
    protected void scaleImpl(Tensor x, float alpha, Tensor y, long n) {
        var src = TensorMemory.host(x);
        var dst = TensorMemory.host(y);
        for (long i = 0; i < n; i++) {
            dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, alpha * src.getAtIndex(ValueLayout.JAVA_FLOAT, i));
        }
    }

    @Override
    public final void activation(Activation act, Tensor x, Tensor y) {
        Objects.requireNonNull(act, "act");
        Checks.tensor("x", x, -1, device(), floatType());
        Checks.contiguous("x", x);
        sameShapeContiguous("y", y, x);
        Checks.sameOrDisjoint("y", y, "x", x);
        biasActivationImpl(act, x, null, y, 1, x.shape().elements());
    }

    @Override
    public final void biasActivation(Activation act, Tensor x, Tensor bias, Tensor y) {
        Objects.requireNonNull(act, "act");
        Checks.tensor("x", x, 2, device(), floatType());
        Checks.contiguous("x", x);
        sameShapeContiguous("y", y, x);
        if (bias != null) {
            Checks.tensor("bias", bias, 1, device(), floatType());
            Checks.shape("bias", bias, x.dim(1));
            Checks.disjoint("y", y, "bias", bias);
        }
        Checks.sameOrDisjoint("y", y, "x", x);
        biasActivationImpl(act, x, bias, y, x.dim(0), x.dim(1));
    }

    @Override
    public final void gatedActivation(Activation act, Tensor gate, Tensor up, Tensor y) {
        Objects.requireNonNull(act, "act");
        Checks.tensor("gate", gate, 2, device(), floatType());
        Checks.tensor("up", up, 2, device(), floatType());
        Checks.tensor("y", y, 2, device(), floatType());
        Checks.shape("up", up, gate.shape().toArray());
        Checks.shape("y", y, gate.shape().toArray());
        Checks.sameOrDisjoint("y", y, "gate", gate);
        Checks.sameOrDisjoint("y", y, "up", up);
        gatedActivationImpl(act, gate, up, y);
    }

    @Override
    public final void rope(Tensor x, long[] positions, Tensor invFreq) {
        Checks.tensor("x", x, 4, device(), floatType());
        Checks.tensor("invFreq", invFreq, 1, device(), DType.F32);
        Checks.contiguous("invFreq", invFreq);
        long rotaryDim = 2 * invFreq.dim(0);
        long rows = x.dim(0) * x.dim(1);
        if (positions == null || positions.length != rows) {
            throw new IllegalArgumentException("positions must have B * S = " + rows + " entries, has "
                    + (positions == null ? "none" : positions.length));
        }
        if (rotaryDim < 2 || rotaryDim > x.dim(3)) {
            throw new IllegalArgumentException("invFreq must have 1 to D / 2 = " + x.dim(3) / 2 + " entries, has "
                    + invFreq.dim(0));
        }
        Checks.disjoint("x", x, "invFreq", invFreq);
        ropeImpl(x, positions, invFreq);
    }

    @Override
    public final void embedding(Tensor table, Tensor ids, Tensor out) {
        Checks.tensor("table", table, 2, device(), matrixType(table));
        Checks.contiguous("table", table);
        Checks.tensor("ids", ids, -1, device(), DType.I64);
        Checks.contiguous("ids", ids);
        long n = ids.shape().elements(), vocab = table.dim(0);
        if (table.dim(0) < 1 || table.dim(1) < 1) {
            throw new IllegalArgumentException("table has shape " + table.shape() + ": an embedding table needs at"
                    + " least one row and one column");
        }
        Checks.tensor("out", out, 2, device(), floatType());
        Checks.shape("out", out, n, table.dim(1));
        Checks.contiguous("out", out);
        Checks.disjoint("out", out, "table", table);
        Checks.disjoint("out", out, "ids", ids);
        long[] values = idValues(ids);
        for (int i = 0; i < values.length; i++) {
            long id = values[i];
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("ids[" + i + "] = " + id + " is outside the vocabulary [0, "
                        + vocab + ")");
            }
        }
        embeddingImpl(table, ids, out, n);
    }

    /**
     * The ids, read for checking: here from host memory (a device backend copies them first).
     *
     * @param ids a contiguous int64 tensor on this device
     * @return its values
     */
    protected long[] idValues(Tensor ids) {
        return TensorMemory.host(ids).toArray(ValueLayout.JAVA_LONG);
    }

    @Override
    public final void copy(Tensor src, Tensor dst) {
        Checks.tensor("src", src, -1, device(), src == null ? DType.F32 : src.dtype());
        Checks.tensor("dst", dst, src.rank(), device(), src.dtype());
        Checks.shape("dst", dst, src.shape().toArray());
        Checks.disjoint("dst", dst, "src", src);
        if (src.isContiguous() && dst.isContiguous()) {
            copyImpl(src, dst);
        } else {
            stridedCopyImpl(src, dst);
        }
    }

    /**
     * Copies between strided views of one shape: here host memory, run by run (a device backend overrides it).
     *
     * @param src the checked view read
     * @param dst the checked view written, of src's shape and dtype, not overlapping it
     */
    protected void stridedCopyImpl(Tensor src, Tensor dst) {
        StridedCopy.host(src, dst);
    }

    /**
     * Copies between contiguous tensors of one shape and dtype.
     *
     * @param src the checked tensor read
     * @param dst the checked tensor written, not overlapping src
     */
    protected abstract void copyImpl(Tensor src, Tensor dst);

    /**
     * c = alpha op(a) op(b) + beta c on checked arguments (see {@link Backend#matmul}).
     *
     * @param a the left matrix
     * @param transA whether op(a) is a's transpose
     * @param b the right matrix
     * @param transB whether op(b) is b's transpose
     * @param c the result, [M, N]
     * @param m M, the rows of op(a) and c
     * @param n N, the columns of op(b) and c
     * @param k K, the inner dimension
     * @param alpha multiplies the product
     * @param beta multiplies c's previous contents; 0 means c is not read
     */
    protected abstract void matmulImpl(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, long m, long n,
                                       long k, float alpha, float beta);

    /**
     * Layer or RMS norm of x + residual over rows of C on checked arguments (see {@link Backend#layerNorm}).
     *
     * @param x the input, [rows, C]
     * @param residual [rows, C], or null
     * @param sumOut receives x + residual, or null
     * @param gamma the scale, [C]
     * @param beta the shift, [C], or null (always null for RMS)
     * @param eps added to the variance or mean of squares
     * @param y the output, [rows, C]
     * @param rows the row count
     * @param cols C
     * @param rms true for RMS norm, false for layer norm
     */
    protected abstract void normImpl(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, Tensor beta, float eps,
                                     Tensor y, long rows, long cols, boolean rms);

    /**
     * Masked softmax on checked arguments (see {@link Backend#softmax}).
     *
     * @param x the scores, [B, H, S, T]
     * @param o the options
     * @param y the output, [B, H, S, T]
     * @param shape the checked sizes and mask strides
     */
    protected abstract void softmaxImpl(Tensor x, SoftmaxOptions o, Tensor y, SoftmaxShape shape);

    /**
     * Fused attention on checked arguments (see {@link Backend#attention}).
     *
     * @param q the queries, [B, S, H, D]
     * @param k the keys, [B, T, K, D]
     * @param v the values, [B, T, K, D]
     * @param o the options
     * @param out the output, [B, S, H, D]
     * @param shape the checked sizes and bias strides
     */
    protected abstract void attentionImpl(Tensor q, Tensor k, Tensor v, AttentionOptions o, Tensor out,
                                          AttentionShape shape);

    /**
     * y = act(x + bias) on checked contiguous arguments; a plain activation is one row with no bias.
     *
     * @param act the activation
     * @param x the input, [rows, cols]
     * @param bias [cols], or null
     * @param y the output, [rows, cols]; may be x
     * @param rows the row count
     * @param cols the row length
     */
    protected abstract void biasActivationImpl(Activation act, Tensor x, Tensor bias, Tensor y, long rows, long cols);

    /**
     * y = act(gate) * up on checked arguments.
     *
     * @param act the activation applied to gate
     * @param gate [rows, F]
     * @param up [rows, F]
     * @param y the output, [rows, F]
     */
    protected abstract void gatedActivationImpl(Activation act, Tensor gate, Tensor up, Tensor y);

    /**
     * Rotary embedding in place on checked arguments (see {@link Backend#rope}).
     *
     * @param x [B, S, N, D], rotated in place
     * @param positions B * S positions
     * @param invFreq float32 [R], 2R &lt;= D
     */
    protected abstract void ropeImpl(Tensor x, long[] positions, Tensor invFreq);

    /**
     * Row gather on checked arguments, every id already in [0, V).
     *
     * @param table [V, C]
     * @param ids int64, n elements
     * @param out [n, C]
     * @param n the id count
     */
    protected abstract void embeddingImpl(Tensor table, Tensor ids, Tensor out, long n);
}
