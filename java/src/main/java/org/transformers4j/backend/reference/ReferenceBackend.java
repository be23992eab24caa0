package org.transformers4j.backend.reference;

import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.AttentionShape;
import org.transformers4j.backend.SoftmaxOptions;
import org.transformers4j.backend.SoftmaxShape;
import org.transformers4j.backend.ValidatingBackend;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * Plain Java versions of every operation, accumulating in double: slow and
 * obvious, the truth the native backends are tested against.
 */
public final class ReferenceBackend extends ValidatingBackend {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public String gemmProvider() {
        return "plain Java";
    }

    @Override
    public String kernelProvider() {
        return "plain Java";
    }

    @Override
    protected void matmulImpl(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, long m, long n, long k,
                              float alpha, float beta) {
        float[] av = a.toFloatArray(), bv = b.toFloatArray(), cv = c.toFloatArray();
        int lda = (int) a.dim(1), ldb = (int) b.dim(1);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    double x = transA ? av[p * lda + i] : av[i * lda + p];
                    double y = transB ? bv[j * ldb + p] : bv[p * ldb + j];
                    acc += x * y;
                }
                int o = (int) (i * n + j);
                cv[o] = (float) (alpha * acc + (beta == 0 ? 0 : (double) beta * cv[o]));
            }
        }
        c.copyFrom(cv);
    }

    @Override
    protected void normImpl(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, Tensor beta, float eps, Tensor y,
                            long rows, long cols, boolean rms) {
        float[] xv = x.toFloatArray(), g = gamma.toFloatArray();
        float[] r = residual == null ? null : residual.toFloatArray(), bt = beta == null ? null : beta.toFloatArray();
        float[] out = new float[xv.length], sum = new float[xv.length];
        int c = (int) cols;
        for (int i = 0; i < rows; i++) {
            double[] s = new double[c];
            double mean = 0, var = 0;
            for (int j = 0; j < c; j++) {
                s[j] = xv[i * c + j] + (r == null ? 0.0 : r[i * c + j]);
                sum[i * c + j] = (float) s[j];
                mean += s[j];
            }
            mean = rms ? 0 : mean / c;
            for (int j = 0; j < c; j++) {
                var += (s[j] - mean) * (s[j] - mean);
            }
            double rstd = 1.0 / Math.sqrt(var / c + eps);
            for (int j = 0; j < c; j++) {
                out[i * c + j] = (float) ((s[j] - mean) * rstd * g[j] + (bt == null ? 0 : bt[j]));
            }
        }
        if (sumOut != null) {
            sumOut.copyFrom(sum);
        }
        y.copyFrom(out);
    }

    @Override
    protected void softmaxImpl(Tensor x, SoftmaxOptions o, Tensor y, SoftmaxShape sh) {
        float[] xv = x.toFloatArray();
        int t = (int) sh.cols();
        float[] out = new float[xv.length];
        double[] row = new double[t];
        boolean[] vis = new boolean[t];
        for (int b = 0; b < sh.batch(); b++) {
            for (int h = 0; h < sh.heads(); h++) {
                for (int i = 0; i < sh.rows(); i++) {
                    int base = (int) (((b * sh.heads() + h) * sh.rows() + i) * t);
                    for (int j = 0; j < t; j++) {
                        double m = o.mask() == null ? 0 : maskAt(o.mask(), b, h, i, j);
                        row[j] = (double) o.scale() * xv[base + j] + m;
                        vis[j] = visible(o.keyStart(), o.keyLength(), b, i, j, sh.rows(), t, o.causal(), 0);
                    }
                    softmax(row, vis);
                    for (int j = 0; j < t; j++) {
                        out[base + j] = (float) row[j];
                    }
                }
            }
        }
        y.copyFrom(out);
    }

    @Override
    protected void attentionImpl(Tensor q, Tensor k, Tensor v, AttentionOptions o, Tensor out, AttentionShape sh) {
        int t = (int) sh.keys(), d = (int) sh.headDim(), group = (int) (sh.heads() / sh.kvHeads());
        float[] res = new float[(int) out.shape().elements()];
        double[] row = new double[t];
        boolean[] vis = new boolean[t];
        float[] qv = q.toFloatArray(), kv = k.toFloatArray(), vv = v.toFloatArray();
        int kh = (int) sh.kvHeads(), h = (int) sh.heads(), s = (int) sh.queries();
        for (int b = 0; b < sh.batch(); b++) {
            for (int hh = 0; hh < h; hh++) {
                int g = hh / group;
                for (int i = 0; i < s; i++) {
                    int qo = ((b * s + i) * h + hh) * d;
                    for (int j = 0; j < t; j++) {
                        int ko = ((b * t + j) * kh + g) * d;
                        double dot = 0;
                        for (int e = 0; e < d; e++) {
                            dot += (double) qv[qo + e] * kv[ko + e];
                        }
                        double bias = o.bias() == null ? 0 : maskAt(o.bias(), b, hh, i, j);
                        row[j] = o.scale() * dot + bias;
                        vis[j] = visible(o.keyStart(), o.keyLength(), b, i, j, s, t, o.causal(), o.window());
                    }
                    softmax(row, vis);
                    for (int e = 0; e < d; e++) {
                        double acc = 0;
                        for (int j = 0; j < t; j++) {
                            acc += row[j] * vv[((b * t + j) * kh + g) * d + e];
                        }
                        res[qo + e] = (float) acc;
                    }
                }
            }
        }
        out.copyFrom(res);
    }

    /** Element of a broadcastable [B|1, H|1, S|1, T] tensor. */
    private static float maskAt(Tensor m, long b, long h, long i, long j) {
        return m.getFloat(m.dim(0) == 1 ? 0 : b, m.dim(1) == 1 ? 0 : h, m.dim(2) == 1 ? 0 : i, j);
    }

    private static boolean visible(int[] start, int[] len, int b, int i, int j, long s, long t, boolean causal,
                                   int window) {
        long pos = t - s + i;
        if (start != null && j < start[b]) {
            return false;
        }
        if (len != null && j >= len[b]) {
            return false;
        }
        if (causal && j > pos) {
            return false;
        }
        return window <= 0 || pos - j < window;
    }

    private static void softmax(double[] row, boolean[] vis) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < row.length; j++) {
            if (vis[j]) {
                max = Math.max(max, row[j]);
            }
        }
        for (int j = 0; j < row.length; j++) {
            row[j] = vis[j] && max > Double.NEGATIVE_INFINITY ? Math.exp(row[j] - max) : 0;
            sum += row[j];
        }
        for (int j = 0; j < row.length; j++) {
            row[j] = sum > 0 ? row[j] / sum : 0;
        }
    }

    /** The activation in double precision. */
    public static double activate(Activation act, double x) {
        return switch (act) {
            case NONE -> x;
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case RELU -> Math.max(x, 0);
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    /** erf in double precision: its Taylor series for |x| < 3, a continued fraction for erfc beyond. */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 3) {
            double term = x, sum = x, x2 = x * x;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        double f = 0;
        for (int n = 80; n >= 1; n--) {
            f = n / 2.0 / (ax + f);
        }
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        return Math.signum(x) * (1 - erfc);
    }

    @Override
    protected void biasActivationImpl(Activation act, Tensor x, Tensor bias, Tensor y, long rows, long cols) {
        float[] xv = x.toFloatArray(), bv = bias == null ? null : bias.toFloatArray();
        float[] out = new float[xv.length];
        for (int i = 0; i < xv.length; i++) {
            out[i] = (float) activate(act, (double) xv[i] + (bv == null ? 0 : bv[(int) (i % cols)]));
        }
        y.copyFrom(out);
    }

    @Override
    protected void gatedActivationImpl(Activation act, Tensor gate, Tensor up, Tensor y) {
        float[] g = gate.toFloatArray(), u = up.toFloatArray(), out = new float[g.length];
        for (int i = 0; i < g.length; i++) {
            out[i] = (float) ((double) (float) activate(act, g[i]) * u[i]);
        }
        y.copyFrom(out);
    }

    @Override
    protected void ropeImpl(Tensor x, long[] positions, Tensor invFreq) {
        float[] v = x.toFloatArray(), inv = invFreq.toFloatArray();
        int heads = (int) x.dim(2), d = (int) x.dim(3), half = inv.length;
        for (int row = 0; row < positions.length; row++) {
            for (int h = 0; h < heads; h++) {
                int o = (row * heads + h) * d;
                for (int i = 0; i < half; i++) {
                    double f = (float) positions[row] * inv[i];
                    double a = v[o + i], c = v[o + i + half];
                    v[o + i] = (float) (a * Math.cos(f) - c * Math.sin(f));
                    v[o + i + half] = (float) (c * Math.cos(f) + a * Math.sin(f));
                }
            }
        }
        x.copyFrom(v);
    }

    @Override
    protected void embeddingImpl(Tensor table, Tensor ids, Tensor out, long n) {
        int c = (int) table.dim(1);
        float[] tv = table.toFloatArray(), res = new float[(int) (n * c)];
        long[] idx = new long[ids.rank()];
        for (int i = 0; i < n; i++) {
            long id = ids.getLong(idx);
            System.arraycopy(tv, (int) id * c, res, i * c, c);
            for (int dd = idx.length - 1; dd >= 0; dd--) {
                if (++idx[dd] < ids.dim(dd)) {
                    break;
                }
                idx[dd] = 0;
            }
        }
        out.copyFrom(res);
    }

    @Override
    protected void addImpl(Tensor a, Tensor b, Tensor y, long n) {
        float[] av = a.toFloatArray(), bv = b.toFloatArray();
        for (int i = 0; i < av.length; i++) {
            av[i] = (float) ((double) av[i] + bv[i]);
        }
        y.copyFrom(av);
    }

    @Override
    protected void copyImpl(Tensor src, Tensor dst) {
        TensorMemory.host(dst).copyFrom(TensorMemory.host(src));
    }

    @Override
    public void close() {
        // holds nothing
    }
}
