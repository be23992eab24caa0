/*
 * int8.c: the integer products of int8 linear layers (t4j.h, t4j_linear_int8), compiled once per
 * instruction set (CMakeLists.txt, T4J_LOWP_UNITS) with T4J_VARIANT set to
 *   vnni512  AVX-512 VNNI: vpdpbusd adds four u8 x s8 products into each int32 lane;
 *   avx2     the same four-product sums from vpmaddwd on the even and on the odd bytes, exact
 *            (vpmaddubsw would saturate its 16-bit pair sums on 8-bit weights);
 *   scalar   plain C, no vector intrinsics.
 *
 * Weights come packed by t4j_pack_weights_int8 (t4j_lowp.c): panels of 16 output channels, each
 * whole over K in groups of four along K, 64 bytes a group (channel j's four weights at bytes
 * 4j..4j+3), K padded to a multiple of 4 with zeros. Activation rows come quantized to uint8 with
 * their zero points, ldq bytes apart (a multiple of 4; what lies past K is multiplied by zeros).
 *
 * A task is up to RB rows by PG panels. Its int32 sums stay in a task buffer while it walks K in
 * blocks of KB_STEPS groups, so the block of its panels (PG x 4 KB) stays in L1 for all its rows;
 * a few-row product (decoding) reads each panel once, start to end, prefetching ahead. Then the
 * epilogue: sums minus zero point x weight row sums, to float, scaled, bias, activation.
 */
#include <math.h>
#include <string.h>
#include <omp.h>

#include "kernels.h"

#if defined(__AVX2__)
#include "simd.h"
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(a) #a
#define STR(a) STR_(a)
#define ALWAYS_INLINE static inline __attribute__((always_inline))

#define RB 64               /* rows per task */
#define PG 4                /* panels per task */
#define PANEL 16            /* output channels per panel */
#define KB_STEPS 64         /* groups of four along K per block: 4 KB of each panel */
#define FEW_ROWS 4          /* up to this many rows, panels are streamed with prefetching */
#define PREFETCH_BYTES 4096 /* how far ahead in its panel a few-row product prefetches */

/* ------------------------------------------------- four-product dot steps */

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
#define PT 4 /* panels per register tile: 16 accumulators */
typedef __m512i acc_t;
typedef __m512i wv_t;
typedef __m512i av_t;
ALWAYS_INLINE acc_t acc_zero(void) { return _mm512_setzero_si512(); }
ALWAYS_INLINE wv_t w_load(const int8_t *w) { return _mm512_loadu_si512(w); }
ALWAYS_INLINE av_t a_load(const uint8_t *a) {
    int32_t x;
    memcpy(&x, a, 4);
    return _mm512_set1_epi32(x);
}
ALWAYS_INLINE acc_t dot4(acc_t acc, av_t a, wv_t w) { return _mm512_dpbusd_epi32(acc, a, w); }
ALWAYS_INLINE void acc_store(int32_t *dst, acc_t acc, int add) {
    if (add) acc = _mm512_add_epi32(acc, _mm512_loadu_si512(dst));
    _mm512_storeu_si512(dst, acc);
}
#elif defined(__AVX2__)
#define PT 1
typedef struct { __m256i lo, hi; } acc_t;
/* each 16-bit lane of a panel group holds two of a channel's weights: the even one sign-extended
 * from the low byte, the odd one from the high byte */
typedef struct { __m256i even_lo, odd_lo, even_hi, odd_hi; } wv_t;
typedef struct { __m256i even, odd; } av_t;
ALWAYS_INLINE acc_t acc_zero(void) { return (acc_t){_mm256_setzero_si256(), _mm256_setzero_si256()}; }
ALWAYS_INLINE wv_t w_load(const int8_t *w) {
    __m256i lo = _mm256_loadu_si256((const __m256i *)w), hi = _mm256_loadu_si256((const __m256i *)(w + 32));
    return (wv_t){_mm256_srai_epi16(_mm256_slli_epi16(lo, 8), 8), _mm256_srai_epi16(lo, 8),
                  _mm256_srai_epi16(_mm256_slli_epi16(hi, 8), 8), _mm256_srai_epi16(hi, 8)};
}
ALWAYS_INLINE av_t a_load(const uint8_t *a) {
    uint32_t x;
    memcpy(&x, a, 4);
    return (av_t){_mm256_set1_epi32((int32_t)(x & 0x00ff00ffu)), _mm256_set1_epi32((int32_t)((x >> 8) & 0x00ff00ffu))};
}
ALWAYS_INLINE acc_t dot4(acc_t acc, av_t a, wv_t w) {
    __m256i lo = _mm256_add_epi32(_mm256_madd_epi16(a.even, w.even_lo), _mm256_madd_epi16(a.odd, w.odd_lo));
    __m256i hi = _mm256_add_epi32(_mm256_madd_epi16(a.even, w.even_hi), _mm256_madd_epi16(a.odd, w.odd_hi));
    return (acc_t){_mm256_add_epi32(acc.lo, lo), _mm256_add_epi32(acc.hi, hi)};
}
ALWAYS_INLINE void acc_store(int32_t *dst, acc_t acc, int add) {
    if (add) {
        acc.lo = _mm256_add_epi32(acc.lo, _mm256_loadu_si256((const __m256i *)dst));
        acc.hi = _mm256_add_epi32(acc.hi, _mm256_loadu_si256((const __m256i *)(dst + 8)));
    }
    _mm256_storeu_si256((__m256i *)dst, acc.lo);
    _mm256_storeu_si256((__m256i *)(dst + 8), acc.hi);
}
#else
#define PT 1
typedef struct { int32_t v[PANEL]; } acc_t;
typedef const int8_t *wv_t;
typedef const uint8_t *av_t;
ALWAYS_INLINE acc_t acc_zero(void) { return (acc_t){{0}}; }
ALWAYS_INLINE wv_t w_load(const int8_t *w) { return w; }
ALWAYS_INLINE av_t a_load(const uint8_t *a) { return a; }
ALWAYS_INLINE acc_t dot4(acc_t acc, av_t a, wv_t w) {
    for (int j = 0; j < PANEL; j++)
        acc.v[j] += a[0] * w[4 * j] + a[1] * w[4 * j + 1] + a[2] * w[4 * j + 2] + a[3] * w[4 * j + 3];
    return acc;
}
ALWAYS_INLINE void acc_store(int32_t *dst, acc_t acc, int add) {
    for (int j = 0; j < PANEL; j++) dst[j] = add ? (int32_t)((uint32_t)dst[j] + (uint32_t)acc.v[j]) : acc.v[j];
}
#endif

/*
 * R rows by P panels over `steps` groups of four along K: out[r][16p + j] receives (add: adds)
 * row r's sums against channel j of panel p. Panel p starts panel_bytes after panel p - 1.
 * R and P are constants in each caller, so the loops unroll into registers.
 */
ALWAYS_INLINE void tile(const int R, const int P, int64_t steps, const uint8_t *const a[FEW_ROWS],
                        const int8_t *w, int64_t panel_bytes, int32_t *out, int64_t ldo, int add, int prefetch) {
    acc_t acc[FEW_ROWS][PT];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) acc[r][p] = acc_zero();
    for (int64_t s = 0; s < steps; s++) {
        wv_t wv[PT];
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
            const int8_t *wp = w + p * panel_bytes + s * 64;
            if (prefetch) __builtin_prefetch(wp + PREFETCH_BYTES);
            wv[p] = w_load(wp);
        }
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            av_t av = a_load(a[r] + 4 * s);
#pragma GCC unroll 4
            for (int p = 0; p < P; p++) acc[r][p] = dot4(acc[r][p], av, wv[p]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) acc_store(out + r * ldo + p * PANEL, acc[r][p], add);
}

#define TILE_CASE(R, P)                                                                \
    case (R) * 8 + (P):                                                                \
        tile(R, P, steps, a, w, panel_bytes, out, ldo, add, prefetch);                 \
        return;

/* tile() for rows 1..4 and panels 1..PT, each its own unrolled copy */
static void tile_any(int rows, int panels, int64_t steps, const uint8_t *const a[FEW_ROWS], const int8_t *w,
                     int64_t panel_bytes, int32_t *out, int64_t ldo, int add, int prefetch) {
    switch (rows * 8 + panels) {
        TILE_CASE(1, 1) TILE_CASE(2, 1) TILE_CASE(3, 1) TILE_CASE(4, 1)
#if PT == 4
        TILE_CASE(1, 2) TILE_CASE(2, 2) TILE_CASE(3, 2) TILE_CASE(4, 2)
        TILE_CASE(1, 3) TILE_CASE(2, 3) TILE_CASE(3, 3) TILE_CASE(4, 3)
        TILE_CASE(1, 4) TILE_CASE(2, 4) TILE_CASE(3, 4) TILE_CASE(4, 4)
#endif
    default: return;
    }
}

/* ------------------------------------------------------------ the product */

typedef struct {
    int64_t m, n, steps, ldq;
    const uint8_t *qa;
    const float *a_scale;
    const int32_t *a_zp;
    const int8_t *w;
    const float *w_scale;
    const int32_t *w_sum;
    const float *bias;
    int32_t act;
    float *c;
    int64_t ldc;
    t4j_act_rows_fn act_rows;
} job;

/* One output: (float)(sum - zp * row sum of w) * (a_scale * w_scale) + bias, in int32 wrapping arithmetic
 * (the true value fits: K is at most 65536). */
ALWAYS_INLINE float dequant(int32_t sum, int32_t zp, int32_t w_sum, float a_scale, float w_scale, const float *bias) {
    int32_t s = (int32_t)((uint32_t)sum - (uint32_t)zp * (uint32_t)w_sum);
    float v = (float)s * (a_scale * w_scale);
    return bias ? v + *bias : v;
}

/* Rows r0.. of the task buffer into c, columns c0..c0 + cols, then the activation while they are in cache. */
static void epilogue(const job *j, int64_t r0, int64_t rows, int64_t c0, int64_t cols, const int32_t *acc) {
    const int64_t ldo = PG * PANEL;
    for (int64_t r = 0; r < rows; r++) {
        const int32_t *src = acc + r * ldo;
        float *dst = j->c + (r0 + r) * j->ldc + c0;
        float sa = j->a_scale[r0 + r];
        int32_t zp = j->a_zp[r0 + r];
        int64_t x = 0;
#if defined(__AVX2__)
        typedef uint32_t vu __attribute__((vector_size(VW * 4), aligned(4)));
        for (; x + VW <= cols; x += VW) {
            vu s = *(const vu *)(src + x) - (uint32_t)zp * *(const vu *)(j->w_sum + c0 + x);
            vf v = __builtin_convertvector((vi)s, vf) * (sa * vload(j->w_scale + c0 + x));
            if (j->bias) v += vload(j->bias + c0 + x);
            vstore(dst + x, v);
        }
#endif
        for (; x < cols; x++)
            dst[x] = dequant(src[x], zp, j->w_sum[c0 + x], sa, j->w_scale[c0 + x], j->bias ? j->bias + c0 + x : NULL);
    }
    if (j->act != T4J_ACT_NONE) j->act_rows(j->act, j->c + r0 * j->ldc + c0, j->ldc, rows, cols);
}

/* Rows r0..r0 + rows by panels p0..p1, the whole of K, into c. */
static void run_task(const job *j, int64_t r0, int64_t rows, int64_t p0, int64_t p1, int32_t *acc) {
    const int64_t ldo = PG * PANEL, panel_bytes = j->steps * 64;
    int prefetch = j->m <= FEW_ROWS;
    for (int64_t s0 = 0; s0 < j->steps; s0 += KB_STEPS) {
        int64_t steps = j->steps - s0 < KB_STEPS ? j->steps - s0 : KB_STEPS;
        for (int64_t r = 0; r < rows; r += FEW_ROWS) {
            int nr = rows - r < FEW_ROWS ? (int)(rows - r) : FEW_ROWS;
            const uint8_t *a[FEW_ROWS];
            for (int i = 0; i < FEW_ROWS; i++) a[i] = j->qa + (r0 + r + (i < nr ? i : 0)) * j->ldq + 4 * s0;
            for (int64_t p = p0; p < p1; p += PT) {
                int np = p1 - p < PT ? (int)(p1 - p) : PT;
                tile_any(nr, np, steps, a, j->w + p * panel_bytes + s0 * 64, panel_bytes,
                         acc + r * ldo + (p - p0) * PANEL, ldo, s0 > 0, prefetch);
            }
        }
    }
    int64_t c0 = p0 * PANEL, c1 = p1 * PANEL < j->n ? p1 * PANEL : j->n;
    epilogue(j, r0, rows, c0, c1 - c0, acc);
}

static int32_t linear(int64_t m, int64_t n, int64_t k, const uint8_t *qa, int64_t ldq, const float *a_scale,
                      const int32_t *a_zp, const int8_t *w, const float *w_scale, const int32_t *w_sum,
                      const float *bias, int32_t act, float *c, int64_t ldc, t4j_act_rows_fn act_rows) {
    const job j = {m, n, (k + 3) / 4, ldq, qa, a_scale, a_zp, w, w_scale, w_sum, bias, act, c, ldc, act_rows};
    int64_t panels = (n + PANEL - 1) / PANEL, row_tasks = (m + RB - 1) / RB, col_tasks = (panels + PG - 1) / PG;
    /* consecutive tasks share a block of rows, which stays in L2 while the weights pass by */
#pragma omp parallel for schedule(dynamic, 1) if (m * n * k > 100000)
    for (int64_t t = 0; t < row_tasks * col_tasks; t++) {
        int32_t acc[RB * PG * PANEL] __attribute__((aligned(64)));
        int64_t r0 = (t / col_tasks) * RB, p0 = (t % col_tasks) * PG;
        run_task(&j, r0, m - r0 < RB ? m - r0 : RB, p0, p0 + PG < panels ? p0 + PG : panels, acc);
    }
    return T4J_OK;
}

/* ------------------------------------------------ activation quantization */

static int row_range(const float *a, int64_t k, float *lo, float *hi) {
    float l = 0.0f, h = 0.0f, z = 0.0f; /* z: 0 unless a value is NaN or infinite */
    int64_t c = 0;
#if defined(__AVX2__)
    vf vl = vset(0.0f), vh = vl, vz = vl;
    for (; c + VW <= k; c += VW) {
        vf v = vload(a + c);
        vl = vmin(vl, v);
        vh = vmax(vh, v);
        vz += v * 0.0f;
    }
    l = vhmin(vl);
    h = vhmax(vh);
    z = vhsum(vz);
#endif
    for (; c < k; c++) {
        l = a[c] < l ? a[c] : l;
        h = a[c] > h ? a[c] : h;
        z += a[c] * 0.0f;
    }
    *lo = l;
    *hi = h;
    return z == 0.0f;
}

static void quantize_row(const float *a, int64_t k, float scale, int32_t zp, uint8_t *q) {
    /* as ONNX Runtime: divide, clamp to the range the zero point leaves, round to nearest even, shift */
    const float lo = (float)-zp, hi = (float)(255 - zp);
    int64_t c = 0;
#if defined(__AVX512F__)
    for (; c + VW <= k; c += VW) {
        vf v = vmin(vmax(vload(a + c) / scale, vset(lo)), vset(hi));
        __m512i x = _mm512_add_epi32(_mm512_cvtps_epi32((__m512)v), _mm512_set1_epi32(zp));
        _mm_storeu_si128((__m128i *)(q + c), _mm512_cvtepi32_epi8(x));
    }
#elif defined(__AVX2__)
    for (; c + VW <= k; c += VW) {
        vf v = vmin(vmax(vload(a + c) / scale, vset(lo)), vset(hi));
        vi x = (vi)_mm256_cvtps_epi32((__m256)v) + zp;
        for (int e = 0; e < VW; e++) q[c + e] = (uint8_t)x[e];
    }
#endif
    for (; c < k; c++) {
        float v = a[c] / scale;
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        q[c] = (uint8_t)((int32_t)rintf(v) + zp);
    }
}

const t4j_int8_kernels CAT(t4j_int8_kernels_, T4J_VARIANT) = {
    .name = STR(T4J_VARIANT),
    .row_range = row_range,
    .quantize_row = quantize_row,
    .linear = linear,
};
