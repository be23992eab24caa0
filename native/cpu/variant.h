/*
 * variant.h: what the CPU kernel files share (norms.c, softmax.c, attention.c, elementwise.c,
 * gemm.c, and the table in kernels.c). Each is compiled once per instruction set with
 * T4J_VARIANT naming it (see CMakeLists.txt); KFN gives each kernel a name of its variant.
 */
#ifndef T4J_VARIANT_H
#define T4J_VARIANT_H

#include <stdlib.h>

#include "kernels.h"
#include "simd.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define KTABLE CAT(t4j_kernels_, T4J_VARIANT)
#define STR_(a) #a
#define STR(a) STR_(a)

#define TC (NV * VW) /* columns of a register tile */

static inline void *alloc64(size_t bytes) {
    return aligned_alloc(64, (bytes + 63) & ~(size_t)63);
}

static inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/* Visible keys [lo, hi) of query i of b (S queries aligned to the last of T keys). */
static inline void visible_range(const int32_t *key_start, const int32_t *key_len, int64_t b,
                          int64_t i, int64_t s_len, int64_t t_len, int causal, int64_t window,
                          int64_t *lo, int64_t *hi) {
    int64_t l = key_start ? key_start[b] : 0;
    int64_t h = key_len ? key_len[b] : t_len;
    int64_t pos = t_len - s_len + i;
    if (causal && h > pos + 1) h = pos + 1;
    if (window > 0 && l < pos - window + 1) l = pos - window + 1;
    *lo = l;
    *hi = h;
}

/* The kernels of one instruction set, one family a file; kernels.c gathers them into KTABLE. */
#define KFN(name) CAT(CAT(t4j_, T4J_VARIANT), CAT(_, name))
#define KERNEL __attribute__((visibility("hidden")))

/* norms.c */
KERNEL void KFN(layer_norm)(const float *x, const float *r, float *sum_out, float *y, const float *gamma,
                            const float *beta, int64_t rows, int64_t cols, float eps, int rms);
/* softmax.c */
KERNEL int32_t KFN(softmax)(const t4j_softmax_params *p, const float *x, float *y);
/* attention.c */
KERNEL int32_t KFN(attention)(const t4j_attention_params *p, const float *q, const float *k, const float *v,
                              float *out);
/* elementwise.c */
KERNEL void KFN(act_rows)(int32_t act, float *y, int64_t ldy, int64_t rows, int64_t cols);
KERNEL void KFN(bias_act)(int32_t act, const float *x, const float *bias, float *y, int64_t rows, int64_t cols);
KERNEL void KFN(gated_act)(int32_t act, const float *gate, int64_t gate_stride, const float *up,
                           int64_t up_stride, float *y, int64_t y_stride, int64_t rows, int64_t cols);
KERNEL void KFN(copy)(void *dst, const void *src, int64_t n);
KERNEL void KFN(add)(const float *a, const float *b, float *y, int64_t n);
/* gemm.c */
KERNEL int32_t KFN(sgemm)(int32_t ta, int32_t tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                          int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
KERNEL void KFN(gemm_nt_small)(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                               const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
KERNEL void KFN(gemm_nt_small_bf16)(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                                    const uint16_t *b, int64_t ldb, float *c, int64_t ldc);
KERNEL int64_t KFN(packed_floats)(int64_t n, int64_t k);
KERNEL void KFN(pack_weights)(const float *w, int64_t n, int64_t k, int64_t ldw, float *dst);
KERNEL void KFN(pack_weights_bf16)(const uint16_t *w, int64_t n, int64_t k, int64_t ldw, float *dst);
KERNEL void KFN(linear_packed)(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *packed,
                               const float *bias, int32_t act, float *c, int64_t ldc);

#endif
