/*
 * softmax.c: masked softmax (t4j_softmax), compiled once per instruction set (variant.h).
 * Reference: t4j_ref_softmax in native/ref/t4j_ref.c.
 *
 * softmax     one row per iteration: scale + mask + max, exp + sum, 1/sum.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "variant.h"

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

int32_t KFN(softmax)(const t4j_softmax_params *p, const float *x, float *y) {
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
