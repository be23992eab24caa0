/*
 * t4j_cpu.c: the public entry points of libt4j_cpu. Each checks its
 * arguments, then calls the kernel table of the best instruction set the
 * CPU supports (chosen once, overridable with t4j_set_isa).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "kernels.h"
#include "t4j.h"

static int32_t detect_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return T4J_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return T4J_ISA_AVX2;
#endif
    return T4J_ISA_SCALAR; /* elsewhere: the portable kernels, the only ones built */
}

static int32_t forced_isa = -1;

int32_t t4j_isa(void) {
    int32_t best = detect_isa();
    return forced_isa >= 0 && forced_isa < best ? forced_isa : best;
}

int32_t t4j_set_isa(int32_t isa) {
    forced_isa = isa < 0 ? -1 : isa;
    return t4j_isa();
}

/* The kernel table of an instruction set (only the portable one is built elsewhere than x86-64). */
static const t4j_kernels *kernels_for(int32_t isa) {
    switch (isa) {
#if defined(__x86_64__)
    case T4J_ISA_AVX512: return &t4j_kernels_avx512;
    case T4J_ISA_AVX2: return &t4j_kernels_avx2;
#endif
    default: return &t4j_kernels_scalar;
    }
}

/* The thread count t4j_set_num_threads asked for, 0 for OpenMP's own. OpenMP keeps the count per
 * calling thread, so each entry point applies it to the thread that calls it (kernels run from
 * whatever threads the caller has: a scheduler's worker, a pool). */
static _Atomic int32_t requested_threads = 0;

void t4j_cpu_apply_threads(void) {
    int32_t n = requested_threads;
    if (n > 0 && omp_get_max_threads() != n) omp_set_num_threads(n);
}

static const t4j_kernels *kernels(void) {
    t4j_cpu_apply_threads();
    return kernels_for(t4j_isa());
}

int32_t t4j_version(void) { return 100; }

int32_t t4j_num_threads(void) {
    t4j_cpu_apply_threads();
    return omp_get_max_threads();
}

int32_t t4j_set_num_threads(int32_t n) {
    if (n < 1) return T4J_ERR_SIZE;
    requested_threads = n;
    omp_set_num_threads(n);
    return T4J_OK;
}

int32_t t4j_layer_norm(const float *x, const float *r, float *sum_out, float *y,
                       const float *gamma, const float *beta, int64_t rows, int64_t cols,
                       float eps) {
    if (!x || !y || !gamma) return T4J_ERR_NULL;
    if (rows < 0 || cols < 1) return T4J_ERR_SIZE;
    kernels()->layer_norm(x, r, sum_out, y, gamma, beta, rows, cols, eps, 0);
    return T4J_OK;
}

int32_t t4j_rms_norm(const float *x, const float *r, float *sum_out, float *y,
                     const float *gamma, int64_t rows, int64_t cols, float eps) {
    if (!x || !y || !gamma) return T4J_ERR_NULL;
    if (rows < 0 || cols < 1) return T4J_ERR_SIZE;
    kernels()->layer_norm(x, r, sum_out, y, gamma, NULL, rows, cols, eps, 1);
    return T4J_OK;
}

static int lengths_ok(const int32_t *start, const int32_t *len, int64_t batch, int64_t t) {
    for (int64_t b = 0; b < batch; b++) {
        if (start && (start[b] < 0 || start[b] > t)) return 0;
        if (len && (len[b] < 0 || len[b] > t)) return 0;
    }
    return 1;
}

int32_t t4j_softmax(const t4j_softmax_params *p, const float *x, float *y) {
    if (!p || !x || !y) return T4J_ERR_NULL;
    if (p->batch < 0 || p->heads < 0 || p->rows < 0 || p->cols < 1) return T4J_ERR_SIZE;
    if (p->causal && p->rows > p->cols) return T4J_ERR_SIZE;
    if (p->mask_stride_b < 0 || p->mask_stride_h < 0 || p->mask_stride_s < 0) return T4J_ERR_SIZE;
    if (!lengths_ok(p->key_start, p->key_len, p->batch, p->cols)) return T4J_ERR_SIZE;
    return kernels()->softmax(p, x, y);
}

int32_t t4j_attention(const t4j_attention_params *p, const float *q, const float *k,
                      const float *v, float *out) {
    if (!p || !q || !k || !v || !out) return T4J_ERR_NULL;
    if (p->batch < 0 || p->q_len < 0 || p->kv_len < 1) return T4J_ERR_SIZE;
    /* queries align to the last keys only where position matters (causal, window) */
    if ((p->causal || p->window > 0) && p->q_len > p->kv_len) return T4J_ERR_SIZE;
    if (p->heads < 1 || p->kv_heads < 1 || p->heads % p->kv_heads != 0) return T4J_ERR_SIZE;
    if (p->head_dim < 1 || p->window < 0) return T4J_ERR_SIZE;
    if (!lengths_ok(p->key_start, p->key_len, p->batch, p->kv_len)) return T4J_ERR_SIZE;
    if (p->batch == 0 || p->q_len == 0) return T4J_OK;
    return kernels()->attention(p, q, k, v, out);
}

int32_t t4j_add(const float *a, const float *b, float *y, int64_t n) {
    if (!a || !b || !y) return T4J_ERR_NULL;
    if (n < 0) return T4J_ERR_SIZE;
    kernels()->add(a, b, y, n);
    return T4J_OK;
}

static int act_ok(int32_t act) { return act >= T4J_ACT_NONE && act <= T4J_ACT_SILU; }

int32_t t4j_activation(int32_t act, const float *x, float *y, int64_t n) {
    if (!x || !y) return T4J_ERR_NULL;
    if (n < 0 || !act_ok(act)) return T4J_ERR_SIZE;
    kernels()->bias_act(act, x, NULL, y, 1, n);
    return T4J_OK;
}

int32_t t4j_bias_act(int32_t act, const float *x, const float *bias, float *y, int64_t rows,
                     int64_t cols) {
    if (!x || !y) return T4J_ERR_NULL;
    if (rows < 0 || cols < 0 || !act_ok(act)) return T4J_ERR_SIZE;
    kernels()->bias_act(act, x, bias, y, rows, cols);
    return T4J_OK;
}

int32_t t4j_gated_act(int32_t act, const float *gate, int64_t gate_stride, const float *up,
                      int64_t up_stride, float *y, int64_t y_stride, int64_t rows, int64_t cols) {
    if (!gate || !up || !y) return T4J_ERR_NULL;
    if (rows < 0 || cols < 0 || !act_ok(act)) return T4J_ERR_SIZE;
    if (gate_stride < cols || up_stride < cols || y_stride < cols) return T4J_ERR_SIZE;
    kernels()->gated_act(act, gate, gate_stride, up, up_stride, y, y_stride, rows, cols);
    return T4J_OK;
}

int32_t t4j_rope(float *x, int64_t batch, int64_t seq, int64_t heads, int64_t head_dim,
                 int64_t stride_b, int64_t stride_s, int64_t stride_h, const int64_t *positions,
                 int64_t rot_dim, const float *inv_freq) {
    t4j_cpu_apply_threads();
    if (!x || !positions || !inv_freq) return T4J_ERR_NULL;
    if (batch < 0 || seq < 0 || heads < 0 || head_dim < 1) return T4J_ERR_SIZE;
    if (rot_dim < 2 || rot_dim > head_dim || rot_dim % 2 != 0) return T4J_ERR_SIZE;
    int64_t half = rot_dim / 2;
#pragma omp parallel if (batch * seq * heads * head_dim > 65536)
    {
        double *cs = malloc((size_t)half * 2 * sizeof(double));
#pragma omp for schedule(static)
        for (int64_t bs = 0; bs < batch * seq; bs++) {
            if (!cs) continue;
            int64_t b = bs / seq, s = bs % seq;
            float pos = (float)positions[bs];
            for (int64_t i = 0; i < half; i++) {
                /* the angle is a float32 product, as transformers computes it */
                double f = pos * inv_freq[i];
                cs[2 * i] = cos(f);
                cs[2 * i + 1] = sin(f);
            }
            for (int64_t h = 0; h < heads; h++) {
                float *row = x + b * stride_b + s * stride_s + h * stride_h;
                for (int64_t i = 0; i < half; i++) {
                    float a = row[i], c = row[i + half];
                    float co = (float)cs[2 * i], si = (float)cs[2 * i + 1];
                    row[i] = a * co - c * si;
                    row[i + half] = c * co + a * si;
                }
            }
        }
        free(cs);
    }
    return T4J_OK;
}

/* Checks an embedding gather's arguments, every id included, before anything is written. */
static int32_t embedding_args(const void *table, int64_t vocab, int64_t cols, const int64_t *ids, int64_t n,
                              const float *out) {
    if (!table || !ids || !out) return T4J_ERR_NULL;
    if (vocab < 1 || cols < 1 || n < 0) return T4J_ERR_SIZE;
    for (int64_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= vocab) return T4J_ERR_SIZE;
    return T4J_OK;
}

int32_t t4j_embedding(const float *table, int64_t vocab, int64_t cols, const int64_t *ids,
                      int64_t n, float *out) {
    t4j_cpu_apply_threads();
    int32_t status = embedding_args(table, vocab, cols, ids, n, out);
    if (status != T4J_OK) return status;
    /* rows of a large vocabulary come from L3 or memory in no order a prefetcher could guess */
#pragma omp parallel for schedule(static) if (n * cols > 65536)
    for (int64_t i = 0; i < n; i++) {
        if (i + 4 < n)
            for (int64_t off = 0; off < cols; off += 16) __builtin_prefetch(table + ids[i + 4] * cols + off);
        memcpy(out + i * cols, table + ids[i] * cols, (size_t)cols * sizeof(float));
    }
    return T4J_OK;
}

int32_t t4j_embedding_bf16(const uint16_t *table, int64_t vocab, int64_t cols, const int64_t *ids,
                           int64_t n, float *out) {
    t4j_cpu_apply_threads();
    int32_t status = embedding_args(table, vocab, cols, ids, n, out);
    if (status != T4J_OK) return status;
#pragma omp parallel for schedule(static) if (n * cols > 65536)
    for (int64_t i = 0; i < n; i++) {
        const uint16_t *src = table + ids[i] * cols;
        float *dst = out + i * cols;
        for (int64_t c = 0; c < cols; c++) {
            uint32_t bits = (uint32_t)src[c] << 16;
            memcpy(dst + c, &bits, sizeof bits);
        }
    }
    return T4J_OK;
}

int32_t t4j_copy(void *dst, const void *src, int64_t n) {
    if (!dst || !src) return T4J_ERR_NULL;
    if (n < 0) return T4J_ERR_SIZE;
    kernels()->copy(dst, src, n);
    return T4J_OK;
}

int32_t t4j_sgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                  int64_t ldc) {
    t4j_cpu_apply_threads();
    if (!a || !b || !c) return T4J_ERR_NULL;
    if (m < 0 || n < 0 || k < 0) return T4J_ERR_SIZE;
    if (lda < (trans_a ? m : k) || ldb < (trans_b ? k : n) || ldc < n) return T4J_ERR_SIZE;
    if (m == 0 || n == 0) return T4J_OK;
    return kernels()->sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

typedef void (*cblas_sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                               const float *a, int lda, const float *b, int ldb, float beta, float *c,
                               int ldc);

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

/* Up to this many rows, A B^T streams B through t4j's own kernel instead of BLAS. */
#define SMALL_M 16

/*
 * The product in blocks of columns or rows (the larger of N and M), one per thread, each one
 * BLAS call. With bias, each block of c is first filled with it (beta is then 1); act is applied
 * to each block after its product, by the thread that computed it.
 */
static void blas_split(cblas_sgemm_fn gemm, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
                       const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                       int64_t ldc, const float *bias, int32_t act) {
    int threads = omp_get_max_threads();
    if ((double)m * n * k < 2e6) threads = 1; /* too small to split */
    /* split the larger of N and M into blocks that are multiples of 16 */
    int split_n = n >= m;
    int64_t dim = split_n ? n : m;
    int64_t block = ((dim + threads - 1) / threads + 15) / 16 * 16;
    int64_t parts = (dim + block - 1) / block;
#pragma omp parallel for schedule(static) num_threads(threads) if (parts > 1)
    for (int64_t p = 0; p < parts; p++) {
        int64_t lo = p * block, len = dim - lo < block ? dim - lo : block;
        int64_t rows = split_n ? m : len, cols = split_n ? len : n;
        float *cp = split_n ? c + lo : c + lo * ldc;
        const float *ap = split_n ? a : (ta == CBLAS_TRANS ? a + lo : a + lo * lda);
        const float *bp = !split_n ? b : (tb == CBLAS_TRANS ? b + lo * ldb : b + lo);
        if (bias)
            for (int64_t r = 0; r < rows; r++) memcpy(cp + r * ldc, bias + (split_n ? lo : 0), (size_t)cols * sizeof(float));
        gemm(CBLAS_ROW_MAJOR, ta, tb, (int)rows, (int)cols, (int)k, alpha, ap, (int)lda, bp, (int)ldb, beta, cp,
             (int)ldc);
        if (act != T4J_ACT_NONE) kernels()->act_rows(act, cp, ldc, rows, cols);
    }
}

int32_t t4j_sgemm_with(const void *cblas_sgemm, int32_t trans_a, int32_t trans_b, int64_t m,
                       int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                       const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    t4j_cpu_apply_threads();
    if (!cblas_sgemm || k == 0)
        return t4j_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (!a || !b || !c) return T4J_ERR_NULL;
    if (m < 0 || n < 0 || k < 0) return T4J_ERR_SIZE;
    if (lda < (trans_a ? m : k) || ldb < (trans_b ? k : n) || ldc < n) return T4J_ERR_SIZE;
    const int64_t lim = 0x7fffffff;
    if (m > lim || n > lim || k > lim || lda > lim || ldb > lim || ldc > lim) return T4J_ERR_SIZE;
    if (m == 0 || n == 0) return T4J_OK;
    if (m <= SMALL_M && !trans_a && trans_b) {
        /* few rows against weights: BLAS would pack every weight matrix on every call */
        kernels()->gemm_nt_small(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return T4J_OK;
    }
    int ta = trans_a ? CBLAS_TRANS : CBLAS_NO_TRANS, tb = trans_b ? CBLAS_TRANS : CBLAS_NO_TRANS;
    blas_split((cblas_sgemm_fn)cblas_sgemm, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL, T4J_ACT_NONE);
    return T4J_OK;
}

int32_t t4j_linear_with(const void *cblas_sgemm, int64_t m, int64_t n, int64_t k, const float *a,
                        int64_t lda, const float *w, int64_t ldw, const float *bias, int32_t act,
                        float *c, int64_t ldc) {
    t4j_cpu_apply_threads();
    if (!a || !w || !c) return T4J_ERR_NULL;
    if (m < 0 || n < 0 || k < 0 || lda < k || ldw < k || ldc < n || !act_ok(act)) return T4J_ERR_SIZE;
    if (!cblas_sgemm || k == 0 || m <= SMALL_M) {
        int32_t status = t4j_sgemm_with(cblas_sgemm, 0, 1, m, n, k, 1.0f, a, lda, w, ldw, 0.0f, c, ldc);
        if (status != T4J_OK || m == 0 || n == 0 || (!bias && act == T4J_ACT_NONE)) return status;
        if (ldc == n) {
            kernels()->bias_act(act, c, bias, c, m, n);
        } else {
            for (int64_t r = 0; r < m; r++) kernels()->bias_act(act, c + r * ldc, bias, c + r * ldc, 1, n);
        }
        return T4J_OK;
    }
    const int64_t lim = 0x7fffffff;
    if (m > lim || n > lim || k > lim || lda > lim || ldw > lim || ldc > lim) return T4J_ERR_SIZE;
    if (n == 0) return T4J_OK;
    blas_split((cblas_sgemm_fn)cblas_sgemm, CBLAS_NO_TRANS, CBLAS_TRANS, m, n, k, 1.0f, a, lda, w, ldw,
               bias ? 1.0f : 0.0f, c, ldc, bias, act);
    return T4J_OK;
}

int32_t t4j_linear_bf16(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const uint16_t *w,
                        int64_t ldw, const float *bias, int32_t act, float *c, int64_t ldc) {
    if (!a || !w || !c) return T4J_ERR_NULL;
    if (m < 0 || n < 0 || k < 0 || lda < k || ldw < k || ldc < n || !act_ok(act)) return T4J_ERR_SIZE;
    if (m == 0 || n == 0) return T4J_OK;
    kernels()->gemm_nt_small_bf16(m, n, k, a, lda, w, ldw, c, ldc);
    if (!bias && act == T4J_ACT_NONE) return T4J_OK;
    for (int64_t r = 0; r < m; r++) kernels()->bias_act(act, c + r * ldc, bias, c + r * ldc, 1, n);
    return T4J_OK;
}

/* The header of a packed weight buffer: which kernels packed it and the shape. */
typedef struct {
    int32_t magic, isa;
    int64_t n, k;
    char pad[40];
} packed_header;

#define PACKED_MAGIC 0x7434504b

int64_t t4j_packed_bytes(int64_t n, int64_t k) {
    if (n < 1 || k < 1) return -T4J_ERR_SIZE;
    return (int64_t)sizeof(packed_header) + kernels()->packed_floats(n, k) * (int64_t)sizeof(float);
}

static packed_header *packed_start(void *dst, int64_t n, int64_t k) {
    packed_header *h = dst;
    h->magic = PACKED_MAGIC;
    h->isa = t4j_isa();
    h->n = n;
    h->k = k;
    return h;
}

int32_t t4j_pack_weights(const float *w, int64_t n, int64_t k, int64_t ldw, void *dst) {
    t4j_cpu_apply_threads();
    if (!w || !dst) return T4J_ERR_NULL;
    if (n < 1 || k < 1 || ldw < k) return T4J_ERR_SIZE;
    packed_header *h = packed_start(dst, n, k);
    kernels_for(h->isa)->pack_weights(w, n, k, ldw, (float *)(h + 1));
    return T4J_OK;
}

int32_t t4j_pack_weights_bf16(const uint16_t *w, int64_t n, int64_t k, int64_t ldw, void *dst) {
    t4j_cpu_apply_threads();
    if (!w || !dst) return T4J_ERR_NULL;
    if (n < 1 || k < 1 || ldw < k) return T4J_ERR_SIZE;
    packed_header *h = packed_start(dst, n, k);
    kernels_for(h->isa)->pack_weights_bf16(w, n, k, ldw, (float *)(h + 1));
    return T4J_OK;
}

int32_t t4j_linear_packed(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const void *packed,
                          const float *bias, int32_t act, float *c, int64_t ldc) {
    t4j_cpu_apply_threads();
    if (!a || !packed || !c) return T4J_ERR_NULL;
    const packed_header *h = packed;
    if (h->magic != PACKED_MAGIC || h->n != n || h->k != k || h->isa > detect_isa()) return T4J_ERR_SIZE;
    if (m < 0 || lda < k || ldc < n || !act_ok(act)) return T4J_ERR_SIZE;
    if (m == 0) return T4J_OK;
    kernels_for(h->isa)->linear_packed(m, n, k, a, lda, (const float *)(h + 1), bias, act, c, ldc);
    return T4J_OK;
}

/* For the int8 and bfloat16-dot entry points (t4j_lowp.c), which share the float tables' epilogue. */
const t4j_kernels *t4j_cpu_kernels(void) { return kernels(); }
const t4j_kernels *t4j_cpu_kernels_for(int32_t isa) { return kernels_for(isa); }
int32_t t4j_cpu_best_isa(void) { return detect_isa(); }
