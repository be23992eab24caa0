/*
 * t4j_cuda.h: the C ABI of Transformers4J's CUDA kernels (libt4j_cuda).
 *
 * The same operations as t4j.h, on device memory, in three element types.
 * Every pointer argument is a device pointer except the parameter structs,
 * which live on the host and are read before the call returns. Every kernel
 * is queued on the given stream (NULL: the legacy default stream) and the call
 * returns without waiting for it. All tensors of one call share the element
 * type `dtype`, except where a comment says float32 (additive biases and
 * masks, always float32) or int (ids, positions, key ranges). Arithmetic
 * inside is float32 whatever the element type.
 *
 * Status codes are t4j.h's, plus T4J_ERR_CUDA when the CUDA runtime refused a
 * launch; t4j_cuda_last_error() then names the error. A refused argument
 * returns before anything is queued. Matrix products are not here: callers
 * use cuBLAS directly.
 */
#ifndef T4J_CUDA_H
#define T4J_CUDA_H

#include <stdint.h>
#include "t4j.h"

#ifdef __cplusplus
extern "C" {
#endif

#define T4J_ERR_CUDA 4      /* a CUDA call failed; see t4j_cuda_last_error() */
#define T4J_ERR_DTYPE 5     /* an element type the operation does not take */

/* Element types. */
#define T4J_F32 0
#define T4J_F16 1
#define T4J_BF16 2

/* Library version as major * 10000 + minor * 100 + patch. */
int32_t t4j_cuda_version(void);

/*
 * The message of the CUDA error behind the last T4J_ERR_CUDA of the calling
 * thread ("" if none). The string stays valid until the thread's next call.
 */
const char *t4j_cuda_last_error(void);

/* Layer norm, as t4j_layer_norm; gamma and beta have the element type too. */
int32_t t4j_cuda_layer_norm(int32_t dtype, const void *x, const void *r, void *sum_out, void *y,
                            const void *gamma, const void *beta, int64_t rows, int64_t cols,
                            float eps, void *stream);

/* RMS norm, as t4j_rms_norm. */
int32_t t4j_cuda_rms_norm(int32_t dtype, const void *x, const void *r, void *sum_out, void *y,
                          const void *gamma, int64_t rows, int64_t cols, float eps, void *stream);

/*
 * Masked softmax, as t4j_softmax: x and y have the element type, p->mask is a
 * float32 device pointer, p->key_start and p->key_len int32 device pointers.
 * Keys outside [key_start, key_len) are skipped, not read, and written as 0.
 */
int32_t t4j_cuda_softmax(int32_t dtype, const t4j_softmax_params *p, const void *x, void *y,
                         void *stream);

/*
 * Fused attention, as t4j_attention: q, k, v and out have the element type,
 * p->bias is float32, p->key_start and p->key_len are int32, all on the device.
 * Key tiles wholly outside a sequence's visible keys are skipped.
 *
 * Few queries against many keys (decoding against a cache) split the keys
 * over several blocks, whose partial results are merged in a second kernel;
 * the partials go to `workspace`, of at least
 * t4j_cuda_attention_workspace_bytes(p) bytes. With a smaller workspace (or
 * NULL) the keys are split less or not at all: the result is the same.
 * Head dims up to 256 are taken.
 */
int64_t t4j_cuda_attention_workspace_bytes(const t4j_attention_params *p);

int32_t t4j_cuda_attention(int32_t dtype, const t4j_attention_params *p, const void *q,
                           const void *k, const void *v, void *out, void *workspace,
                           int64_t workspace_bytes, void *stream);

/* y = a + b over n elements; y may alias a or b. */
int32_t t4j_cuda_add(int32_t dtype, const void *a, const void *b, void *y, int64_t n,
                     void *stream);

/* y = alpha x over n elements; y may alias x. */
int32_t t4j_cuda_scale(int32_t dtype, const void *x, float alpha, void *y, int64_t n,
                       void *stream);

/* y = act(x + bias), x, y: [rows, cols], bias: [cols] or NULL; y may alias x. */
int32_t t4j_cuda_bias_act(int32_t dtype, int32_t act, const void *x, const void *bias, void *y,
                          int64_t rows, int64_t cols, void *stream);

/* y = act(gate) * up with row strides, as t4j_gated_act. */
int32_t t4j_cuda_gated_act(int32_t dtype, int32_t act, const void *gate, int64_t gate_stride,
                           const void *up, int64_t up_stride, void *y, int64_t y_stride,
                           int64_t rows, int64_t cols, void *stream);

/*
 * Rotary embedding in place, as t4j_rope; positions: int64 device [B * S]; inv_freq: float32
 * device [rot_dim / 2].
 */
int32_t t4j_cuda_rope(int32_t dtype, void *x, int64_t batch, int64_t seq, int64_t heads,
                      int64_t head_dim, int64_t stride_b, int64_t stride_s, int64_t stride_h,
                      const int64_t *positions, int64_t rot_dim, const float *inv_freq, void *stream);

/*
 * Embedding gather, as t4j_embedding; ids: int64 device [n]. An id outside
 * [0, V) cannot be refused before the kernel runs: its row is written as
 * zeros, so callers check ids on the host first.
 */
int32_t t4j_cuda_embedding(int32_t dtype, const void *table, int64_t vocab, int64_t cols,
                           const int64_t *ids, int64_t n, void *out, void *stream);

/*
 * dst = src, element by element, for 4-D views of one shape dims[0..3] with
 * strides in elements (the last stride of each must be 1) and elements of
 * elem_bytes bytes (2 or 4): KV-cache slots, head slices, reorders.
 */
int32_t t4j_cuda_copy(int32_t elem_bytes, const void *src, const int64_t *src_strides, void *dst,
                      const int64_t *dst_strides, const int64_t *dims, void *stream);

/* dst = src converted between element types (rounding to nearest even), n elements. */
int32_t t4j_cuda_convert(int32_t src_dtype, const void *src, int32_t dst_dtype, void *dst,
                         int64_t n, void *stream);

#ifdef __cplusplus
}
#endif

#endif
