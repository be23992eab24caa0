/*
 * kernels.h: the table of CPU kernels, one instance per instruction set.
 * Arguments arrive here already checked by the entry points in t4j_cpu.c.
 */
#ifndef T4J_KERNELS_H
#define T4J_KERNELS_H

#include "t4j.h"

typedef struct t4j_kernels {
    const char *name;
    void (*layer_norm)(const float *x, const float *r, float *sum_out, float *y,
                       const float *gamma, const float *beta, int64_t rows, int64_t cols,
                       float eps, int rms);
    int32_t (*softmax)(const t4j_softmax_params *p, const float *x, float *y);
    int32_t (*attention)(const t4j_attention_params *p, const float *q, const float *k,
                         const float *v, float *out);
    void (*bias_act)(int32_t act, const float *x, const float *bias, float *y, int64_t rows,
                     int64_t cols);
    /* y = act(y) in place on rows x cols of row stride ldy, in the calling thread */
    void (*act_rows)(int32_t act, float *y, int64_t ldy, int64_t rows, int64_t cols);
    void (*gated_act)(int32_t act, const float *gate, int64_t gate_stride, const float *up,
                      int64_t up_stride, float *y, int64_t y_stride, int64_t rows,
                      int64_t cols);
    int32_t (*sgemm)(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k,
                     float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                     float beta, float *c, int64_t ldc);
    void (*copy)(void *dst, const void *src, int64_t n);
    /* C = alpha A B^T + beta C for few rows of A (decoding, short inputs): B streamed, never packed */
    void (*gemm_nt_small)(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                          const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
    /* C = A B^T with B bfloat16 (ldb in elements), as gemm_nt_small with alpha 1, beta 0 */
    void (*gemm_nt_small_bf16)(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const uint16_t *b,
                               int64_t ldb, float *c, int64_t ldc);
    void (*add)(const float *a, const float *b, float *y, int64_t n);
    /* packed weights (see t4j_pack_weights): floats needed, packing, and the product */
    int64_t (*packed_floats)(int64_t n, int64_t k);
    void (*pack_weights)(const float *w, int64_t n, int64_t k, int64_t ldw, float *dst);
    void (*pack_weights_bf16)(const uint16_t *w, int64_t n, int64_t k, int64_t ldw, float *dst);
    void (*linear_packed)(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *packed,
                          const float *bias, int32_t act, float *c, int64_t ldc);
} t4j_kernels;

extern const t4j_kernels t4j_kernels_avx512;
extern const t4j_kernels t4j_kernels_avx2;
extern const t4j_kernels t4j_kernels_scalar;

#endif
