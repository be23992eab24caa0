/*
 * norms.c: layer norm and RMS norm (t4j_layer_norm, t4j_rms_norm), compiled once per
 * instruction set (variant.h). Reference: t4j_ref_layer_norm and t4j_ref_rms_norm in
 * native/ref/t4j_ref.c.
 *
 * layer_norm  one row per OpenMP iteration, three passes over the row while
 *             it sits in L1: s = x + r and sum; sum of (s - mean)^2; output.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "variant.h"

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

void KFN(layer_norm)(const float *x, const float *r, float *sum_out, float *y,
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
