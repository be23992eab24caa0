/*
 * kernels.c: the CPU kernels, compiled once per instruction set (simd.h).
 *
 * layer_norm  one row per OpenMP iteration, three passes over the row while
 *             it sits in L1: s = x + r and sum; sum of (s - mean)^2; output.
 * softmax     one row per iteration: scale + mask + max, exp + sum, 1/sum.
 * attention   flash-style: per (b, h) the visible keys are packed once
 *             (K transposed to [D, T], V padded to [T, Dp]); query blocks of
 *             BQ rows walk key tiles of BK with an online softmax, scores in
 *             a BQ x BK buffer, 4 x NV-vector register tiles for QK^T and PV.
 *             Tiles with no visible key for the block are never visited. Heads are
 *             claimed one ahead, and the next head's rows prefetched while this one computes.
 *             Up to 16 queries (decoding, short inputs) take a direct path without packing.
 * sgemm       packed, blocked GEMM with the same 4 x NV register tile (gemm_tile_rows).
 * small A B^T few rows against weights: 4 x 4 dot products, weights streamed.
 * packed      weights packed once; linear layers read A in place, run the whole of K on
 *             each block of the output and apply bias and activation to each tile (store_tile).
 * copy, add   streaming helpers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "kernels.h"
#include "simd.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define KTABLE CAT(t4j_kernels_, T4J_VARIANT)
#define STR_(a) #a
#define STR(a) STR_(a)

#define TC (NV * VW) /* columns of a register tile */

static void *alloc64(size_t bytes) {
    return aligned_alloc(64, (bytes + 63) & ~(size_t)63);
}

/* ---------------------------------------------------------------- norms */

/* Sum of s (or of s^2 with squares) over a row, s = x + r, four accumulators deep. */
static float row_sum(const float *x, const float *r, float *sum_out, int64_t n, float shift, int squares) {
    vf a0 = vset(0.0f), a1 = a0, a2 = a0, a3 = a0;
    int64_t c = 0;
#define ROW_TERM(acc, off)                                   \
    do {                                                     \
        vf s = vload(x + c + (off));                         \
        if (r) s += vload(r + c + (off));                    \
        if (sum_out) vstore(sum_out + c + (off), s);         \
        s -= shift;                                          \
        acc += squares ? s * s : s;                          \
    } while (0)
    for (; c + 4 * VW <= n; c += 4 * VW) {
        ROW_TERM(a0, 0);
        ROW_TERM(a1, VW);
        ROW_TERM(a2, 2 * VW);
        ROW_TERM(a3, 3 * VW);
    }
    for (; c + VW <= n; c += VW) ROW_TERM(a0, 0);
#undef ROW_TERM
    float tail = 0.0f;
    for (; c < n; c++) {
        float s = x[c] + (r ? r[c] : 0.0f);
        if (sum_out) sum_out[c] = s;
        s -= shift;
        tail += squares ? s * s : s;
    }
    return vhsum((a0 + a1) + (a2 + a3)) + tail;
}

static void norm_row(const float *x, const float *r, float *sum_out, float *y,
                     const float *gamma, const float *beta, int64_t n, float eps, int rms,
                     int stream) {
    float mean = 0.0f, var;
    if (rms) {
        var = row_sum(x, r, sum_out, n, 0.0f, 1) / (float)n;
    } else {
        mean = row_sum(x, r, sum_out, n, 0.0f, 0) / (float)n;
    }
    /* after the first pass the sum lives in sum_out, which may alias x or r */
    const float *sx = sum_out ? sum_out : x;
    const float *sr = sum_out ? NULL : r;
    if (!rms) var = row_sum(sx, sr, NULL, n, mean, 1) / (float)n;
    float rstd = 1.0f / sqrtf(var + eps);
    int64_t c = 0;
    stream = stream && valigned(y);
    for (; c + VW <= n; c += VW) {
        /* fetch the next row while this one finishes (a prefetch never faults) */
        __builtin_prefetch(x + n + c);
        if (r) __builtin_prefetch(r + n + c);
        vf s = vload(sx + c);
        if (sr) s += vload(sr + c);
        vf o = (s - mean) * rstd * vload(gamma + c);
        if (beta) o += vload(beta + c);
        if (stream) vstream(y + c, o);
        else vstore(y + c, o);
    }
    for (; c < n; c++) {
        float s = sx[c] + (sr ? sr[c] : 0.0f);
        float o = (s - mean) * rstd * gamma[c];
        y[c] = beta ? o + beta[c] : o;
    }
}

static void layer_norm(const float *x, const float *r, float *sum_out, float *y,
                       const float *gamma, const float *beta, int64_t rows, int64_t cols,
                       float eps, int rms) {
    /* streaming y is safe only when nothing reads it back in this call */
    int stream = rows * cols * 4 >= STREAM_BYTES && y != x && y != r && y != sum_out;
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
    for (int64_t i = 0; i < rows; i++) {
        int64_t o = i * cols;
        norm_row(x + o, r ? r + o : NULL, sum_out ? sum_out + o : NULL, y + o, gamma, beta,
                 cols, eps, rms, stream);
    }
    if (stream) vstream_fence();
}

/* -------------------------------------------------------------- softmax */

/* Visible keys [lo, hi) of query i of b (S queries aligned to the last of T keys). */
static void visible_range(const int32_t *key_start, const int32_t *key_len, int64_t b,
                          int64_t i, int64_t s_len, int64_t t_len, int causal, int64_t window,
                          int64_t *lo, int64_t *hi) {
    int64_t l = key_start ? key_start[b] : 0;
    int64_t h = key_len ? key_len[b] : t_len;
    int64_t pos = t_len - s_len + i;
    if (causal && h > pos + 1) h = pos + 1;
    if (window > 0 && l < pos - window + 1) l = pos - window + 1;
    *lo = l;
    *hi = h;
}

/*
 * One row: scaled, masked values and then their exponentials go to tmp (L1), so y is
 * written once, in the last pass, with non-temporal stores when it is large.
 */
/*
 * One row. Pass 1 finds the max: of x alone without a mask (then scaled), of
 * scale * x + mask with one (stored in tmp). Pass 2 writes 2^(log2 e (v - max))
 * to tmp (L1) and sums it. Pass 3 writes y = tmp / sum over the whole row, once,
 * with non-temporal stores when the output is large.
 */
static void softmax_row(const float *x, float *y, const float *mask, int64_t n, int64_t lo,
                        int64_t hi, float scale, float *tmp, int stream) {
    int neg = scale < 0.0f && !mask; /* the max of scale * x is then scale * min(x) */
    vf m0 = vset(neg ? INFINITY : -INFINITY), m1 = m0;
    int64_t c = lo;
    for (; c + 2 * VW <= hi; c += 2 * VW) {
        vf v0 = vload(x + c), v1 = vload(x + c + VW);
        if (mask) {
            v0 = v0 * scale + vload(mask + c);
            v1 = v1 * scale + vload(mask + c + VW);
            vstore(tmp + c, v0);
            vstore(tmp + c + VW, v1);
        }
        m0 = neg ? vmin(m0, v0) : vmax(m0, v0);
        m1 = neg ? vmin(m1, v1) : vmax(m1, v1);
    }
    float mx = neg ? vhmin(vmin(m0, m1)) : vhmax(vmax(m0, m1));
    for (; c < hi; c++) {
        float v = mask ? x[c] * scale + mask[c] : x[c];
        if (mask) tmp[c] = v;
        mx = neg ? (v < mx ? v : mx) : (v > mx ? v : mx);
    }
    if (!mask) mx *= scale;
    /* pass 2 computes t = src * a - b = log2(e) (v - max) */
    const float *src = mask ? tmp : x;
    float a = mask ? LOG2E : scale * LOG2E, b = mx * LOG2E, inv = 0.0f;
    if (lo >= hi || !(mx > -INFINITY)) {
        lo = hi = n; /* every output is zero */
    } else {
        vf s0 = vset(0.0f), s1 = s0;
        for (c = lo; c + 2 * VW <= hi; c += 2 * VW) {
            /* fetch the next row while this one computes (a prefetch never faults) */
            __builtin_prefetch(x + n + c);
            __builtin_prefetch(x + n + c + 2 * VW - 1);
            vf e0, e1;
            if (mask) { /* an additive mask may hold -inf */
                e0 = vexp2(vload(src + c) * a - b);
                e1 = vexp2(vload(src + c + VW) * a - b);
            } else {
                e0 = vexp2_finite(vload(src + c) * a - b);
                e1 = vexp2_finite(vload(src + c + VW) * a - b);
            }
            vstore(tmp + c, e0);
            vstore(tmp + c + VW, e1);
            s0 += e0;
            s1 += e1;
        }
        float sum = 0.0f;
        for (; c < hi; c++) {
            float e = exp2f(src[c] * a - b);
            tmp[c] = e;
            sum += e;
        }
        inv = 1.0f / (sum + vhsum(s0 + s1));
    }
    stream = stream && valigned(y);
    int64_t c0 = 0;
    for (; c0 + VW <= n; c0 += VW) {
        vf v;
        if (c0 >= lo && c0 + VW <= hi) {
            v = vload(tmp + c0) * inv;
        } else {
            for (int e = 0; e < VW; e++) v[e] = (c0 + e >= lo && c0 + e < hi) ? tmp[c0 + e] * inv : 0.0f;
        }
        if (stream) vstream(y + c0, v);
        else vstore(y + c0, v);
    }
    for (; c0 < n; c0++) y[c0] = (c0 >= lo && c0 < hi) ? tmp[c0] * inv : 0.0f;
}

static int32_t softmax(const t4j_softmax_params *p, const float *x, float *y) {
    int64_t rows = p->batch * p->heads * p->rows, n = p->cols;
    int stream = rows * n * 4 >= STREAM_BYTES && x != y;
    int failed = 0;
#pragma omp parallel if (rows * n > 32768)
    {
        float *tmp = alloc64((size_t)n * sizeof(float));
        if (!tmp) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp barrier
        if (!failed) {
#pragma omp for schedule(static)
            for (int64_t row = 0; row < rows; row++) {
                int64_t i = row % p->rows, bh = row / p->rows, h = bh % p->heads, b = bh / p->heads;
                int64_t lo, hi;
                visible_range(p->key_start, p->key_len, b, i, p->rows, n, p->causal, 0, &lo, &hi);
                if (lo < 0) lo = 0;
                if (hi > n) hi = n;
                const float *mask = p->mask ? p->mask + b * p->mask_stride_b + h * p->mask_stride_h +
                                                  i * p->mask_stride_s
                                            : NULL;
                softmax_row(x + row * n, y + row * n, mask, n, lo, hi, p->scale, tmp, stream);
            }
        }
        free(tmp);
    }
    if (stream) vstream_fence();
    return failed ? T4J_ERR_ALLOC : T4J_OK;
}

/* ------------------------------------------------------------ attention */

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

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

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

static int32_t attention(const t4j_attention_params *p, const float *q, const float *k,
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

/* ---------------------------------------------------------- activations */

static inline vf act_vec(int32_t act, vf x) {
    switch (act) {
    case T4J_ACT_GELU: {
        /*
         * erf(z) = z p(z^2) / q(z^2) on z clamped to [-4, 4] (beyond, erf is +-1 in float): the
         * rational approximation of Eigen and XLA, |error| < 4e-7. No exponential, no branch:
         * about 20 vector operations where Abramowitz-Stegun 7.1.26 with exp took 35.
         */
        vf z = vmin(vmax(x * 0.70710678118654752f, vset(-4.0f)), vset(4.0f)), z2 = z * z;
        vf p = z2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
        p = p * z2 - 2.10102402082508e-06f;
        p = p * z2 - 5.69250639462346e-05f;
        p = p * z2 - 7.34990630326855e-04f;
        p = p * z2 - 2.95459980854025e-03f;
        p = p * z2 - 1.60960333262415e-02f;
        vf q = z2 * -1.45660718464996e-05f - 2.13374055278905e-04f;
        q = q * z2 - 1.68282697438203e-03f;
        q = q * z2 - 7.37332916720468e-03f;
        q = q * z2 - 1.42647390514189e-02f;
        vf erfz = z * p * vrcp_finite(q);
        vf h = 0.5f * x;
        return h + h * erfz;
    }
    case T4J_ACT_GELU_TANH: {
        vf u = 0.79788456080286536f * (x + 0.044715f * x * x * x);
        vf th = 1.0f - 2.0f * vrcp(vexp(2.0f * u) + 1.0f);
        return 0.5f * x * (1.0f + th);
    }
    case T4J_ACT_RELU:
        return vmax(x, vset(0.0f));
    case T4J_ACT_SILU:
        return x * vrcp(1.0f + vexp(-x));
    default:
        return x;
    }
}

/* y[0..n) = act(x[0..n) + bias[0..n)); the tail goes through a padded vector. */
static void act_span(int32_t act, const float *x, const float *bias, float *y, int64_t n) {
    int64_t c = 0;
    for (; c + VW <= n; c += VW) {
        vf v = vload(x + c);
        if (bias) v += vload(bias + c);
        vstore(y + c, act_vec(act, v));
    }
    if (c < n) {
        vf v = vset(0.0f);
        for (int64_t e = 0; c + e < n; e++) v[e] = x[c + e] + (bias ? bias[c + e] : 0.0f);
        v = act_vec(act, v);
        for (int64_t e = 0; c + e < n; e++) y[c + e] = v[e];
    }
}

static void act_rows(int32_t act, float *y, int64_t ldy, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) act_span(act, y + r * ldy, NULL, y + r * ldy, cols);
}

static void bias_act(int32_t act, const float *x, const float *bias, float *y, int64_t rows,
                     int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
    for (int64_t r = 0; r < rows; r++) act_span(act, x + r * cols, bias, y + r * cols, cols);
}

static void gated_act(int32_t act, const float *gate, int64_t gate_stride, const float *up,
                      int64_t up_stride, float *y, int64_t y_stride, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
    for (int64_t r = 0; r < rows; r++) {
        const float *g = gate + r * gate_stride, *u = up + r * up_stride;
        float *o = y + r * y_stride;
        int64_t c = 0;
        for (; c + VW <= cols; c += VW) vstore(o + c, act_vec(act, vload(g + c)) * vload(u + c));
        if (c < cols) {
            vf gv = vset(0.0f);
            for (int64_t e = 0; c + e < cols; e++) gv[e] = g[c + e];
            gv = act_vec(act, gv);
            for (int64_t e = 0; c + e < cols; e++) o[c + e] = gv[e] * u[c + e];
        }
    }
}

/* ---------------------------------------------------------------- sgemm */

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

static int32_t sgemm(int32_t ta, int32_t tb, int64_t m, int64_t n, int64_t k, float alpha,
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

static void gemm_nt_small(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                          const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
#pragma omp parallel for schedule(static) if (m * n * k > 200000)
    for (int64_t g = 0; g < (n + 3) / 4; g++) nt_small_group(g, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0);
}

static void gemm_nt_small_bf16(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const uint16_t *b,
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

static int64_t packed_floats(int64_t n, int64_t k) { return round_up(n, TC) * k; }

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

static void pack_weights(const float *w, int64_t n, int64_t k, int64_t ldw, float *dst) {
#pragma omp parallel for schedule(static) if (n * k > 65536)
    for (int64_t p = 0; p < (n + TC - 1) / TC; p++) pack_panel(p, w, n, k, ldw, dst, 0);
}

static void pack_weights_bf16(const uint16_t *w, int64_t n, int64_t k, int64_t ldw, float *dst) {
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
static void linear_packed(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *packed,
                          const float *bias, int32_t act, float *c, int64_t ldc) {
    int64_t panels = (n + TC - 1) / TC, row_tasks = (m + RB - 1) / RB;
    /* few rows: one panel a task, or a few tasks would split unevenly over the threads */
    int64_t cbp = row_tasks * ((panels + CBP - 1) / CBP) >= 8 ? CBP : 1, col_tasks = (panels + cbp - 1) / cbp;
    const char *end = (const char *)(packed + packed_floats(n, k));
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

/* ----------------------------------------------------------------- copy */

/* Large copies stream past the caches (no read-for-ownership of dst), in 1 MiB chunks per thread. */
static void copy(void *dst, const void *src, int64_t n) {
    const int64_t chunk = 1 << 20;
    int64_t chunks = (n + chunk - 1) / chunk;
    int stream = n >= STREAM_BYTES && ((uintptr_t)dst & 63) == 0 && ((uintptr_t)src & 3) == 0;
#pragma omp parallel for schedule(static) if (n > 4 * chunk)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t off = c * chunk, len = n - off < chunk ? n - off : chunk;
        char *d = (char *)dst + off;
        const char *s = (const char *)src + off;
        if (!stream) {
            memcpy(d, s, (size_t)len);
            continue;
        }
        int64_t i = 0;
        for (; i + 4 * VW * 4 <= len; i += 4 * VW * 4) {
            const float *sf = (const float *)(s + i);
            float *df = (float *)(d + i);
            vstream(df, vload(sf));
            vstream(df + VW, vload(sf + VW));
            vstream(df + 2 * VW, vload(sf + 2 * VW));
            vstream(df + 3 * VW, vload(sf + 3 * VW));
        }
        memcpy(d + i, s + i, (size_t)(len - i));
    }
    if (stream) vstream_fence();
}

static void add(const float *a, const float *b, float *y, int64_t n) {
    const int64_t chunk = 1 << 14;
#pragma omp parallel for schedule(static) if (n > 4 * chunk)
    for (int64_t c0 = 0; c0 < n; c0 += chunk) {
        int64_t end = c0 + chunk < n ? c0 + chunk : n, c = c0;
        for (; c + VW <= end; c += VW) vstore(y + c, vload(a + c) + vload(b + c));
        for (; c < end; c++) y[c] = a[c] + b[c];
    }
}

const t4j_kernels KTABLE = {
    .name = STR(T4J_VARIANT),
    .layer_norm = layer_norm,
    .softmax = softmax,
    .attention = attention,
    .bias_act = bias_act,
    .act_rows = act_rows,
    .gated_act = gated_act,
    .sgemm = sgemm,
    .copy = copy,
    .gemm_nt_small = gemm_nt_small,
    .gemm_nt_small_bf16 = gemm_nt_small_bf16,
    .packed_floats = packed_floats,
    .pack_weights = pack_weights,
    .pack_weights_bf16 = pack_weights_bf16,
    .linear_packed = linear_packed,
    .add = add,
};
