/*
 * t4j_ref.h: plain scalar versions of every op in t4j.h, accumulating in
 * double. The truth the fast kernels are tested against; never fast.
 * Same arguments and layouts as the t4j_* functions.
 */
#ifndef T4J_REF_H
#define T4J_REF_H

#include "t4j.h"

void t4j_ref_layer_norm(const float *x, const float *r, float *sum_out, float *y,
                        const float *gamma, const float *beta, int64_t rows, int64_t cols,
                        float eps);
void t4j_ref_rms_norm(const float *x, const float *r, float *sum_out, float *y,
                      const float *gamma, int64_t rows, int64_t cols, float eps);
void t4j_ref_softmax(const t4j_softmax_params *p, const float *x, float *y);
void t4j_ref_attention(const t4j_attention_params *p, const float *q, const float *k,
                       const float *v, float *out);
void t4j_ref_add(const float *a, const float *b, float *y, int64_t n);
float t4j_ref_act(int32_t act, float x);
void t4j_ref_bias_act(int32_t act, const float *x, const float *bias, float *y, int64_t rows,
                      int64_t cols);
void t4j_ref_gated_act(int32_t act, const float *gate, int64_t gate_stride, const float *up,
                       int64_t up_stride, float *y, int64_t y_stride, int64_t rows, int64_t cols);
void t4j_ref_rope(float *x, int64_t batch, int64_t seq, int64_t heads, int64_t head_dim,
                  int64_t stride_b, int64_t stride_s, int64_t stride_h, const int64_t *positions,
                  int64_t rot_dim, const float *inv_freq);
/* inv_freq[i] = 1 / theta^(2i / rot_dim) for i < rot_dim / 2, in float32 as transformers computes it. */
void t4j_ref_inv_freq(float theta, int64_t rot_dim, float *inv_freq);
void t4j_ref_sgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                   int64_t ldc);

#endif
