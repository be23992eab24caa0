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

/*
 * int8 and bfloat16-dot references (t4j.h). The quantizations compute exactly what the kernels
 * must (the same float operations in the same order); the products take weights unpacked:
 * q_w [N, K] int8 (row stride ldw) with w_scale [N], or w [N, K] bfloat16 (row stride ldw).
 * int8: acc is summed exactly in 64 bits, then c = act((float) acc * (a_scale * w_scale) + bias).
 * bfloat16: bf16(a) w summed in double (bfloat16 denormals read as zero), then bias and act.
 */
void t4j_ref_quantize_weights_int8(const float *w, int64_t n, int64_t k, int64_t ldw, int8_t *q, int64_t ldq,
                                   float *scale);
void t4j_ref_quantize_u8(const float *a, int64_t m, int64_t k, int64_t lda, int32_t per_tensor, uint8_t *q,
                         int64_t ldq, float *scale, int32_t *zero_point);
void t4j_ref_linear_int8_quantized(int64_t m, int64_t n, int64_t k, const uint8_t *q, int64_t ldq,
                                   const float *a_scale, const int32_t *a_zp, const int8_t *w, int64_t ldw,
                                   const float *w_scale, const float *bias, int32_t act, float *c, int64_t ldc);
/* float32 to bfloat16 as vcvtne2ps2bf16: to nearest even, denormals to signed zero, NaN kept quiet */
uint16_t t4j_ref_bf16(float x);
void t4j_ref_linear_bf16dot(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const uint16_t *w,
                            int64_t ldw, const float *bias, int32_t act, float *c, int64_t ldc);

#endif
