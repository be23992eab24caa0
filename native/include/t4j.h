/*
 * t4j.h: the C ABI of Transformers4J's native kernels, jextract's only input.
 *
 * Every tensor is float32 unless a name says otherwise. Dimension letters:
 * B batch, S query length, T key length, H query heads, K key/value heads,
 * D head dim, C hidden size, F feed-forward size, V vocabulary.
 *
 * Every function returns a status code (T4J_OK on success) and checks its
 * arguments for NULL pointers and impossible sizes before touching memory.
 * Callers from Java validate everything first; these checks are the last line.
 * Output buffers may alias their inputs only where a function says so.
 */
#ifndef T4J_H
#define T4J_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define T4J_OK 0
#define T4J_ERR_NULL 1     /* a required pointer was NULL */
#define T4J_ERR_SIZE 2     /* a size, stride or length was out of range */
#define T4J_ERR_ALLOC 3    /* scratch memory could not be allocated */
#define T4J_ERR_VALUE 4    /* a value was out of its range (NaN or infinity where a finite one is needed) */

/* Instruction set the dispatcher chose. */
#define T4J_ISA_SCALAR 0
#define T4J_ISA_AVX2 1
#define T4J_ISA_AVX512 2

/* Library version as major * 10000 + minor * 100 + patch. */
int32_t t4j_version(void);

/* The instruction set the kernels run with on this CPU (T4J_ISA_*). */
int32_t t4j_isa(void);

/*
 * Forces an instruction set no higher than what the CPU has (for tests and
 * benchmarks); returns the one now in use. -1 restores automatic choice.
 */
int32_t t4j_set_isa(int32_t isa);

/* Number of OpenMP threads the kernels use. */
int32_t t4j_num_threads(void);

/* Sets the number of OpenMP threads (n >= 1) of every later kernel call, from whichever thread. */
int32_t t4j_set_num_threads(int32_t n);

/*
 * Layer norm over the last axis, optionally fused with a residual add:
 *   s = x + r            (r may be NULL: s = x)
 *   y = (s - mean(s)) / sqrt(var(s) + eps) * gamma + beta
 * x, r, sum_out, y: [rows, cols]; gamma, beta: [cols] (beta may be NULL).
 * sum_out (may be NULL) receives s. y may alias x; sum_out may alias x or r.
 */
int32_t t4j_layer_norm(const float *x, const float *r, float *sum_out, float *y,
                       const float *gamma, const float *beta,
                       int64_t rows, int64_t cols, float eps);

/*
 * RMS norm over the last axis (T5 / Llama), optionally after a residual add:
 *   s = x + r;  y = s / sqrt(mean(s^2) + eps) * gamma
 * Shapes and aliasing as t4j_layer_norm.
 */
int32_t t4j_rms_norm(const float *x, const float *r, float *sum_out, float *y,
                     const float *gamma, int64_t rows, int64_t cols, float eps);

/*
 * Masked softmax over the last axis of x: [B, H, S, T] (contiguous):
 *   y[b,h,i,:] = softmax(scale * x[b,h,i,:] + mask[b,h,i,:])
 * where masked positions are excluded:
 *   - keys j < key_start[b] or j >= key_len[b] (either array may be NULL),
 *   - with causal != 0, keys j > i + (T - S) (queries are the last S of T;
 *     causal needs S <= T).
 * mask (may be NULL) is additive, addressed as
 *   mask[b * mask_stride_b + h * mask_stride_h + i * mask_stride_s + j]
 * so a stride of 0 broadcasts. A row with no visible key yields zeros.
 * y may alias x.
 */
typedef struct t4j_softmax_params {
    int64_t batch;          /* B */
    int64_t heads;          /* H */
    int64_t rows;           /* S */
    int64_t cols;           /* T */
    float scale;            /* multiplies x before the mask is added */
    int32_t causal;         /* nonzero: causal masking, queries aligned to the last keys */
    const float *mask;      /* additive mask or NULL */
    int64_t mask_stride_b;  /* elements between batches of mask (0: broadcast) */
    int64_t mask_stride_h;  /* elements between heads of mask (0: broadcast) */
    int64_t mask_stride_s;  /* elements between rows of mask (0: broadcast) */
    const int32_t *key_start; /* [B] first visible key, or NULL (0) */
    const int32_t *key_len;   /* [B] one past the last visible key, or NULL (T) */
} t4j_softmax_params;

int32_t t4j_softmax(const t4j_softmax_params *p, const float *x, float *y);

/*
 * Fused multi-head attention forward:
 *   out = softmax(scale * q k^T + bias + mask) v
 * computed tile by tile with an online softmax; the S x T score matrix is
 * never materialised. Layouts (strides in elements, head_dim contiguous):
 *   q   [B, S, H, D]   q[b*q_stride_b + s*q_stride_s + h*q_stride_h + d]
 *   k,v [B, T, K, D]   likewise with kv strides (a KV cache of capacity
 *                      Tmax > T is addressed by its own batch stride)
 *   out [B, S, H, D]   likewise with out strides
 * Query head h reads key/value head h / (H / K) (grouped-query attention).
 * Query i sits at absolute position T - S + i (decoding against a cache).
 * Visible keys for batch b, query i at position P:
 *   key_start[b] <= j < key_len[b]           (NULL arrays: 0 and T)
 *   causal:  j <= P
 *   window > 0:  P - j < window              (sliding-window / local attention)
 * bias (may be NULL), additive, addressed as
 *   bias[b*bias_stride_b + h*bias_stride_h + i*bias_stride_s + j]
 * (T5 position bias [H, S, T] has bias_stride_b = 0; an additive mask
 * [B, 1, S, T] has bias_stride_h = 0). A query with no visible key yields
 * zeros. out must not alias q, k or v.
 */
typedef struct t4j_attention_params {
    int64_t batch;        /* B */
    int64_t q_len;        /* S */
    int64_t kv_len;       /* T; S <= T when causal or windowed */
    int64_t heads;        /* H */
    int64_t kv_heads;     /* K, H % K == 0 */
    int64_t head_dim;     /* D */
    float scale;          /* 1/sqrt(D) for BERT; 1.0 for T5 and GPT-Neo */
    int32_t causal;       /* nonzero: causal mask */
    int32_t window;       /* > 0: sliding window length, 0: none */
    int64_t q_stride_b, q_stride_s, q_stride_h;
    int64_t k_stride_b, k_stride_s, k_stride_h;
    int64_t v_stride_b, v_stride_s, v_stride_h;
    int64_t out_stride_b, out_stride_s, out_stride_h;
    const float *bias;    /* additive bias or NULL */
    int64_t bias_stride_b, bias_stride_h, bias_stride_s;
    const int32_t *key_start; /* [B] or NULL */
    const int32_t *key_len;   /* [B] or NULL */
} t4j_attention_params;

int32_t t4j_attention(const t4j_attention_params *p, const float *q, const float *k,
                      const float *v, float *out);

/* Elementwise sum y = a + b over n values; y may alias a or b. */
int32_t t4j_add(const float *a, const float *b, float *y, int64_t n);

/* Elementwise activations over n values; y may alias x. */
#define T4J_ACT_NONE 0
#define T4J_ACT_GELU 1       /* x/2 (1 + erf(x/sqrt 2)) */
#define T4J_ACT_GELU_TANH 2  /* x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))) */
#define T4J_ACT_RELU 3
#define T4J_ACT_SILU 4       /* x sigmoid(x) */

int32_t t4j_activation(int32_t act, const float *x, float *y, int64_t n);

/*
 * Bias add fused with an activation, after a GEMM:
 *   y[r, c] = act(x[r, c] + bias[c])    x, y: [rows, cols]; bias: [cols] or NULL
 * y may alias x.
 */
int32_t t4j_bias_act(int32_t act, const float *x, const float *bias, float *y,
                     int64_t rows, int64_t cols);

/*
 * Gated activation (SwiGLU with T4J_ACT_SILU, gated GELU with T4J_ACT_GELU
 * or T4J_ACT_GELU_TANH):  y[r, c] = act(gate[r, c]) * up[r, c]
 * gate, up, y: [rows, cols] with row strides (elements) gate_stride,
 * up_stride, y_stride, so a fused [rows, 2F] projection can be split in place.
 * y may alias gate or up.
 */
int32_t t4j_gated_act(int32_t act, const float *gate, int64_t gate_stride,
                      const float *up, int64_t up_stride, float *y, int64_t y_stride,
                      int64_t rows, int64_t cols);

/*
 * Rotary position embedding, Llama convention (rotate half), in place on
 * x: [B, S, N, D] with strides (elements) stride_b, stride_s, stride_h.
 * Position of x[b, s] is positions[b * S + s]. For i < rot_dim / 2:
 *   a = x[i], c = x[i + rot_dim/2], f = (float) pos * inv_freq[i]  (a float32 product)
 *   x[i] = a cos f - c sin f;  x[i + rot_dim/2] = c cos f + a sin f
 * inv_freq: rot_dim / 2 inverse frequencies (theta^(-2i / rot_dim) unscaled; rope scaling
 * changes them). Dimensions from rot_dim to D are left unchanged (partial rotary).
 */
int32_t t4j_rope(float *x, int64_t batch, int64_t seq, int64_t heads, int64_t head_dim,
                 int64_t stride_b, int64_t stride_s, int64_t stride_h,
                 const int64_t *positions, int64_t rot_dim, const float *inv_freq);

/*
 * Embedding row gather: out[i, :] = table[ids[i], :]
 * table: [V, C]; ids: [n]; out: [n, C]. Fails with T4J_ERR_SIZE if any id
 * is outside [0, V) before writing anything.
 */
int32_t t4j_embedding(const float *table, int64_t vocab, int64_t cols, const int64_t *ids,
                      int64_t n, float *out);

/*
 * Copies n bytes from src to dst (the ranges must not overlap) with every
 * thread: for KV-cache moves, and the bandwidth ceiling benchmarks use.
 */
int32_t t4j_copy(void *dst, const void *src, int64_t n);

/*
 * Built-in blocked GEMM, used when no BLAS library is available. Row-major:
 *   C = alpha * op(A) op(B) + beta * C
 * op(A): [M, K], op(B): [K, N], C: [M, N]; trans_a / trans_b nonzero means
 * A is stored [K, M] / B is stored [N, K]. lda, ldb, ldc are row strides.
 * With beta == 0, C is not read (NaN in C does not propagate).
 */
int32_t t4j_sgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k,
                  float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                  float beta, float *c, int64_t ldc);

/*
 * The same product through an external CBLAS sgemm (for example OpenBLAS's
 * cblas_sgemm, set to one thread): the product is split into column or row
 * blocks, one per kernel thread, each computed by one call, so that BLAS and
 * the other kernels share one thread pool. cblas_sgemm has the standard
 * signature; NULL means the built-in GEMM. Sizes and strides must fit in
 * 32 bits (T4J_ERR_SIZE otherwise).
 */
int32_t t4j_sgemm_with(const void *cblas_sgemm, int32_t trans_a, int32_t trans_b, int64_t m,
                       int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                       const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

/*
 * A linear layer through an external CBLAS sgemm:  c = act(a w^T + bias)
 * a: [M, K] row stride lda, w: [N, K] row stride ldw, bias: [N] or NULL,
 * c: [M, N] row stride ldc (must not overlap a or w). Split as t4j_sgemm_with;
 * each thread writes the bias into its block of c, adds the product to it
 * (BLAS's beta = 1: no pass that zeroes c first) and applies the activation to
 * the block while it is still in its cache. cblas_sgemm NULL: the built-in
 * GEMM, then bias and activation. Sizes as t4j_sgemm_with.
 */
int32_t t4j_linear_with(const void *cblas_sgemm, int64_t m, int64_t n, int64_t k, const float *a,
                        int64_t lda, const float *w, int64_t ldw, const float *bias, int32_t act,
                        float *c, int64_t ldc);

/*
 * A linear layer on weights packed once:  c = act(a w^T + bias)
 * w [N, K] (the layer's weight) is packed at load, so no product packs it
 * again; bias and activation are applied to each output tile as it finishes.
 * t4j_packed_bytes gives the buffer size (use a 64-byte aligned buffer),
 * t4j_pack_weights fills it (with the instruction set in use, recorded in the
 * buffer), t4j_linear_packed computes: a: [M, K] row stride lda, bias: [N] or
 * NULL, c: [M, N] row stride ldc (must not overlap a). T4J_ERR_SIZE if n or k
 * differ from the packing.
 */
int64_t t4j_packed_bytes(int64_t n, int64_t k);
int32_t t4j_pack_weights(const float *w, int64_t n, int64_t k, int64_t ldw, void *dst);
int32_t t4j_linear_packed(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const void *packed,
                          const float *bias, int32_t act, float *c, int64_t ldc);

/*
 * bfloat16 weights: the upper 16 bits of a float32, half the bytes to read; each is widened to
 * float32 as it is loaded, so products, sums and outputs are float32 as elsewhere.
 * t4j_linear_bf16: c = act(a w^T + bias) with w [N, K] bfloat16 of row stride ldw (elements), the
 * rest as t4j_linear_with; w is streamed once per four rows of a (for decoding and other short
 * inputs). For more rows, pack w once with t4j_pack_weights_bf16 (as t4j_pack_weights, into a
 * buffer of t4j_packed_bytes, widening) and call t4j_linear_packed.
 * t4j_embedding_bf16: out[i, :] = table[ids[i], :] widened to float32, as t4j_embedding.
 */
int32_t t4j_linear_bf16(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const uint16_t *w,
                        int64_t ldw, const float *bias, int32_t act, float *c, int64_t ldc);
int32_t t4j_pack_weights_bf16(const uint16_t *w, int64_t n, int64_t k, int64_t ldw, void *dst);
int32_t t4j_embedding_bf16(const uint16_t *table, int64_t vocab, int64_t cols, const int64_t *ids,
                           int64_t n, float *out);

/*
 * int8 linear layers: integer products, float32 outside them.
 *
 * Weights w [N, K] are quantized symmetrically per output channel (per row of w), by
 * t4j_quantize_weights_int8 (all values finite, else T4J_ERR_VALUE before anything is written):
 *   scale[n] = max_k |w[n, k]| / 127        (1 where that is below FLT_MIN: a zero row)
 *   q[n, k]  = clamp(rint(w[n, k] / scale[n]), -127, 127)      (rint: to nearest even)
 * q: [N, K] int8 of row stride ldq, scale: [N]. This is ONNX Runtime's per-channel symmetric int8
 * quantization; the packing accepts any int8 values (ONNX Runtime's reduce-range files use -64..64).
 * Kept in a safetensors file as two tensors per layer: NAME (dtype I8, shape [N, K], row n the
 * quantized output channel n, whatever orientation the float tensor had) and NAME_scale (F32,
 * [N]); the weight row sums the product needs are computed at packing, not stored.
 *
 * Activations are quantized on the fly to uint8 with a zero point, as ONNX's DynamicQuantizeLinear
 * computes it, over each row (t4j_linear_int8) or over what the caller chooses (t4j_quantize_u8):
 *   lo = min(0, min a), hi = max(0, max a)
 *   scale = hi == lo ? 1 : (hi - lo) / 255              (1 also where that is below FLT_MIN)
 *   zp = rint(clamp(0 - lo / scale, 0, 255))
 *   q[r, k] = rint(clamp(a[r, k] / scale, -zp, 255 - zp)) + zp
 * A row (or tensor) holding NaN or infinity gets scale NaN, zero point 0 and q = 0: its outputs
 * are NaN.
 *
 * The product, exact in int32 (K at most 65536), then float32:
 *   acc[m, n] = sum_k (q_a[m, k] - zp[m]) q_w[n, k]
 *   c[m, n] = act((float) acc[m, n] * (a_scale[m] * w_scale[n]) + bias[n])
 * with AVX-512 VNNI (vpdpbusd) where the CPU has it and the instruction set in use is AVX-512, the
 * same sums from vpmaddwd on AVX2, plain C otherwise: every path computes the same integers.
 *
 * t4j_quantize_weights_int8: as above; q and scale are the caller's.
 * t4j_quantize_u8: a [M, K] of row stride lda into q [M, K] of row stride ldq (bytes past K in a
 *   row are not written), scale [M] and zero_point [M]: per row, or with per_tensor nonzero one
 *   scale and zero point over all of a (written for every row), as DynamicQuantizeLinear.
 * t4j_packed_int8_bytes: the size of a packing of [N, K] weights (K <= 65536, else -T4J_ERR_SIZE);
 *   use a 64-byte aligned buffer. One layout for every instruction set: a 64-byte header, the
 *   scales and weight row sums padded to N rounded up to 16, then panels of 16 output channels,
 *   each whole over K in groups of four along K (64 bytes a group), zero-padded.
 * t4j_pack_weights_int8: packs q [N, K] (row stride ldq) with its scales [N] (finite, else
 *   T4J_ERR_VALUE).
 * t4j_linear_int8: c = act(a w^T + bias) as above, a [M, K] float32 of row stride lda quantized
 *   per row, bias [N] or NULL, c [M, N] of row stride ldc (must not overlap a). Weights are read
 *   once per call whatever M is: decoding steps stream them at memory bandwidth.
 * t4j_linear_int8_quantized: the same from activations already quantized (q [M, K] of row stride
 *   ldq with scale [M] and zero_point [M] in 0..255, else T4J_ERR_VALUE): for graphs that quantize
 *   per tensor (t4j_quantize_u8 with per_tensor) as ONNX Runtime's do.
 * T4J_ERR_SIZE where n or k differ from the packing.
 */
int32_t t4j_quantize_weights_int8(const float *w, int64_t n, int64_t k, int64_t ldw, int8_t *q, int64_t ldq,
                                  float *scale);
int32_t t4j_quantize_u8(const float *a, int64_t m, int64_t k, int64_t lda, int32_t per_tensor, uint8_t *q,
                        int64_t ldq, float *scale, int32_t *zero_point);
int64_t t4j_packed_int8_bytes(int64_t n, int64_t k);
int32_t t4j_pack_weights_int8(const int8_t *q, int64_t n, int64_t k, int64_t ldq, const float *scale, void *dst);
int32_t t4j_linear_int8(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const void *packed,
                        const float *bias, int32_t act, float *c, int64_t ldc);
int32_t t4j_linear_int8_quantized(int64_t m, int64_t n, int64_t k, const uint8_t *q, int64_t ldq,
                                  const float *scale, const int32_t *zero_point, const void *packed,
                                  const float *bias, int32_t act, float *c, int64_t ldc);

/*
 * bfloat16 arithmetic for products of many rows (encoders, prefill):  c = act(bf16(a) w^T + bias)
 * w [N, K] bfloat16 (row stride ldw, elements) packed once by t4j_pack_weights_bf16dot into a
 * buffer of t4j_packed_bf16dot_bytes (64-byte aligned); a [M, K] float32 (row stride lda) is rounded
 * to bfloat16 at the product's input only (to nearest even; denormals to zero, as the hardware
 * does); sums, bias, activation and c [M, N] (row stride ldc, not overlapping a) are float32.
 * With AVX-512 BF16 (and AVX-512 the instruction set in use at packing): vdpbf16ps, each product of
 * two bfloat16 exact, added in pairs to float32 sums (bfloat16 denormals read as zero).
 * Otherwise (the packing records which): the float32 packed product of the instruction set in use
 * (t4j_linear_packed) on the weights widened to float32 and the rounded activations: the same exact
 * products, summed in float32 in another order (results differ in the last bits, not by rounding
 * either input differently), at the float32 rate and twice the weight memory.
 * The packed size depends on the instruction set in use, as t4j_packed_bytes. T4J_ERR_SIZE where n
 * or k differ from the packing, or the packing needs an instruction set the CPU lacks.
 */
int64_t t4j_packed_bf16dot_bytes(int64_t n, int64_t k);
int32_t t4j_pack_weights_bf16dot(const uint16_t *w, int64_t n, int64_t k, int64_t ldw, void *dst);
int32_t t4j_linear_bf16dot(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const void *packed,
                           const float *bias, int32_t act, float *c, int64_t ldc);

/* What the int8 and bfloat16-dot products use at the instruction set in use (bits below). */
#define T4J_CPU_INT8_VNNI 1 /* int8: AVX-512 VNNI (else vpmaddwd on AVX2, or plain C) */
#define T4J_CPU_BF16_DOT 2  /* bfloat16 dot: AVX-512 BF16 (else the float32 product) */

int32_t t4j_cpu_features(void);

#ifdef __cplusplus
}
#endif

#endif /* T4J_H */
