/* t4j_ref.c: scalar references, double accumulation (see t4j_ref.h). */
#include "t4j_ref.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void norm(const float *x, const float *r, float *sum_out, float *y, const float *gamma,
                 const float *beta, int64_t rows, int64_t cols, float eps, int rms) {
    for (int64_t i = 0; i < rows; i++) {
        const float *xr = x + i * cols;
        double mean = 0.0, var = 0.0;
        double *s = malloc((size_t)cols * sizeof(double));
        for (int64_t c = 0; c < cols; c++) s[c] = (double)xr[c] + (r ? (double)r[i * cols + c] : 0.0);
        for (int64_t c = 0; c < cols; c++) mean += s[c];
        mean = rms ? 0.0 : mean / (double)cols;
        for (int64_t c = 0; c < cols; c++) var += (s[c] - mean) * (s[c] - mean);
        double rstd = 1.0 / sqrt(var / (double)cols + (double)eps);
        for (int64_t c = 0; c < cols; c++) {
            if (sum_out) sum_out[i * cols + c] = (float)s[c];
            double o = (s[c] - mean) * rstd * gamma[c] + (beta ? beta[c] : 0.0);
            y[i * cols + c] = (float)o;
        }
        free(s);
    }
}

void t4j_ref_layer_norm(const float *x, const float *r, float *sum_out, float *y,
                        const float *gamma, const float *beta, int64_t rows, int64_t cols,
                        float eps) {
    norm(x, r, sum_out, y, gamma, beta, rows, cols, eps, 0);
}

void t4j_ref_rms_norm(const float *x, const float *r, float *sum_out, float *y,
                      const float *gamma, int64_t rows, int64_t cols, float eps) {
    norm(x, r, sum_out, y, gamma, NULL, rows, cols, eps, 1);
}

/* Is key j visible to query i (of S, aligned to the last of T keys) in batch b? */
static int visible(const int32_t *key_start, const int32_t *key_len, int64_t b, int64_t i,
                   int64_t j, int64_t s, int64_t t, int causal, int64_t window) {
    int64_t pos = t - s + i;
    if (key_start && j < key_start[b]) return 0;
    if (key_len && j >= key_len[b]) return 0;
    if (causal && j > pos) return 0;
    if (window > 0 && pos - j >= window) return 0;
    return 1;
}

/* Softmax of row[0..n) over visible entries (vis[j] != 0); all invisible gives zeros. */
static void softmax_vec(double *row, const char *vis, int64_t n) {
    double mx = -INFINITY, sum = 0.0;
    for (int64_t j = 0; j < n; j++)
        if (vis[j] && row[j] > mx) mx = row[j];
    for (int64_t j = 0; j < n; j++) {
        row[j] = (vis[j] && mx > -INFINITY) ? exp(row[j] - mx) : 0.0;
        sum += row[j];
    }
    for (int64_t j = 0; j < n; j++) row[j] = sum > 0.0 ? row[j] / sum : 0.0;
}

void t4j_ref_softmax(const t4j_softmax_params *p, const float *x, float *y) {
    int64_t n = p->cols;
    double *row = malloc((size_t)n * sizeof(double));
    char *vis = malloc((size_t)n);
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads; h++)
            for (int64_t i = 0; i < p->rows; i++) {
                int64_t o = ((b * p->heads + h) * p->rows + i) * n;
                for (int64_t j = 0; j < n; j++) {
                    double m = p->mask ? p->mask[b * p->mask_stride_b + h * p->mask_stride_h +
                                                 i * p->mask_stride_s + j]
                                       : 0.0;
                    row[j] = (double)p->scale * x[o + j] + m;
                    vis[j] = (char)visible(p->key_start, p->key_len, b, i, j, p->rows, n, p->causal, 0);
                }
                softmax_vec(row, vis, n);
                for (int64_t j = 0; j < n; j++) y[o + j] = (float)row[j];
            }
    free(row);
    free(vis);
}

void t4j_ref_attention(const t4j_attention_params *p, const float *q, const float *k,
                       const float *v, float *out) {
    int64_t t = p->kv_len, dim = p->head_dim, group = p->heads / p->kv_heads;
    double *row = malloc((size_t)t * sizeof(double));
    char *vis = malloc((size_t)t);
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads; h++)
            for (int64_t i = 0; i < p->q_len; i++) {
                const float *qr = q + b * p->q_stride_b + i * p->q_stride_s + h * p->q_stride_h;
                for (int64_t j = 0; j < t; j++) {
                    const float *kr = k + b * p->k_stride_b + j * p->k_stride_s + (h / group) * p->k_stride_h;
                    double dot = 0.0;
                    for (int64_t d = 0; d < dim; d++) dot += (double)qr[d] * kr[d];
                    double bias = p->bias ? p->bias[b * p->bias_stride_b + h * p->bias_stride_h +
                                                    i * p->bias_stride_s + j]
                                          : 0.0;
                    row[j] = (double)p->scale * dot + bias;
                    vis[j] = (char)visible(p->key_start, p->key_len, b, i, j, p->q_len, t, p->causal,
                                           p->window);
                }
                softmax_vec(row, vis, t);
                float *o = out + b * p->out_stride_b + i * p->out_stride_s + h * p->out_stride_h;
                for (int64_t d = 0; d < dim; d++) {
                    double acc = 0.0;
                    for (int64_t j = 0; j < t; j++)
                        acc += row[j] * v[b * p->v_stride_b + j * p->v_stride_s + (h / group) * p->v_stride_h + d];
                    o[d] = (float)acc;
                }
            }
    free(row);
    free(vis);
}

void t4j_ref_add(const float *a, const float *b, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = (float)((double)a[i] + b[i]);
}

float t4j_ref_act(int32_t act, float xf) {
    double x = xf;
    switch (act) {
    case T4J_ACT_GELU: return (float)(0.5 * x * (1.0 + erf(x / sqrt(2.0))));
    case T4J_ACT_GELU_TANH:
        return (float)(0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))));
    case T4J_ACT_RELU: return (float)(x > 0.0 ? x : 0.0);
    case T4J_ACT_SILU: return (float)(x / (1.0 + exp(-x)));
    default: return xf;
    }
}

void t4j_ref_bias_act(int32_t act, const float *x, const float *bias, float *y, int64_t rows,
                      int64_t cols) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            y[r * cols + c] = t4j_ref_act(act, x[r * cols + c] + (bias ? bias[c] : 0.0f));
}

void t4j_ref_gated_act(int32_t act, const float *gate, int64_t gate_stride, const float *up,
                       int64_t up_stride, float *y, int64_t y_stride, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            y[r * y_stride + c] =
                (float)((double)t4j_ref_act(act, gate[r * gate_stride + c]) * up[r * up_stride + c]);
}

void t4j_ref_rope(float *x, int64_t batch, int64_t seq, int64_t heads, int64_t head_dim,
                  int64_t stride_b, int64_t stride_s, int64_t stride_h, const int64_t *positions,
                  int64_t rot_dim, const float *inv_freq) {
    (void)head_dim;
    int64_t half = rot_dim / 2;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t s = 0; s < seq; s++)
            for (int64_t h = 0; h < heads; h++) {
                float *row = x + b * stride_b + s * stride_s + h * stride_h;
                for (int64_t i = 0; i < half; i++) {
                    float angle = (float)positions[b * seq + s] * inv_freq[i];
                    double f = angle, a = row[i], c = row[i + half];
                    row[i] = (float)(a * cos(f) - c * sin(f));
                    row[i + half] = (float)(c * cos(f) + a * sin(f));
                }
            }
}

void t4j_ref_inv_freq(float theta, int64_t rot_dim, float *inv_freq) {
    for (int64_t i = 0; i < rot_dim / 2; i++)
        inv_freq[i] = 1.0f / powf(theta, (float)(2 * i) / (float)rot_dim);
}

void t4j_ref_sgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                   int64_t ldc) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = 0.0;
            for (int64_t kk = 0; kk < k; kk++)
                acc += (double)(trans_a ? a[kk * lda + i] : a[i * lda + kk]) *
                       (trans_b ? b[j * ldb + kk] : b[kk * ldb + j]);
            double prev = beta == 0.0f ? 0.0 : (double)beta * c[i * ldc + j];
            c[i * ldc + j] = (float)(alpha * acc + prev);
        }
}

/* ------------------------------------------------------------ int8, bfloat16 dot */

void t4j_ref_quantize_weights_int8(const float *w, int64_t n, int64_t k, int64_t ldw, int8_t *q, int64_t ldq,
                                   float *scale) {
    for (int64_t r = 0; r < n; r++) {
        float mx = 0.0f;
        for (int64_t c = 0; c < k; c++)
            if (fabsf(w[r * ldw + c]) > mx) mx = fabsf(w[r * ldw + c]);
        float s = mx / 127.0f;
        if (!(s >= FLT_MIN)) s = 1.0f;
        for (int64_t c = 0; c < k; c++) {
            float v = rintf(w[r * ldw + c] / s);
            if (v < -127.0f) v = -127.0f;
            if (v > 127.0f) v = 127.0f;
            q[r * ldq + c] = (int8_t)v;
        }
        scale[r] = s;
    }
}

/* DynamicQuantizeLinear's scale and zero point for the range [lo, hi] (which includes 0). */
static void u8_params(float lo, float hi, int finite, float *scale, int32_t *zp) {
    if (!finite) {
        *scale = NAN;
        *zp = 0;
        return;
    }
    float s = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    if (!(s >= FLT_MIN)) s = 1.0f;
    float z = 0.0f - lo / s;
    if (z < 0.0f) z = 0.0f;
    if (z > 255.0f) z = 255.0f;
    *scale = s;
    *zp = (int32_t)rintf(z);
}

void t4j_ref_quantize_u8(const float *a, int64_t m, int64_t k, int64_t lda, int32_t per_tensor, uint8_t *q,
                         int64_t ldq, float *scale, int32_t *zero_point) {
    float tlo = 0.0f, thi = 0.0f;
    int tfinite = 1;
    for (int64_t r = 0; r < m; r++)
        for (int64_t c = 0; c < k; c++) {
            float v = a[r * lda + c];
            tfinite &= isfinite(v) != 0;
            if (v < tlo) tlo = v;
            if (v > thi) thi = v;
        }
    for (int64_t r = 0; r < m; r++) {
        float lo = tlo, hi = thi;
        int finite = tfinite;
        if (!per_tensor) {
            lo = hi = 0.0f;
            finite = 1;
            for (int64_t c = 0; c < k; c++) {
                float v = a[r * lda + c];
                finite &= isfinite(v) != 0;
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
        }
        u8_params(lo, hi, finite, &scale[r], &zero_point[r]);
        int32_t zp = zero_point[r];
        for (int64_t c = 0; c < k; c++) {
            if (!finite) {
                q[r * ldq + c] = 0;
                continue;
            }
            float v = a[r * lda + c] / scale[r];
            if (v < (float)-zp) v = (float)-zp;
            if (v > (float)(255 - zp)) v = (float)(255 - zp);
            q[r * ldq + c] = (uint8_t)((int32_t)rintf(v) + zp);
        }
    }
}

void t4j_ref_linear_int8_quantized(int64_t m, int64_t n, int64_t k, const uint8_t *q, int64_t ldq,
                                   const float *a_scale, const int32_t *a_zp, const int8_t *w, int64_t ldw,
                                   const float *w_scale, const float *bias, int32_t act, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            int64_t acc = 0;
            for (int64_t x = 0; x < k; x++) acc += (int64_t)(q[i * ldq + x] - a_zp[i]) * w[j * ldw + x];
            float v = (float)(int32_t)acc * (a_scale[i] * w_scale[j]);
            if (bias) v += bias[j];
            c[i * ldc + j] = t4j_ref_act(act, v);
        }
}

uint16_t t4j_ref_bf16(float x) {
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    if ((b & 0x7f800000u) == 0) return (uint16_t)((b >> 16) & 0x8000u);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((b >> 16) | 0x40u);
    return (uint16_t)((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

/* A bfloat16 value as the dot-product instruction reads it: denormals as zero. */
static double bf16_value(uint16_t h) {
    if ((h & 0x7f80u) == 0) return 0.0;
    uint32_t b = (uint32_t)h << 16;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

void t4j_ref_linear_bf16dot(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const uint16_t *w,
                            int64_t ldw, const float *bias, int32_t act, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = 0.0;
            for (int64_t x = 0; x < k; x++) acc += bf16_value(t4j_ref_bf16(a[i * lda + x])) * bf16_value(w[j * ldw + x]);
            c[i * ldc + j] = t4j_ref_act(act, (float)(acc + (bias ? bias[j] : 0.0)));
        }
}
