/*
 * gemm.c: matrix products and linear layers (t4j_sgemm, t4j_linear*, t4j_pack_weights*),
 * compiled once per instruction set (variant.h). Reference: t4j_ref_sgemm in native/ref/t4j_ref.c
 * (a linear layer is sgemm with B transposed, then bias and t4j_ref_act).
 *
 * sgemm       packed, blocked GEMM with a 4 x NV register tile (gemm_tile_rows).
 * small A B^T few rows against weights: 4 x 4 dot products, weights streamed.
 * packed      weights packed once; linear layers read A in place, run the whole of K on
 *             each block of the output and apply bias and activation to each tile (store_tile).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "variant.h"
#include "act.h"

#define MC 96
#define KC 256
#define NCB 2048

/*
 * c[4][TC] = sum over kc of a_r[kk] * bp[kk][0..TC), A rows read in place. With pf non-NULL,
 * `lines` cache lines from pf every PF_EVERY steps are prefetched towards L2: a slice of the
 * weight panel the next calls will read, whose first touch would otherwise stall on L3 or memory.
 */
#define PF_EVERY 4
static inline void gemm_tile_rows_pf(const float *const a[4], int64_t kc, const float *bp, float *c,
                                     const char *pf, int64_t lines) {
    vf a0[NV] = {0}, a1[NV] = {0}, a2[NV] = {0}, a3[NV] = {0};
    for (int64_t kk = 0; kk < kc; kk++) {
        if (pf && kk % PF_EVERY == 0)
            for (int64_t l = 0; l < lines; l++) vprefetch_l2(pf + (kk / PF_EVERY * lines + l) * 64);
        float x0 = a[0][kk], x1 = a[1][kk], x2 = a[2][kk], x3 = a[3][kk];
        const float *row = bp + kk * TC;
#pragma GCC unroll 8
        for (int x = 0; x < NV; x++) {
            vf bv = vload(row + x * VW);
            a0[x] += x0 * bv;
            a1[x] += x1 * bv;
            a2[x] += x2 * bv;
            a3[x] += x3 * bv;
        }
    }
#pragma GCC unroll 8
    for (int x = 0; x < NV; x++) {
        vstore(c + x * VW, a0[x]);
        vstore(c + TC + x * VW, a1[x]);
        vstore(c + 2 * TC + x * VW, a2[x]);
        vstore(c + 3 * TC + x * VW, a3[x]);
    }
}

static inline void gemm_tile_rows(const float *const a[4], int64_t kc, const float *bp, float *c) {
    gemm_tile_rows_pf(a, kc, bp, c, NULL, 0);
}

static void pack_b(int32_t tb, const float *b, int64_t ldb, int64_t pc, int64_t kc, int64_t jc,
                   int64_t nc, int64_t panel, float *bp) {
    float *dst = bp + panel * kc * TC;
    for (int64_t kk = 0; kk < kc; kk++)
        for (int64_t x = 0; x < TC; x++) {
            int64_t j = jc + panel * TC + x;
            dst[kk * TC + x] = j < jc + nc ? (tb ? b[j * ldb + pc + kk] : b[(pc + kk) * ldb + j]) : 0.0f;
        }
}

static void pack_a(int32_t ta, const float *a, int64_t lda, int64_t ic, int64_t mc, int64_t pc,
                   int64_t kc, float *ap) {
    int64_t mpad = round_up(mc, 4);
    for (int64_t r = 0; r < mpad; r++)
        for (int64_t kk = 0; kk < kc; kk++)
            ap[r * kc + kk] = r < mc ? (ta ? a[(pc + kk) * lda + ic + r] : a[(ic + r) * lda + pc + kk]) : 0.0f;
}

static void gemm_block(const float *ap, int64_t mc, int64_t kc, const float *bp, int64_t nc,
                       float alpha, float beta, int first, float *c, int64_t ldc) {
    float tile[4 * TC];
    for (int64_t panel = 0; panel * TC < nc; panel++) {
        int64_t cols = nc - panel * TC < TC ? nc - panel * TC : TC;
        for (int64_t r = 0; r < mc; r += 4) {
            const float *arow[4] = {ap + r * kc, ap + (r + 1) * kc, ap + (r + 2) * kc, ap + (r + 3) * kc};
            gemm_tile_rows(arow, kc, bp + panel * kc * TC, tile);
            int64_t rows = mc - r < 4 ? mc - r : 4;
            for (int64_t i = 0; i < rows; i++) {
                float *dst = c + (r + i) * ldc + panel * TC;
                const float *src = tile + i * TC;
                if (!first) {
                    for (int64_t x = 0; x < cols; x++) dst[x] += alpha * src[x];
                } else if (beta == 0.0f) {
                    for (int64_t x = 0; x < cols; x++) dst[x] = alpha * src[x];
                } else {
                    for (int64_t x = 0; x < cols; x++) dst[x] = alpha * src[x] + beta * dst[x];
                }
            }
        }
    }
}

int32_t KFN(sgemm)(int32_t ta, int32_t tb, int64_t m, int64_t n, int64_t k, float alpha,
                     const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                     int64_t ldc) {
    if (k == 0) {
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        return T4J_OK;
    }
    float *bp = alloc64((size_t)(KC * round_up(NCB, TC)) * sizeof(float));
    if (!bp) return T4J_ERR_ALLOC;
    int failed = 0;
#pragma omp parallel if (m * n * k > 262144)
    {
        float *ap = alloc64((size_t)(round_up(MC, 4) * KC) * sizeof(float));
        if (!ap) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp barrier
        for (int64_t jc = 0; jc < n && !failed; jc += NCB) {
            int64_t nc = n - jc < NCB ? n - jc : NCB;
            for (int64_t pc = 0; pc < k; pc += KC) {
                int64_t kc = k - pc < KC ? k - pc : KC;
#pragma omp for schedule(static)
                for (int64_t panel = 0; panel < (nc + TC - 1) / TC; panel++)
                    pack_b(tb, b, ldb, pc, kc, jc, nc, panel, bp);
#pragma omp for schedule(dynamic, 1)
                for (int64_t ic = 0; ic < m; ic += MC) {
                    int64_t mc = m - ic < MC ? m - ic : MC;
                    pack_a(ta, a, lda, ic, mc, pc, kc, ap);
                    gemm_block(ap, mc, kc, bp, nc, alpha, beta, pc == 0, c + ic * ldc + jc, ldc);
                }
            }
        }
        free(ap);
    }
    free(bp);
    return failed ? T4J_ERR_ALLOC : T4J_OK;
}

/* ------------------------------------------------------- small-M A B^T */

/*
 * Weights come as float32 or as bfloat16 (the upper half of a float32: widened by a shift, so the
 * products and sums stay float32). The functions below take the element type as a flag and are
 * always inlined into one copy per type, so the float32 copy is what it was before.
 */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE vf load_w(const void *w, int64_t c, int bf16) {
    return bf16 ? vload_bf16((const uint16_t *)w + c) : vload((const float *)w + c);
}

ALWAYS_INLINE float elem_w(const void *w, int64_t c, int bf16) {
    return bf16 ? bf16_to_float(((const uint16_t *)w)[c]) : ((const float *)w)[c];
}

/* Bytes ahead of the current position that the decode product prefetches in each weight row:
 * the hardware prefetcher alone left 15% of the read bandwidth unused (26 against 30 GB/s). */
#define GEMV_PREFETCH_BYTES 8192

/*
 * Four rows of B (weights, [N, K] row-major) against four rows of A: sixteen
 * dot products over K, accumulated lane-wise in registers and reduced at the
 * end. B is read straight from memory once per group of four A rows.
 */
ALWAYS_INLINE void dot_4x4(const float *const a[4], const void *const b[4], int64_t k, float out[4][4],
                           int bf16) {
    const int64_t esize = bf16 ? 2 : 4;
    vf acc[4][4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++)
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) acc[i][j] = vset(0.0f);
    int64_t c = 0;
    for (; c + VW <= k; c += VW) {
        vf bv[4], av[4];
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const char *ahead = (const char *)b[j] + c * esize + GEMV_PREFETCH_BYTES;
            for (int64_t l = 0; l < VW * esize; l += 64) __builtin_prefetch(ahead + l);
            bv[j] = load_w(b[j], c, bf16);
        }
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) av[i] = vload(a[i] + c);
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++)
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) acc[i][j] += av[i] * bv[j];
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            float t = vhsum(acc[i][j]);
            for (int64_t e = c; e < k; e++) t += a[i][e] * elem_w(b[j], e, bf16);
            out[i][j] = t;
        }
}

/* One row of A against four rows of B: a decode step's product, bound by streaming B. */
ALWAYS_INLINE void dot_1x4(const float *a, const void *const b[4], int64_t k, float out[4], int bf16) {
    const int64_t esize = bf16 ? 2 : 4;
    vf acc[4][2];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) acc[j][0] = acc[j][1] = vset(0.0f);
    int64_t c = 0;
    for (; c + 2 * VW <= k; c += 2 * VW) {
        vf a0 = vload(a + c), a1 = vload(a + c + VW);
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            /* one prefetch per 64-byte line; past the matrix's end it is a harmless hint */
            const char *ahead = (const char *)b[j] + c * esize + GEMV_PREFETCH_BYTES;
            for (int64_t l = 0; l < 2 * VW * esize; l += 64) __builtin_prefetch(ahead + l);
            acc[j][0] += a0 * load_w(b[j], c, bf16);
            acc[j][1] += a1 * load_w(b[j], c + VW, bf16);
        }
    }
    for (int j = 0; j < 4; j++) {
        float t = vhsum(acc[j][0] + acc[j][1]);
        for (int64_t e = c; e < k; e++) t += a[e] * elem_w(b[j], e, bf16);
        out[j] = t;
    }
}

/*
 * Columns 4g .. 4g + 3 of C (ldb in elements of B's type). The parallel loops over g stay in the
 * callers: an OpenMP region inside an inlined function is outlined once, with the type a variable.
 */
ALWAYS_INLINE void nt_small_group(int64_t g, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                                  int64_t lda, const void *b, int64_t ldb, float beta, float *c, int64_t ldc,
                                  int bf16) {
    int64_t j0 = g * 4, nj = n - j0 < 4 ? n - j0 : 4, esize = bf16 ? 2 : 4;
    const void *bp[4];
    for (int j = 0; j < 4; j++) bp[j] = (const char *)b + (j0 + (j < nj ? j : nj - 1)) * ldb * esize;
    for (int64_t i0 = 0; i0 < m; i0 += 4) {
        int64_t ni = m - i0 < 4 ? m - i0 : 4;
        const float *ap[4];
        for (int i = 0; i < 4; i++) ap[i] = a + (i0 + (i < ni ? i : ni - 1)) * lda;
        float out[4][4];
        if (ni == 1)
            dot_1x4(ap[0], bp, k, out[0], bf16);
        else
            dot_4x4(ap, bp, k, out, bf16);
        for (int64_t i = 0; i < ni; i++)
            for (int64_t j = 0; j < nj; j++) {
                float *dst = c + (i0 + i) * ldc + j0 + j;
                *dst = alpha * out[i][j] + (beta == 0.0f ? 0.0f : beta * *dst);
            }
    }
}

void KFN(gemm_nt_small)(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                          const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
#pragma omp parallel for schedule(static) if (m * n * k > 200000)
    for (int64_t g = 0; g < (n + 3) / 4; g++) nt_small_group(g, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0);
}

void KFN(gemm_nt_small_bf16)(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const uint16_t *b,
                               int64_t ldb, float *c, int64_t ldc) {
#pragma omp parallel for schedule(static) if (m * n * k > 200000)
    for (int64_t g = 0; g < (n + 3) / 4; g++) nt_small_group(g, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, 1);
}

/* ------------------------------------------------------ packed weights */

/*
 * Weights w [N, K] (used as B^T) packed once: for each block of KP rows of K,
 * the N columns in panels of TC, each panel [kc][TC] contiguous, zero-padded
 * past N. The product then reads A in place and never packs anything.
 */
#define KP 128
#define RB 64  /* rows of A per task: each weight panel, loaded once, serves them all */
#define CBP 2  /* panels per task */

int64_t KFN(packed_floats)(int64_t n, int64_t k) { return round_up(n, TC) * k; }

/* Panel p of the packing, for every K block (ldw in elements of w's type). */
ALWAYS_INLINE void pack_panel(int64_t p, const void *w, int64_t n, int64_t k, int64_t ldw, float *dst, int bf16) {
    int64_t panels = (n + TC - 1) / TC;
    for (int64_t pc = 0; pc < k; pc += KP) {
        int64_t kc = k - pc < KP ? k - pc : KP;
        float *out = dst + pc * panels * TC + p * kc * TC;
        for (int64_t kk = 0; kk < kc; kk++)
            for (int64_t x = 0; x < TC; x++) {
                int64_t j = p * TC + x;
                out[kk * TC + x] = j < n ? elem_w(w, j * ldw + pc + kk, bf16) : 0.0f;
            }
    }
}

void KFN(pack_weights)(const float *w, int64_t n, int64_t k, int64_t ldw, float *dst) {
#pragma omp parallel for schedule(static) if (n * k > 65536)
    for (int64_t p = 0; p < (n + TC - 1) / TC; p++) pack_panel(p, w, n, k, ldw, dst, 0);
}

void KFN(pack_weights_bf16)(const uint16_t *w, int64_t n, int64_t k, int64_t ldw, float *dst) {
#pragma omp parallel for schedule(static) if (n * k > 65536)
    for (int64_t p = 0; p < (n + TC - 1) / TC; p++) pack_panel(p, w, n, k, ldw, dst, 1);
}

/* Writes rows x cols of a tile into c: accumulate, or finish with bias and activation (last K block). */
static void store_tile(const float *tile, int64_t rows, int64_t cols, float *c, int64_t ldc, int first, int last,
                       const float *bias, int32_t act) {
    for (int64_t i = 0; i < rows; i++) {
        float *dst = c + i * ldc;
        const float *src = tile + i * TC;
        int64_t x = 0;
        if (cols == TC) {
            for (; x < TC; x += VW) {
                vf v = vload(src + x);
                if (!first) v += vload(dst + x);
                if (last) {
                    if (bias) v += vload(bias + x);
                    v = act_vec(act, v);
                }
                vstore(dst + x, v);
            }
            continue;
        }
        for (; x < cols; x++) {
            float v = src[x] + (first ? 0.0f : dst[x]);
            if (last) {
                vf t = vset(v + (bias ? bias[x] : 0.0f));
                v = act_vec(act, t)[0];
            }
            dst[x] = v;
        }
    }
}

/*
 * c = act(a w^T + bias) with w packed by pack_weights; bias and activation applied as tiles finish.
 * A task is RB rows by CBP panels over the whole of K: its block of c (32 KB) stays in cache
 * between K blocks, where a pass over all tasks per K block read all of c back each time.
 */
void KFN(linear_packed)(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *packed,
                          const float *bias, int32_t act, float *c, int64_t ldc) {
    int64_t panels = (n + TC - 1) / TC, row_tasks = (m + RB - 1) / RB;
    /* few rows: one panel a task, or a few tasks would split unevenly over the threads */
    int64_t cbp = row_tasks * ((panels + CBP - 1) / CBP) >= 8 ? CBP : 1, col_tasks = (panels + cbp - 1) / cbp;
    const char *end = (const char *)(packed + KFN(packed_floats)(n, k));
#pragma omp parallel for schedule(dynamic, 1) if (m * n * k > 100000)
    for (int64_t t = 0; t < row_tasks * col_tasks; t++) {
        int64_t r0 = (t % row_tasks) * RB, p0 = (t / row_tasks) * cbp, p1 = p0 + cbp < panels ? p0 + cbp : panels;
        int64_t rows = m - r0 < RB ? m - r0 : RB;
        /* a panel is TC / 4 lines per PF_EVERY steps: fewer row groups than that each take more lines,
         * so that the next panel is fetched whole however few the rows */
        int64_t groups = (rows + 3) / 4, lines = (TC / 4 + groups - 1) / groups;
        float tile[4 * TC];
        for (int64_t pc = 0; pc < k; pc += KP) {
            int64_t kc = k - pc < KP ? k - pc : KP;
            const float *block = packed + pc * panels * TC;
            int first = pc == 0, last = pc + kc >= k;
            for (int64_t p = p0; p < p1; p++) {
                int64_t cols = n - p * TC < TC ? n - p * TC : TC;
                /* the panel this task reads next (the next panel, or its first in the next K block; none
                 * after the last): each row group prefetches a slice of it */
                const char *next = NULL;
                int64_t slice = 0;
                if (p + 1 < p1) {
                    next = (const char *)(block + (p + 1) * kc * TC);
                    slice = kc / PF_EVERY * lines * 64;
                } else if (!last) {
                    int64_t next_kc = k - pc - KP < KP ? k - pc - KP : KP;
                    next = (const char *)(block + panels * TC * kc + p0 * next_kc * TC);
                    slice = next_kc / PF_EVERY * lines * 64;
                }
                for (int64_t r = 0; r < rows; r += 4) {
                    const float *ap[4];
                    for (int i = 0; i < 4; i++) ap[i] = a + (r0 + (r + i < rows ? r + i : rows - 1)) * lda + pc;
                    int in = next && slice > 0 && (r / 4 + 1) * slice <= end - next;
                    gemm_tile_rows_pf(ap, kc, block + p * kc * TC, tile, in ? next + r / 4 * slice : NULL, lines);
                    int64_t nr = rows - r < 4 ? rows - r : 4;
                    store_tile(tile, nr, cols, c + (r0 + r) * ldc + p * TC, ldc, first, last,
                               bias ? bias + p * TC : NULL, act);
                }
            }
        }
    }
}
