/*
 * attention.c: fused attention (t4j_attention), compiled once per instruction set (variant.h).
 * Reference: t4j_ref_attention in native/ref/t4j_ref.c.
 *
 * attention   flash-style: per (b, h) the visible keys are packed once
 *             (K transposed to [D, T], V padded to [T, Dp]); query blocks of
 *             BQ rows walk key tiles of BK with an online softmax, scores in
 *             a BQ x BK buffer, 4 x NV-vector register tiles for QK^T and PV.
 *             Tiles with no visible key for the block are never visited. Heads are
 *             claimed one ahead, and the next head's rows prefetched while this one computes.
 *             Up to 16 queries (decoding, short inputs) take a direct path without packing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "variant.h"

#define BQ 32  /* query rows per block */
#define BK 128 /* keys per tile; a multiple of TC for every variant */

/*
 * s[r][0..W*VW) = scale * q[r] . kt[:, 0..W*VW) for four query rows (kt: D rows of ldk keys);
 * mx[r] takes the elementwise max of each row's scores, so the softmax need not read them for it.
 */
#define QK_TILE(W)                                                                          \
    static __attribute__((noinline)) void qk_tile_##W(const float *const q[4], const float *kt, int64_t ldk,     \
                                   int64_t dim, float scale, float *s, int64_t lds, vf *mx) { \
        vf a0[W], a1[W], a2[W], a3[W];                                                       \
        _Pragma("GCC unroll 8") for (int x = 0; x < W; x++) a0[x] = a1[x] = a2[x] = a3[x] =   \
            vset(0.0f);                                                                      \
        for (int64_t d = 0; d < dim; d++) {                                                  \
            float q0 = q[0][d], q1 = q[1][d], q2 = q[2][d], q3 = q[3][d];                    \
            const float *row = kt + d * ldk;                                                 \
            _Pragma("GCC unroll 8") for (int x = 0; x < W; x++) {                            \
                vf kv = vload(row + x * VW);                                                 \
                a0[x] += q0 * kv;                                                            \
                a1[x] += q1 * kv;                                                            \
                a2[x] += q2 * kv;                                                            \
                a3[x] += q3 * kv;                                                            \
            }                                                                                \
        }                                                                                    \
        _Pragma("GCC unroll 8") for (int x = 0; x < W; x++) {                                \
            a0[x] *= scale;                                                                  \
            a1[x] *= scale;                                                                  \
            a2[x] *= scale;                                                                  \
            a3[x] *= scale;                                                                  \
            vstore(s + x * VW, a0[x]);                                                       \
            vstore(s + lds + x * VW, a1[x]);                                                 \
            vstore(s + 2 * lds + x * VW, a2[x]);                                             \
            vstore(s + 3 * lds + x * VW, a3[x]);                                             \
            mx[0] = vmax(mx[0], a0[x]);                                                      \
            mx[1] = vmax(mx[1], a1[x]);                                                      \
            mx[2] = vmax(mx[2], a2[x]);                                                      \
            mx[3] = vmax(mx[3], a3[x]);                                                      \
        }                                                                                    \
    }
#if NV == 4
QK_TILE(4)
#define QK_FULL qk_tile_4
#else
QK_TILE(2)
#define QK_FULL qk_tile_2
#endif
QK_TILE(1) /* the last keys of a short sequence, VW at a time instead of a padded TC tile */
#define QK_ONE qk_tile_1

/* o[r][0..W*VW) += sum_j p[r][j] * v[j][0..W*VW) for four rows. */
#define PV_TILE(W)                                                                         \
    static inline void pv_tile_##W(const float *p, int64_t ldp, int64_t n, const float *v,   \
                                   int64_t ldv, float *o, int64_t ldo) {                     \
        vf a0[W], a1[W], a2[W], a3[W];                                                      \
        _Pragma("GCC unroll 8") for (int x = 0; x < W; x++) {                               \
            a0[x] = vload(o + x * VW);                                                      \
            a1[x] = vload(o + ldo + x * VW);                                                \
            a2[x] = vload(o + 2 * ldo + x * VW);                                            \
            a3[x] = vload(o + 3 * ldo + x * VW);                                            \
        }                                                                                   \
        for (int64_t j = 0; j < n; j++) {                                                   \
            float p0 = p[j], p1 = p[ldp + j], p2 = p[2 * ldp + j], p3 = p[3 * ldp + j];     \
            const float *row = v + j * ldv;                                                 \
            _Pragma("GCC unroll 8") for (int x = 0; x < W; x++) {                           \
                vf vv = vload(row + x * VW);                                                \
                a0[x] += p0 * vv;                                                           \
                a1[x] += p1 * vv;                                                           \
                a2[x] += p2 * vv;                                                           \
                a3[x] += p3 * vv;                                                           \
            }                                                                               \
        }                                                                                   \
        _Pragma("GCC unroll 8") for (int x = 0; x < W; x++) {                               \
            vstore(o + x * VW, a0[x]);                                                      \
            vstore(o + ldo + x * VW, a1[x]);                                                \
            vstore(o + 2 * ldo + x * VW, a2[x]);                                            \
            vstore(o + 3 * ldo + x * VW, a3[x]);                                            \
        }                                                                                   \
    }
#define PV_TILE_EXPANDED(W) PV_TILE(W)
PV_TILE_EXPANDED(NV)
#if NV > 2
/* two vectors wide: keys in pairs into two accumulator sets, so 16 FMAs are in flight, not 8 */
static inline void pv_tile_2(const float *p, int64_t ldp, int64_t n, const float *v, int64_t ldv, float *o,
                             int64_t ldo) {
    vf a[4][2], b[4][2];
    for (int r = 0; r < 4; r++)
        for (int x = 0; x < 2; x++) {
            a[r][x] = vload(o + r * ldo + x * VW);
            b[r][x] = vset(0.0f);
        }
    int64_t j = 0;
    for (; j + 2 <= n; j += 2) {
        const float *r0 = v + j * ldv, *r1 = r0 + ldv;
        vf v00 = vload(r0), v01 = vload(r0 + VW), v10 = vload(r1), v11 = vload(r1 + VW);
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) {
            float p0 = p[r * ldp + j], p1 = p[r * ldp + j + 1];
            a[r][0] += p0 * v00;
            a[r][1] += p0 * v01;
            b[r][0] += p1 * v10;
            b[r][1] += p1 * v11;
        }
    }
    for (; j < n; j++) {
        const float *r0 = v + j * ldv;
        for (int r = 0; r < 4; r++) {
            a[r][0] += p[r * ldp + j] * vload(r0);
            a[r][1] += p[r * ldp + j] * vload(r0 + VW);
        }
    }
    for (int r = 0; r < 4; r++)
        for (int x = 0; x < 2; x++) vstore(o + r * ldo + x * VW, a[r][x] + b[r][x]);
}
#endif
PV_TILE(1)
#define PV_WIDE CAT(pv_tile_, NV)

/*
 * Prefetch cursor: the rows of the next head this thread will take (query, key and value slices),
 * fetched towards L2 a few rows at a time while this head computes. Its rows lie a projection's
 * width apart, often in the other core's cache, where no hardware prefetcher follows.
 */
typedef struct {
    const char *q, *k, *v;
    int64_t q_stride, k_stride, v_stride, q_rows, kv_rows, row, bytes, step, steps;
} att_prefetch;

typedef struct {
    float *kt, *vp, *s, *o, *m, *l;
    vf *mx; /* per query row of the block: the elementwise max of its scores in this tile */
    att_prefetch pf;
} att_scratch;

static const float *bias_row(const t4j_attention_params *p, int64_t b, int64_t h, int64_t i) {
    return p->bias ? p->bias + b * p->bias_stride_b + h * p->bias_stride_h + i * p->bias_stride_s
                   : NULL;
}

static void query_range(const t4j_attention_params *p, int64_t b, int64_t i, int64_t *lo,
                        int64_t *hi) {
    visible_range(p->key_start, p->key_len, b, i, p->q_len, p->kv_len, p->causal, p->window, lo,
                  hi);
    if (*lo < 0) *lo = 0;
    if (*hi > p->kv_len) *hi = p->kv_len;
}

static void prefetch_plan(const t4j_attention_params *p, const float *q, const float *k, const float *v,
                          int64_t t, att_prefetch *pf) {
    pf->row = pf->q_rows = pf->kv_rows = pf->step = 0;
    pf->steps = 1;
    if (t >= p->batch * p->heads) return;
    int64_t b = t / p->heads, h = t % p->heads, g = h / (p->heads / p->kv_heads), lo, hi, lo_last, hi_last;
    query_range(p, b, 0, &lo, &hi);
    query_range(p, b, p->q_len - 1, &lo_last, &hi_last);
    pf->q = (const char *)(q + b * p->q_stride_b + h * p->q_stride_h);
    pf->k = (const char *)(k + b * p->k_stride_b + lo * p->k_stride_s + g * p->k_stride_h);
    pf->v = (const char *)(v + b * p->v_stride_b + lo * p->v_stride_s + g * p->v_stride_h);
    pf->q_stride = p->q_stride_s * (int64_t)sizeof(float);
    pf->k_stride = p->k_stride_s * (int64_t)sizeof(float);
    pf->v_stride = p->v_stride_s * (int64_t)sizeof(float);
    pf->q_rows = p->q_len;
    pf->kv_rows = hi_last > lo ? hi_last - lo : 0;
    pf->bytes = p->head_dim * (int64_t)sizeof(float);
}

static inline void prefetch_lines(const char *row, int64_t bytes) {
    for (int64_t off = 0; off < bytes; off += 64) vprefetch_l2(row + off);
}

/* The next rows of the planned head: evenly over the steps this head takes. */
static inline void prefetch_step(att_prefetch *pf) {
    int64_t rows = pf->q_rows > pf->kv_rows ? pf->q_rows : pf->kv_rows;
    for (int64_t end = ++pf->step * rows / pf->steps; pf->row < end; pf->row++) {
        int64_t r = pf->row;
        if (r < pf->q_rows) prefetch_lines(pf->q + r * pf->q_stride, pf->bytes);
        if (r < pf->kv_rows) {
            prefetch_lines(pf->k + r * pf->k_stride, pf->bytes);
            prefetch_lines(pf->v + r * pf->v_stride, pf->bytes);
        }
    }
}

#if defined(__AVX512F__)
/* kt[i][0..16) = rows[0..16)[i] for i < 16: a 16 x 16 block transposed in registers. */
static inline void transpose16(const float *const rows[16], float *kt, int64_t ldk) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(rows[i]);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    /* r[g + m], 128-bit lane L: column 4L + m of rows g..g+3 */
    for (int g = 0; g < 16; g += 4) {
        r[g] = _mm512_shuffle_ps(t[g], t[g + 2], 0x44);
        r[g + 1] = _mm512_shuffle_ps(t[g], t[g + 2], 0xEE);
        r[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0x44);
        r[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
    }
    for (int m = 0; m < 4; m++) {
        __m512 x = _mm512_shuffle_f32x4(r[m], r[4 + m], 0x88), y = _mm512_shuffle_f32x4(r[m], r[4 + m], 0xDD);
        __m512 x2 = _mm512_shuffle_f32x4(r[8 + m], r[12 + m], 0x88);
        __m512 y2 = _mm512_shuffle_f32x4(r[8 + m], r[12 + m], 0xDD);
        _mm512_storeu_ps(kt + m * ldk, _mm512_shuffle_f32x4(x, x2, 0x88));
        _mm512_storeu_ps(kt + (4 + m) * ldk, _mm512_shuffle_f32x4(y, y2, 0x88));
        _mm512_storeu_ps(kt + (8 + m) * ldk, _mm512_shuffle_f32x4(x, x2, 0xDD));
        _mm512_storeu_ps(kt + (12 + m) * ldk, _mm512_shuffle_f32x4(y, y2, 0xDD));
    }
}
#endif

/*
 * Packs keys [base, base + n) of (b, g): K transposed into kt [D][tpad], V into vp [n][Dp].
 * Score tiles read kt up to the next multiple of VW past n (zeroed here), the PV product only
 * the n rows of V: a short sequence packs what it uses, not a whole padded tile.
 */
static void pack_kv(const t4j_attention_params *p, const float *k, const float *v, int64_t b,
                    int64_t g, int64_t base, int64_t n, int64_t tpad, int64_t dp,
                    att_scratch *w) {
    int64_t dim = p->head_dim, cols = round_up(n, VW), j = 0;
    const float *k0 = k + b * p->k_stride_b + base * p->k_stride_s + g * p->k_stride_h;
    const float *v0 = v + b * p->v_stride_b + base * p->v_stride_s + g * p->v_stride_h;
#if defined(__AVX512F__)
    if (dim % 16 == 0)
        for (; j + 16 <= n; j += 16)
            for (int64_t d = 0; d < dim; d += 16) {
                const float *rows[16];
                for (int i = 0; i < 16; i++) rows[i] = k0 + (j + i) * p->k_stride_s + d;
                transpose16(rows, w->kt + d * tpad + j, tpad);
            }
#endif
    for (; j < n; j++)
        for (int64_t d = 0; d < dim; d++) w->kt[d * tpad + j] = k0[j * p->k_stride_s + d];
    for (j = 0; j < n; j++) {
        const float *vr = v0 + j * p->v_stride_s;
        float *vrow = w->vp + j * dp;
        int64_t d = 0;
        for (; d + VW <= dim; d += VW) vstore(vrow + d, vload(vr + d));
        for (; d < dim; d++) vrow[d] = vr[d];
        for (; d < dp; d++) vrow[d] = 0.0f;
    }
    if (cols > n)
        for (int64_t d = 0; d < dim; d++) memset(w->kt + d * tpad + n, 0, (size_t)(cols - n) * sizeof(float));
}

/*
 * Bias and mask one score row of a tile, then fold it into the online softmax. Scores arrive
 * scaled and in base 2 (log2 e folded into the scale, and here into the bias) so that vexp2 does
 * the exponentials; m is the running max in base 2. mx is the max the QK tile saw: where no key
 * of the row is biased or masked it is the row's max, and the scores are not read for it.
 */
static void online_softmax_row(const t4j_attention_params *p, float *s, int64_t ncols,
                               int64_t j0, int64_t lo, int64_t hi, const float *brow, vf mx,
                               float *m, float *l, float *o, int64_t dp) {
    float mt;
    if (!brow && lo <= j0 && j0 + ncols <= hi) {
        mt = vhmax(mx);
    } else {
        if (brow) {
            for (int64_t c = 0; c < ncols; c += VW) {
                if (j0 + c + VW <= p->kv_len) {
                    vstore(s + c, vload(s + c) + vload(brow + j0 + c) * LOG2E);
                } else {
                    for (int e = 0; e < VW && j0 + c + e < p->kv_len; e++) s[c + e] += brow[j0 + c + e] * LOG2E;
                }
            }
        }
        /* the visible keys are one interval: mask what lies before and after it */
        for (int64_t c = 0; c < ncols && j0 + c < lo; c++) s[c] = -INFINITY;
        for (int64_t c = hi - j0 < 0 ? 0 : hi - j0; c < ncols; c++) s[c] = -INFINITY;
        vf vm = vset(-INFINITY);
        for (int64_t c = 0; c < ncols; c += VW) vm = vmax(vm, vload(s + c));
        mt = vhmax(vm);
    }
    if (mt == -INFINITY) {
        memset(s, 0, (size_t)ncols * sizeof(float));
        return;
    }
    float mnew = mt > *m ? mt : *m;
    vf sum = vset(0.0f);
    for (int64_t c = 0; c < ncols; c += VW) {
        vf e = vexp2(vload(s + c) - mnew);
        vstore(s + c, e);
        sum += e;
    }
    if (*m != -INFINITY && *m != mnew) { /* before the row's first visible key, o and l are zero */
        float alpha = exp2f(*m - mnew);
        *l *= alpha;
        for (int64_t d = 0; d < dp; d += VW) vstore(o + d, vload(o + d) * alpha);
    }
    *l += vhsum(sum);
    *m = mnew;
}

static void attention_block(const t4j_attention_params *p, const float *q, float *out, int64_t b,
                            int64_t h, int64_t q0, int64_t nb, int64_t base, int64_t tpad,
                            int64_t dp, att_scratch *w) {
    int64_t dim = p->head_dim, los[BQ], his[BQ];
    const float scale = p->scale * LOG2E;
    for (int64_t r = 0; r < nb; r++) query_range(p, b, q0 + r, &los[r], &his[r]);
    for (int64_t r = 0; r < BQ; r++) {
        w->m[r] = -INFINITY;
        w->l[r] = 0.0f;
    }
    memset(w->o, 0, (size_t)(BQ * dp) * sizeof(float));
    /* claim the output rows now: their cache lines arrive while the block computes, not when it writes */
    for (int64_t r = 0; r < nb; r++) {
        const char *dst = (const char *)(out + b * p->out_stride_b + (q0 + r) * p->out_stride_s + h * p->out_stride_h);
        for (int64_t off = 0; off < dim * (int64_t)sizeof(float); off += 64) __builtin_prefetch(dst + off, 1, 3);
    }
    int64_t blo = los[0], bhi = his[nb - 1];
    for (int64_t r = 1; r < nb; r++) blo = los[r] < blo ? los[r] : blo;
    const float *qrow[BQ];
    for (int64_t r = 0; r < BQ; r++) {
        int64_t rr = r < nb ? r : nb - 1;
        qrow[r] = q + b * p->q_stride_b + (q0 + rr) * p->q_stride_s + h * p->q_stride_h;
    }
    for (int64_t jt = (blo - base) / BK * BK; base + jt < bhi; jt += BK) {
        /* columns past a short sequence's keys cost a vector, not a TC-wide tile */
        int64_t ncols = round_up((bhi - base - jt) < BK ? bhi - base - jt : BK, VW), cc = 0;
        for (int64_t r = 0; r < BQ; r++) w->mx[r] = vset(-INFINITY);
        for (; cc + TC <= ncols; cc += TC)
            for (int64_t rg = 0; rg < nb; rg += 4) {
                QK_FULL(qrow + rg, w->kt + jt + cc, tpad, dim, scale, w->s + rg * BK + cc, BK, w->mx + rg);
                prefetch_step(&w->pf);
            }
        for (; cc < ncols; cc += VW)
            for (int64_t rg = 0; rg < nb; rg += 4)
                QK_ONE(qrow + rg, w->kt + jt + cc, tpad, dim, scale, w->s + rg * BK + cc, BK, w->mx + rg);
        for (int64_t r = 0; r < nb; r++)
            online_softmax_row(p, w->s + r * BK, ncols, base + jt, los[r], his[r], bias_row(p, b, h, q0 + r),
                               w->mx[r], &w->m[r], &w->l[r], w->o + r * dp, dp);
        /* probabilities past the block's last visible key are zero: skip them */
        int64_t keys = bhi - base - jt < ncols ? bhi - base - jt : ncols;
        for (int64_t rg = 0; rg < nb; rg += 4) {
            prefetch_step(&w->pf);
            int64_t d = 0;
            for (; d + TC <= dp; d += TC)
                PV_WIDE(w->s + rg * BK, BK, keys, w->vp + jt * dp + d, dp, w->o + rg * dp + d, dp);
#if NV > 2
            for (; d + 2 * VW <= dp; d += 2 * VW)
                pv_tile_2(w->s + rg * BK, BK, keys, w->vp + jt * dp + d, dp, w->o + rg * dp + d, dp);
#endif
            for (; d < dp; d += VW)
                pv_tile_1(w->s + rg * BK, BK, keys, w->vp + jt * dp + d, dp, w->o + rg * dp + d, dp);
        }
    }
    for (int64_t r = 0; r < nb; r++) {
        float *dst = out + b * p->out_stride_b + (q0 + r) * p->out_stride_s + h * p->out_stride_h;
        float inv = w->l[r] > 0.0f ? 1.0f / w->l[r] : 0.0f;
        for (int64_t d = 0; d < dim; d++) dst[d] = w->o[r * dp + d] * inv;
    }
}

static void attention_head(const t4j_attention_params *p, const float *q, const float *k,
                           const float *v, float *out, int64_t b, int64_t h, att_scratch *w) {
    int64_t g = h / (p->heads / p->kv_heads), dp = round_up(p->head_dim, VW);
    int64_t lo, hi, lo_last, hi_last;
    query_range(p, b, 0, &lo, &hi);
    query_range(p, b, p->q_len - 1, &lo_last, &hi_last);
    /* lower bounds never shrink and upper bounds never grow with the query index */
    int64_t base = lo, end = hi_last;
    if (end <= base) {
        for (int64_t i = 0; i < p->q_len; i++)
            memset(out + b * p->out_stride_b + i * p->out_stride_s + h * p->out_stride_h, 0,
                   (size_t)p->head_dim * sizeof(float));
        return;
    }
    int64_t tpad = round_up(end - base, TC); /* tiles never read past the last TC-wide column block */
    /* spread the next head's rows over about this head's register-tile steps (one per QK and PV row group) */
    w->pf.steps = (p->q_len + BQ - 1) / BQ * ((end - base + BK - 1) / BK) * (BK / TC + 1) * (BQ / 4);
    w->pf.step = 0;
    pack_kv(p, k, v, b, g, base, end - base, tpad, dp, w);
    for (int64_t q0 = 0; q0 < p->q_len; q0 += BQ) {
        int64_t nb = p->q_len - q0 < BQ ? p->q_len - q0 : BQ;
        attention_block(p, q, out, b, h, q0, nb, base, tpad, dp, w);
    }
}

/* Few queries (decoding): scores for one query row against keys in place, no packing.
 * scores holds round_up(T, VW) floats. */
static void attention_row(const t4j_attention_params *p, const float *q, const float *k,
                          const float *v, float *out, int64_t b, int64_t h, int64_t i,
                          float *scores) {
    int64_t dim = p->head_dim, g = h / (p->heads / p->kv_heads), lo, hi;
    const float *qr = q + b * p->q_stride_b + i * p->q_stride_s + h * p->q_stride_h;
    float *dst = out + b * p->out_stride_b + i * p->out_stride_s + h * p->out_stride_h;
    query_range(p, b, i, &lo, &hi);
    const float *brow = bias_row(p, b, h, i);
    float mx = -INFINITY;
    for (int64_t j = lo; j < hi; j++) {
        const float *kr = k + b * p->k_stride_b + j * p->k_stride_s + g * p->k_stride_h;
        vf acc = vset(0.0f);
        float t = 0.0f;
        int64_t d = 0;
        for (; d + VW <= dim; d += VW) acc += vload(qr + d) * vload(kr + d);
        for (; d < dim; d++) t += qr[d] * kr[d];
        float s = (vhsum(acc) + t) * p->scale + (brow ? brow[j] : 0.0f);
        scores[j - lo] = s;
        mx = s > mx ? s : mx;
    }
    memset(dst, 0, (size_t)dim * sizeof(float));
    if (hi <= lo || mx == -INFINITY) return;
    int64_t n = hi - lo, npad = round_up(n, VW);
    for (int64_t j = n; j < npad; j++) scores[j] = -INFINITY;
    vf vsum = vset(0.0f);
    for (int64_t c = 0; c < npad; c += VW) {
        vf e = vexp(vload(scores + c) - mx);
        vstore(scores + c, e);
        vsum += e;
    }
    float inv = 1.0f / vhsum(vsum);
    /* weighted sum of values, up to four vectors of the head kept in registers */
    int64_t d = 0;
    for (; d + 4 * VW <= dim; d += 4 * VW) {
        vf acc[4] = {vset(0.0f), vset(0.0f), vset(0.0f), vset(0.0f)};
        for (int64_t j = lo; j < hi; j++) {
            const float *vr = v + b * p->v_stride_b + j * p->v_stride_s + g * p->v_stride_h + d;
            float e = scores[j - lo];
#pragma GCC unroll 4
            for (int x = 0; x < 4; x++) acc[x] += e * vload(vr + x * VW);
        }
#pragma GCC unroll 4
        for (int x = 0; x < 4; x++) vstore(dst + d + x * VW, acc[x] * inv);
    }
    for (; d + VW <= dim; d += VW) {
        vf acc = vset(0.0f);
        for (int64_t j = lo; j < hi; j++)
            acc += scores[j - lo] * vload(v + b * p->v_stride_b + j * p->v_stride_s + g * p->v_stride_h + d);
        vstore(dst + d, acc * inv);
    }
    for (; d < dim; d++) {
        float acc = 0.0f;
        for (int64_t j = lo; j < hi; j++)
            acc += scores[j - lo] * v[b * p->v_stride_b + j * p->v_stride_s + g * p->v_stride_h + d];
        dst[d] = acc * inv;
    }
}

#define DIRECT_MAX_Q 16 /* up to this many queries, no packing: decoding and short inputs */

int32_t KFN(attention)(const t4j_attention_params *p, const float *q, const float *k,
                         const float *v, float *out) {
    int64_t tasks = p->batch * p->heads, dp = round_up(p->head_dim, VW);
    int64_t tpad = round_up(p->kv_len, BK) + BK;
    int direct = p->q_len <= DIRECT_MAX_Q;
    int failed = 0;
    int64_t claimed = 0;
    /* a decode step over a hundred cached keys is already worth both cores */
    int64_t work = tasks * p->q_len * p->kv_len * (direct ? p->head_dim : 64);
#pragma omp parallel if (tasks > 1 && work > 65536)
    {
        att_scratch w = {0};
        if (direct) {
            w.s = alloc64((size_t)round_up(p->kv_len, VW) * sizeof(float));
        } else {
            w.kt = alloc64((size_t)(p->head_dim * tpad) * sizeof(float));
            w.vp = alloc64((size_t)(tpad * dp) * sizeof(float));
            w.s = alloc64((size_t)(BQ * BK) * sizeof(float));
            w.o = alloc64((size_t)(BQ * dp) * sizeof(float));
            w.m = alloc64(BQ * sizeof(float));
            w.l = alloc64(BQ * sizeof(float));
            w.mx = alloc64(BQ * sizeof(vf));
        }
        int ok = w.s && (direct || (w.kt && w.vp && w.o && w.m && w.l && w.mx));
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        } else if (!direct) {
            memset(w.s, 0, (size_t)(BQ * BK) * sizeof(float));
        }
#pragma omp barrier
        if (!failed) {
            /* dynamic scheduling that claims the next head one ahead, so that it can be prefetched */
            int64_t t, next;
#pragma omp atomic capture
            t = claimed++;
            for (; t < tasks; t = next) {
#pragma omp atomic capture
                next = claimed++;
                int64_t b = t / p->heads, h = t % p->heads;
                if (direct) {
                    for (int64_t i = 0; i < p->q_len; i++) attention_row(p, q, k, v, out, b, h, i, w.s);
                } else {
                    prefetch_plan(p, q, k, v, next, &w.pf);
                    attention_head(p, q, k, v, out, b, h, &w);
                }
            }
        }
        free(w.kt);
        free(w.vp);
        free(w.s);
        free(w.o);
        free(w.m);
        free(w.l);
        free(w.mx);
    }
    return failed ? T4J_ERR_ALLOC : T4J_OK;
}
