/*
 * elementwise.c: activations with bias, gated activations, copy and add (t4j_bias_act,
 * t4j_activation, t4j_gated_act, t4j_copy, t4j_add), compiled once per instruction set
 * (variant.h). Reference: t4j_ref_act, t4j_ref_bias_act, t4j_ref_gated_act and t4j_ref_add in
 * native/ref/t4j_ref.c (copy has none: it moves bytes).
 *
 * activations the tail of a row goes through a padded vector (act_vec in act.h).
 * copy, add   streaming helpers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "variant.h"
#include "act.h"

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

void KFN(act_rows)(int32_t act, float *y, int64_t ldy, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) act_span(act, y + r * ldy, NULL, y + r * ldy, cols);
}

void KFN(bias_act)(int32_t act, const float *x, const float *bias, float *y, int64_t rows,
                     int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
    for (int64_t r = 0; r < rows; r++) act_span(act, x + r * cols, bias, y + r * cols, cols);
}

void KFN(gated_act)(int32_t act, const float *gate, int64_t gate_stride, const float *up,
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

/* ----------------------------------------------------------------- copy */

/* Large copies stream past the caches (no read-for-ownership of dst), in 1 MiB chunks per thread. */
void KFN(copy)(void *dst, const void *src, int64_t n) {
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

void KFN(add)(const float *a, const float *b, float *y, int64_t n) {
    const int64_t chunk = 1 << 14;
#pragma omp parallel for schedule(static) if (n > 4 * chunk)
    for (int64_t c0 = 0; c0 < n; c0 += chunk) {
        int64_t end = c0 + chunk < n ? c0 + chunk : n, c = c0;
        for (; c + VW <= end; c += VW) vstore(y + c, vload(a + c) + vload(b + c));
        for (; c < end; c++) y[c] = a[c] + b[c];
    }
}
