/*
 * t4j_lowp.c: the entry points of the int8 and bfloat16-dot linear layers (t4j.h): argument
 * checks, quantization, packing, and the choice of kernels by what the CPU has and t4j_set_isa.
 *   int8:    vnni512 where the instruction set in use is AVX-512 and the CPU has AVX-512 VNNI (with
 *            BW and VL), avx2 from AVX2 up, scalar below (int8.c). One packed layout serves all.
 *   bf16dot: vdpbf16ps where the instruction set in use is AVX-512 and the CPU has AVX-512 BF16
 *            (bf16dot.c); otherwise the float32 packed product of the instruction set in use, on
 *            weights widened at packing and activations rounded to bfloat16 first. The packing
 *            records which of the two it holds.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "kernels.h"
#include "t4j.h"

/* The header of a packed int8 or bfloat16-dot buffer: 64 bytes, so what follows stays aligned. */
typedef struct {
    int32_t magic, layout, isa, reserved;
    int64_t n, k;
    char pad[32];
} lowp_header;

_Static_assert(sizeof(lowp_header) == 64, "lowp_header is 64 bytes");

#define LOWP_MAGIC 0x7434514c
enum { LAYOUT_INT8 = 1, LAYOUT_BF16DOT = 2, LAYOUT_BF16_AS_F32 = 3 };

#define INT8_MAX_K 65536 /* sums of K products of 255 and 128 still fit in int32 */
#define PANEL 16

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
static int act_ok(int32_t act) { return act >= T4J_ACT_NONE && act <= T4J_ACT_SILU; }

/* ------------------------------------------------------------------ dispatch */

static int cpu_has_vnni512(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

static int cpu_has_bf16(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

int32_t t4j_cpu_features(void) {
    int avx512 = t4j_isa() >= T4J_ISA_AVX512;
    return (avx512 && cpu_has_vnni512() ? T4J_CPU_INT8_VNNI : 0) | (avx512 && cpu_has_bf16() ? T4J_CPU_BF16_DOT : 0);
}

static const t4j_int8_kernels *int8_kernels(void) {
#if defined(__x86_64__) || defined(__i386__)
    int32_t isa = t4j_isa();
    if (isa >= T4J_ISA_AVX512 && cpu_has_vnni512()) return &t4j_int8_kernels_vnni512;
    if (isa >= T4J_ISA_AVX2) return &t4j_int8_kernels_avx2;
#endif
    return &t4j_int8_kernels_scalar;
}

static int bf16dot_native(void) { return (t4j_cpu_features() & T4J_CPU_BF16_DOT) != 0; }

/* ------------------------------------------------------ weight quantization */

static int all_finite(const float *x, int64_t rows, int64_t cols, int64_t ld) {
    int bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad) if (rows * cols > 65536)
    for (int64_t r = 0; r < rows; r++) {
        float z = 0.0f; /* stays 0 unless a value is NaN or infinite */
        for (int64_t c = 0; c < cols; c++) z += x[r * ld + c] * 0.0f;
        bad |= z != 0.0f;
    }
    return !bad;
}

int32_t t4j_quantize_weights_int8(const float *w, int64_t n, int64_t k, int64_t ldw, int8_t *q, int64_t ldq,
                                  float *scale) {
    t4j_cpu_apply_threads();
    if (!w || !q || !scale) return T4J_ERR_NULL;
    if (n < 1 || k < 1 || ldw < k || ldq < k) return T4J_ERR_SIZE;
    if (!all_finite(w, n, k, ldw)) return T4J_ERR_VALUE;
#pragma omp parallel for schedule(static) if (n * k > 65536)
    for (int64_t r = 0; r < n; r++) {
        const float *row = w + r * ldw;
        float mx = 0.0f;
        for (int64_t c = 0; c < k; c++) mx = fabsf(row[c]) > mx ? fabsf(row[c]) : mx;
        float s = mx / 127.0f;
        if (!(s >= FLT_MIN)) s = 1.0f; /* a zero row (or one of denormals): all its values quantize to 0 */
        for (int64_t c = 0; c < k; c++) {
            float v = rintf(row[c] / s);
            q[r * ldq + c] = (int8_t)(v < -127.0f ? -127.0f : v > 127.0f ? 127.0f : v);
        }
        scale[r] = s;
    }
    return T4J_OK;
}

/* ------------------------------------------------- activation quantization */

/* Scale and zero point from a range that includes 0, as ONNX's DynamicQuantizeLinear computes them. */
static void u8_params(float lo, float hi, int finite, float *scale, int32_t *zp) {
    if (!finite) {
        *scale = NAN;
        *zp = 0;
        return;
    }
    float s = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    if (!(s >= FLT_MIN)) s = 1.0f; /* a range too small for a normal scale: all values quantize to the zero point 0 */
    float z = 0.0f - lo / s;
    z = z < 0.0f ? 0.0f : z > 255.0f ? 255.0f : z;
    *scale = s;
    *zp = (int32_t)rintf(z);
}

/*
 * Quantizes rows of a with their own scales (per_tensor 0) or with one for all, into rows of ldq
 * bytes; bytes k..width of each row are zeroed (width k: none).
 */
static void quantize_rows(const float *a, int64_t m, int64_t k, int64_t lda, int32_t per_tensor, uint8_t *q,
                          int64_t ldq, int64_t width, float *scale, int32_t *zp) {
    const t4j_int8_kernels *kk = int8_kernels();
    float lo = 0.0f, hi = 0.0f;
    int finite = 1;
    for (int64_t r = 0; per_tensor && r < m; r++) {
        float l, h;
        finite &= kk->row_range(a + r * lda, k, &l, &h);
        lo = l < lo ? l : lo;
        hi = h > hi ? h : hi;
    }
#pragma omp parallel for schedule(static) if (m * k > 65536)
    for (int64_t r = 0; r < m; r++) {
        const float *row = a + r * lda;
        float l = lo, h = hi; /* shared by the threads: each row's own range in locals */
        int f = per_tensor ? finite : kk->row_range(row, k, &l, &h);
        u8_params(l, h, f, &scale[r], &zp[r]);
        if (scale[r] == scale[r]) kk->quantize_row(row, k, scale[r], zp[r], q + r * ldq);
        else memset(q + r * ldq, 0, (size_t)k); /* NaN or infinity in the row: its outputs are NaN */
        if (width > k) memset(q + r * ldq + k, 0, (size_t)(width - k));
    }
}

int32_t t4j_quantize_u8(const float *a, int64_t m, int64_t k, int64_t lda, int32_t per_tensor, uint8_t *q,
                        int64_t ldq, float *scale, int32_t *zero_point) {
    t4j_cpu_apply_threads();
    if (!a || !q || !scale || !zero_point) return T4J_ERR_NULL;
    if (m < 0 || k < 1 || lda < k || ldq < k) return T4J_ERR_SIZE;
    quantize_rows(a, m, k, lda, per_tensor, q, ldq, k, scale, zero_point);
    return T4J_OK;
}

/* ------------------------------------------------------------- int8 packing */

int64_t t4j_packed_int8_bytes(int64_t n, int64_t k) {
    if (n < 1 || k < 1 || k > INT8_MAX_K || n > ((int64_t)1 << 40)) return -T4J_ERR_SIZE;
    int64_t np = round_up(n, PANEL);
    return (int64_t)sizeof(lowp_header) + np * (int64_t)(sizeof(float) + sizeof(int32_t)) + np * round_up(k, 4);
}

/* The sections after the header: scales [Np], row sums [Np], then the panels. */
typedef struct {
    float *scale;
    int32_t *sum;
    int8_t *panels;
} int8_sections;

static int8_sections int8_layout(const lowp_header *h) {
    int64_t np = round_up(h->n, PANEL);
    char *base = (char *)(h + 1);
    return (int8_sections){(float *)base, (int32_t *)(base + np * 4), (int8_t *)(base + np * 8)};
}

int32_t t4j_pack_weights_int8(const int8_t *q, int64_t n, int64_t k, int64_t ldq, const float *scale, void *dst) {
    t4j_cpu_apply_threads();
    if (!q || !scale || !dst) return T4J_ERR_NULL;
    if (t4j_packed_int8_bytes(n, k) < 0 || ldq < k) return T4J_ERR_SIZE;
    if (!all_finite(scale, 1, n, n)) return T4J_ERR_VALUE;
    lowp_header *h = dst;
    memset(h, 0, sizeof *h);
    h->magic = LOWP_MAGIC;
    h->layout = LAYOUT_INT8;
    h->n = n;
    h->k = k;
    int8_sections s = int8_layout(h);
    int64_t panels = (n + PANEL - 1) / PANEL, groups = (k + 3) / 4;
#pragma omp parallel for schedule(static) if (n * k > 65536)
    for (int64_t p = 0; p < panels; p++) {
        int8_t *out = s.panels + p * groups * 64;
        for (int64_t j = 0; j < PANEL; j++) {
            int64_t r = p * PANEL + j;
            int32_t sum = 0;
            for (int64_t g = 0; g < groups; g++)
                for (int64_t t = 0; t < 4; t++) {
                    int64_t c = 4 * g + t;
                    int8_t v = r < n && c < k ? q[r * ldq + c] : 0;
                    out[g * 64 + 4 * j + t] = v;
                    sum += v;
                }
            s.scale[r] = r < n ? scale[r] : 0.0f;
            s.sum[r] = sum;
        }
    }
    return T4J_OK;
}

/* The packed buffer's header if it is an int8 packing of n x k, else NULL. */
static const lowp_header *int8_packing(const void *packed, int64_t n, int64_t k) {
    const lowp_header *h = packed;
    return h->magic == LOWP_MAGIC && h->layout == LAYOUT_INT8 && h->n == n && h->k == k ? h : NULL;
}

static int32_t linear_int8_args(int64_t m, int64_t n, int64_t k, const void *a, int64_t lda, const void *packed,
                                int32_t act, const float *c, int64_t ldc) {
    if (!a || !packed || !c) return T4J_ERR_NULL;
    if (m < 0 || n < 1 || k < 1 || lda < k || ldc < n || !act_ok(act)) return T4J_ERR_SIZE;
    return int8_packing(packed, n, k) ? T4J_OK : T4J_ERR_SIZE;
}

/* The product on rows quantized into qa (rows of round_up(k, 4) bytes, zeros past k). */
static int32_t int8_product(const t4j_int8_kernels *kk, int64_t m, int64_t n, int64_t k, const uint8_t *qa,
                            const float *a_scale, const int32_t *a_zp, const void *packed, const float *bias,
                            int32_t act, float *c, int64_t ldc) {
    int8_sections s = int8_layout(packed);
    return kk->linear(m, n, k, qa, round_up(k, 4), a_scale, a_zp, s.panels, s.scale, s.sum, bias, act, c, ldc,
                      t4j_cpu_kernels()->act_rows);
}

int32_t t4j_linear_int8(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const void *packed,
                        const float *bias, int32_t act, float *c, int64_t ldc) {
    t4j_cpu_apply_threads();
    int32_t status = linear_int8_args(m, n, k, a, lda, packed, act, c, ldc);
    if (status != T4J_OK || m == 0) return status;
    int64_t ldq = round_up(k, 4);
    uint8_t *qa = malloc((size_t)(m * ldq));
    float *scale = malloc((size_t)m * sizeof(float));
    int32_t *zp = malloc((size_t)m * sizeof(int32_t));
    status = qa && scale && zp ? T4J_OK : T4J_ERR_ALLOC;
    if (status == T4J_OK) {
        quantize_rows(a, m, k, lda, 0, qa, ldq, ldq, scale, zp);
        status = int8_product(int8_kernels(), m, n, k, qa, scale, zp, packed, bias, act, c, ldc);
    }
    free(qa);
    free(scale);
    free(zp);
    return status;
}

int32_t t4j_linear_int8_quantized(int64_t m, int64_t n, int64_t k, const uint8_t *q, int64_t ldq,
                                  const float *scale, const int32_t *zero_point, const void *packed,
                                  const float *bias, int32_t act, float *c, int64_t ldc) {
    t4j_cpu_apply_threads();
    int32_t status = linear_int8_args(m, n, k, q, ldq, packed, act, c, ldc);
    if (status == T4J_OK && (!scale || !zero_point)) status = T4J_ERR_NULL;
    if (status != T4J_OK || m == 0) return status;
    for (int64_t r = 0; r < m; r++)
        if (zero_point[r] < 0 || zero_point[r] > 255) return T4J_ERR_VALUE;
    /* rows copied into a buffer padded to groups of four: the kernels read four bytes at a time */
    int64_t ld = round_up(k, 4);
    uint8_t *qa = malloc((size_t)(m * ld));
    if (!qa) return T4J_ERR_ALLOC;
    for (int64_t r = 0; r < m; r++) {
        memcpy(qa + r * ld, q + r * ldq, (size_t)k);
        memset(qa + r * ld + k, 0, (size_t)(ld - k));
    }
    status = int8_product(int8_kernels(), m, n, k, qa, scale, zero_point, packed, bias, act, c, ldc);
    free(qa);
    return status;
}

/* ------------------------------------------------------------ bfloat16 dot */

/* float32 to bfloat16 as vcvtne2ps2bf16 rounds: to nearest even, denormals to signed zero, NaN kept quiet. */
static float round_bf16(float x) {
    uint32_t b;
    memcpy(&b, &x, 4);
    if ((b & 0x7f800000u) == 0) b &= 0x80000000u;
    else if ((b & 0x7fffffffu) > 0x7f800000u) b = (b | 0x00400000u) & 0xffff0000u;
    else b = (b + 0x7fffu + ((b >> 16) & 1u)) & 0xffff0000u;
    memcpy(&x, &b, 4);
    return x;
}

int64_t t4j_packed_bf16dot_bytes(int64_t n, int64_t k) {
    if (n < 1 || k < 1 || n > ((int64_t)1 << 40) || k > ((int64_t)1 << 30)) return -T4J_ERR_SIZE;
    if (bf16dot_native()) return (int64_t)sizeof(lowp_header) + round_up(n, PANEL) * round_up(k, 2) * 2;
    return (int64_t)sizeof(lowp_header) + t4j_cpu_kernels()->packed_floats(n, k) * (int64_t)sizeof(float);
}

int32_t t4j_pack_weights_bf16dot(const uint16_t *w, int64_t n, int64_t k, int64_t ldw, void *dst) {
    t4j_cpu_apply_threads();
    if (!w || !dst) return T4J_ERR_NULL;
    if (t4j_packed_bf16dot_bytes(n, k) < 0 || ldw < k) return T4J_ERR_SIZE;
    lowp_header *h = dst;
    memset(h, 0, sizeof *h);
    h->magic = LOWP_MAGIC;
    h->isa = t4j_isa();
    h->n = n;
    h->k = k;
    if (!bf16dot_native()) {
        h->layout = LAYOUT_BF16_AS_F32;
        t4j_cpu_kernels()->pack_weights_bf16(w, n, k, ldw, (float *)(h + 1));
        return T4J_OK;
    }
    h->layout = LAYOUT_BF16DOT;
    uint16_t *out = (uint16_t *)(h + 1);
    int64_t panels = (n + PANEL - 1) / PANEL, pairs = (k + 1) / 2;
#pragma omp parallel for schedule(static) if (n * k > 65536)
    for (int64_t p = 0; p < panels; p++)
        for (int64_t g = 0; g < pairs; g++)
            for (int64_t j = 0; j < PANEL; j++)
                for (int64_t t = 0; t < 2; t++) {
                    int64_t r = p * PANEL + j, c = 2 * g + t;
                    out[(p * pairs + g) * 32 + 2 * j + t] = r < n && c < k ? w[r * ldw + c] : 0;
                }
    return T4J_OK;
}

/* Without vdpbf16ps: a rounded to bfloat16, widened, through the float32 packed product. */
static int32_t bf16dot_fallback(const lowp_header *h, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                                const float *bias, int32_t act, float *c, int64_t ldc) {
    float *ar = aligned_alloc(64, (size_t)round_up(m * k * (int64_t)sizeof(float), 64));
    if (!ar) return T4J_ERR_ALLOC;
#pragma omp parallel for schedule(static) if (m * k > 65536)
    for (int64_t r = 0; r < m; r++)
        for (int64_t x = 0; x < k; x++) ar[r * k + x] = round_bf16(a[r * lda + x]);
    t4j_cpu_kernels_for(h->isa)->linear_packed(m, n, k, ar, k, (const float *)(h + 1), bias, act, c, ldc);
    free(ar);
    return T4J_OK;
}

int32_t t4j_linear_bf16dot(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const void *packed,
                           const float *bias, int32_t act, float *c, int64_t ldc) {
    t4j_cpu_apply_threads();
    if (!a || !packed || !c) return T4J_ERR_NULL;
    if (m < 0 || lda < k || ldc < n || !act_ok(act)) return T4J_ERR_SIZE;
    const lowp_header *h = packed;
    if (h->magic != LOWP_MAGIC || h->n != n || h->k != k) return T4J_ERR_SIZE;
    if (m == 0) return T4J_OK;
    if (h->layout == LAYOUT_BF16_AS_F32 && h->isa >= 0 && h->isa <= t4j_cpu_best_isa())
        return bf16dot_fallback(h, m, n, k, a, lda, bias, act, c, ldc);
#if defined(__x86_64__) || defined(__i386__)
    if (h->layout == LAYOUT_BF16DOT && cpu_has_bf16())
        return t4j_bf16dot_kernels_avx512bf16.linear(m, n, k, a, lda, (const uint16_t *)(h + 1), bias, act, c, ldc,
                                                     t4j_cpu_kernels()->act_rows);
#endif
    return T4J_ERR_SIZE; /* not a bfloat16-dot packing, or one this CPU cannot run */
}
