/*
 * kernels.h: the table of CPU kernels, one instance per instruction set.
 * Arguments arrive here already checked by the entry points in t4j_cpu.c.
 */
#ifndef T4J_KERNELS_H
#define T4J_KERNELS_H

#include "t4j.h"

/*
 * Every float kernel of one instruction set, once: X(return type, name, (parameters)). This list
 * makes the table's slots (below), the kernels' declarations and the table each variant fills
 * (variant.h, kernels.c); a kernel itself lives in its family's file (norms.c, softmax.c, ...).
 */
#define T4J_CPU_KERNELS(X)                                                                             \
    X(void, layer_norm, (const float *x, const float *r, float *sum_out, float *y, const float *gamma,  \
                         const float *beta, int64_t rows, int64_t cols, float eps, int rms))            \
    X(int32_t, softmax, (const t4j_softmax_params *p, const float *x, float *y))                       \
    X(int32_t, attention, (const t4j_attention_params *p, const float *q, const float *k,              \
                           const float *v, float *out))                                                \
    X(void, bias_act, (int32_t act, const float *x, const float *bias, float *y, int64_t rows,          \
                       int64_t cols))                                                                  \
    /* y = act(y) in place on rows x cols of row stride ldy, in the calling thread */                  \
    X(void, act_rows, (int32_t act, float *y, int64_t ldy, int64_t rows, int64_t cols))                \
    X(void, gated_act, (int32_t act, const float *gate, int64_t gate_stride, const float *up,          \
                        int64_t up_stride, float *y, int64_t y_stride, int64_t rows, int64_t cols))    \
    X(int32_t, sgemm, (int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, float alpha, \
                       const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, \
                       int64_t ldc))                                                                   \
    X(void, copy, (void *dst, const void *src, int64_t n))                                             \
    /* C = alpha A B^T + beta C for few rows of A (decoding, short inputs): B streamed, never packed */ \
    X(void, gemm_nt_small, (int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda, \
                            const float *b, int64_t ldb, float beta, float *c, int64_t ldc))           \
    /* C = A B^T with B bfloat16 (ldb in elements), as gemm_nt_small with alpha 1, beta 0 */           \
    X(void, gemm_nt_small_bf16, (int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,         \
                                 const uint16_t *b, int64_t ldb, float *c, int64_t ldc))               \
    X(void, add, (const float *a, const float *b, float *y, int64_t n))                                \
    /* packed weights (see t4j_pack_weights): floats needed, packing, and the product */               \
    X(int64_t, packed_floats, (int64_t n, int64_t k))                                                  \
    X(void, pack_weights, (const float *w, int64_t n, int64_t k, int64_t ldw, float *dst))             \
    X(void, pack_weights_bf16, (const uint16_t *w, int64_t n, int64_t k, int64_t ldw, float *dst))     \
    X(void, linear_packed, (int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,              \
                            const float *packed, const float *bias, int32_t act, float *c, int64_t ldc))

#define T4J_KERNEL_SLOT(ret, name, params) ret(*name) params;
typedef struct t4j_kernels {
    const char *name;
    T4J_CPU_KERNELS(T4J_KERNEL_SLOT)
} t4j_kernels;
#undef T4J_KERNEL_SLOT

extern const t4j_kernels t4j_kernels_avx512;
extern const t4j_kernels t4j_kernels_avx2;
extern const t4j_kernels t4j_kernels_scalar;

/* The float table of the instruction set in use, or of a given one (t4j_cpu.c). */
const t4j_kernels *t4j_cpu_kernels(void);
const t4j_kernels *t4j_cpu_kernels_for(int32_t isa);
/* The best instruction set the CPU has (T4J_ISA_*), whatever t4j_set_isa forced. */
int32_t t4j_cpu_best_isa(void);
/* Applies t4j_set_num_threads's count to the calling thread (OpenMP keeps it per thread); every
 * entry point that starts parallel work calls it first. */
void t4j_cpu_apply_threads(void);

/* y = act(y) on rows x cols of row stride ldy: the epilogue the low-precision products share */
typedef void (*t4j_act_rows_fn)(int32_t act, float *y, int64_t ldy, int64_t rows, int64_t cols);

/*
 * int8 kernels (int8.c), one instance per instruction set: vnni512 (AVX-512 VNNI), avx2, scalar.
 * Packed weights as t4j_pack_weights_int8 lays them out (t4j_lowp.c); qa holds m rows of ldq
 * bytes, ldq a multiple of 4 with zeros past K.
 */
typedef struct t4j_int8_kernels {
    const char *name;
    /* lo = min(0, min a), hi = max(0, max a) over a[0..k); returns 0 when a holds NaN or infinity */
    int (*row_range)(const float *a, int64_t k, float *lo, float *hi);
    /* q[c] = rint(clamp(a[c] / scale, -zp, 255 - zp)) + zp for c < k */
    void (*quantize_row)(const float *a, int64_t k, float scale, int32_t zp, uint8_t *q);
    /* c = act((float)(sum_k (qa - zp) w) * (a_scale w_scale) + bias); status T4J_OK or T4J_ERR_ALLOC */
    int32_t (*linear)(int64_t m, int64_t n, int64_t k, const uint8_t *qa, int64_t ldq, const float *a_scale,
                      const int32_t *a_zp, const int8_t *w, const float *w_scale, const int32_t *w_sum,
                      const float *bias, int32_t act, float *c, int64_t ldc, t4j_act_rows_fn act_rows);
} t4j_int8_kernels;

extern const t4j_int8_kernels t4j_int8_kernels_vnni512;
extern const t4j_int8_kernels t4j_int8_kernels_avx2;
extern const t4j_int8_kernels t4j_int8_kernels_scalar;

/*
 * bfloat16 products on vdpbf16ps (bf16dot.c, AVX-512 BF16 only): c = act(bf16(a) w^T + bias) with w
 * packed by t4j_pack_weights_bf16dot in its native layout. Status T4J_OK or T4J_ERR_ALLOC.
 */
typedef struct t4j_bf16dot_kernels {
    int32_t (*linear)(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const uint16_t *w,
                      const float *bias, int32_t act, float *c, int64_t ldc, t4j_act_rows_fn act_rows);
} t4j_bf16dot_kernels;

extern const t4j_bf16dot_kernels t4j_bf16dot_kernels_avx512bf16;

#endif
