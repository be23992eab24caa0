/*
 * bf16dot.c: bfloat16 products on AVX-512 BF16 (t4j.h, t4j_linear_bf16dot), compiled for that
 * instruction set only (CMakeLists.txt, T4J_LOWP_UNITS); without it, t4j_lowp.c takes the float32
 * product instead.
 *
 * vdpbf16ps adds two bfloat16 products to each float32 lane (products exact, sums rounded to
 * float32, denormal inputs and results read and written as zero). Activations are rounded to
 * bfloat16 (vcvtne2ps2bf16: to nearest even, denormals to zero) into a scratch buffer, ld_a values
 * a row, zeros past K. Weights come packed by t4j_pack_weights_bf16dot: panels of 16 output
 * channels, each whole over K in pairs, 64 bytes a pair (channel j's two values at bytes
 * 4j..4j+3), K padded to even with a zero. Tasks, K blocks and epilogue as in int8.c, in float32.
 */
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "kernels.h"
#include "simd.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

#define RB 64       /* rows per task */
#define PG 4        /* panels per task */
#define PT 4        /* panels per register tile */
#define PANEL 16    /* output channels per panel */
#define KB_STEPS 64 /* pairs along K per block: 4 KB of each panel */
#define FEW_ROWS 4  /* rows per register tile; up to this many rows, panels are streamed with prefetching */
#define PREFETCH_BYTES 4096

/* R rows by P panels over `steps` pairs along K, as int8.c's tile(). */
ALWAYS_INLINE void tile(const int R, const int P, int64_t steps, const uint16_t *const a[FEW_ROWS],
                        const uint16_t *w, int64_t panel_elems, float *out, int64_t ldo, int add, int prefetch) {
    __m512 acc[FEW_ROWS][PT];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) acc[r][p] = _mm512_setzero_ps();
    for (int64_t s = 0; s < steps; s++) {
        __m512i wv[PT];
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
            const uint16_t *wp = w + p * panel_elems + s * 32;
            if (prefetch) __builtin_prefetch((const char *)wp + PREFETCH_BYTES);
            wv[p] = _mm512_loadu_si512(wp);
        }
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            int32_t pair;
            memcpy(&pair, a[r] + 2 * s, 4);
            __m512bh av = (__m512bh)_mm512_set1_epi32(pair);
#pragma GCC unroll 4
            for (int p = 0; p < P; p++) acc[r][p] = _mm512_dpbf16_ps(acc[r][p], av, (__m512bh)wv[p]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
            float *dst = out + r * ldo + p * PANEL;
            __m512 v = add ? _mm512_add_ps(acc[r][p], _mm512_loadu_ps(dst)) : acc[r][p];
            _mm512_storeu_ps(dst, v);
        }
}

#define TILE_CASE(R, P)                                                                \
    case (R) * 8 + (P):                                                                \
        tile(R, P, steps, a, w, panel_elems, out, ldo, add, prefetch);                 \
        return;

static void tile_any(int rows, int panels, int64_t steps, const uint16_t *const a[FEW_ROWS], const uint16_t *w,
                     int64_t panel_elems, float *out, int64_t ldo, int add, int prefetch) {
    switch (rows * 8 + panels) {
        TILE_CASE(1, 1) TILE_CASE(2, 1) TILE_CASE(3, 1) TILE_CASE(4, 1)
        TILE_CASE(1, 2) TILE_CASE(2, 2) TILE_CASE(3, 2) TILE_CASE(4, 2)
        TILE_CASE(1, 3) TILE_CASE(2, 3) TILE_CASE(3, 3) TILE_CASE(4, 3)
        TILE_CASE(1, 4) TILE_CASE(2, 4) TILE_CASE(3, 4) TILE_CASE(4, 4)
    default: return;
    }
}

typedef struct {
    int64_t m, n, steps, ld_a;
    const uint16_t *a;
    const uint16_t *w;
    const float *bias;
    int32_t act;
    float *c;
    int64_t ldc;
    t4j_act_rows_fn act_rows;
} job;

static void epilogue(const job *j, int64_t r0, int64_t rows, int64_t c0, int64_t cols, const float *acc) {
    const int64_t ldo = PG * PANEL;
    for (int64_t r = 0; r < rows; r++) {
        const float *src = acc + r * ldo;
        float *dst = j->c + (r0 + r) * j->ldc + c0;
        int64_t x = 0;
        for (; x + VW <= cols; x += VW) vstore(dst + x, j->bias ? vload(src + x) + vload(j->bias + c0 + x) : vload(src + x));
        for (; x < cols; x++) dst[x] = j->bias ? src[x] + j->bias[c0 + x] : src[x];
    }
    if (j->act != T4J_ACT_NONE) j->act_rows(j->act, j->c + r0 * j->ldc + c0, j->ldc, rows, cols);
}

static void run_task(const job *j, int64_t r0, int64_t rows, int64_t p0, int64_t p1, float *acc) {
    const int64_t ldo = PG * PANEL, panel_elems = j->steps * 32;
    int prefetch = j->m <= FEW_ROWS;
    for (int64_t s0 = 0; s0 < j->steps; s0 += KB_STEPS) {
        int64_t steps = j->steps - s0 < KB_STEPS ? j->steps - s0 : KB_STEPS;
        for (int64_t r = 0; r < rows; r += FEW_ROWS) {
            int nr = rows - r < FEW_ROWS ? (int)(rows - r) : FEW_ROWS;
            const uint16_t *a[FEW_ROWS];
            for (int i = 0; i < FEW_ROWS; i++) a[i] = j->a + (r0 + r + (i < nr ? i : 0)) * j->ld_a + 2 * s0;
            for (int64_t p = p0; p < p1; p += PT) {
                int np = p1 - p < PT ? (int)(p1 - p) : PT;
                tile_any(nr, np, steps, a, j->w + p * panel_elems + s0 * 32, panel_elems,
                         acc + r * ldo + (p - p0) * PANEL, ldo, s0 > 0, prefetch);
            }
        }
    }
    int64_t c0 = p0 * PANEL, c1 = p1 * PANEL < j->n ? p1 * PANEL : j->n;
    epilogue(j, r0, rows, c0, c1 - c0, acc);
}

/* Row r of a rounded to bfloat16 into dst[0..ld): 32 values an instruction, zeros past k. */
static void round_row(const float *a, int64_t k, uint16_t *dst, int64_t ld) {
    for (int64_t c = 0; c < ld; c += 32) {
        int64_t left = k - c;
        __mmask16 m0 = left >= 16 ? 0xffff : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
        __mmask16 m1 = left >= 32 ? 0xffff : left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0;
        __m512 lo = _mm512_maskz_loadu_ps(m0, a + c), hi = _mm512_maskz_loadu_ps(m1, a + c + 16);
        _mm512_storeu_si512(dst + c, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
}

static int32_t linear(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const uint16_t *w,
                      const float *bias, int32_t act, float *c, int64_t ldc, t4j_act_rows_fn act_rows) {
    int64_t ld_a = (k + 31) / 32 * 32;
    uint16_t *ar = aligned_alloc(64, (size_t)(m * ld_a) * sizeof(uint16_t));
    if (!ar) return T4J_ERR_ALLOC;
#pragma omp parallel for schedule(static) if (m * k > 65536)
    for (int64_t r = 0; r < m; r++) round_row(a + r * lda, k, ar + r * ld_a, ld_a);
    const job j = {m, n, (k + 1) / 2, ld_a, ar, w, bias, act, c, ldc, act_rows};
    int64_t panels = (n + PANEL - 1) / PANEL, row_tasks = (m + RB - 1) / RB, col_tasks = (panels + PG - 1) / PG;
    /* consecutive tasks share a block of rows, which stays in L2 while the weights pass by */
#pragma omp parallel for schedule(dynamic, 1) if (m * n * k > 100000)
    for (int64_t t = 0; t < row_tasks * col_tasks; t++) {
        float acc[RB * PG * PANEL] __attribute__((aligned(64)));
        int64_t r0 = (t / col_tasks) * RB, p0 = (t % col_tasks) * PG;
        run_task(&j, r0, m - r0 < RB ? m - r0 : RB, p0, p0 + PG < panels ? p0 + PG : panels, acc);
    }
    free(ar);
    return T4J_OK;
}

const t4j_bf16dot_kernels t4j_bf16dot_kernels_avx512bf16 = {
    .linear = linear,
};
