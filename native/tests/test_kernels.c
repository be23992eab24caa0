/*
 * test_kernels.c: every CPU kernel against its scalar reference (native/ref),
 * on random inputs at odd sizes, for each instruction set the CPU has.
 * Error is max |got - want| / max |want| over the output; the bound is stated
 * per check. Exit status is the number of failed checks.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t4j.h"
#include "t4j_ref.h"

static int failures = 0, checks = 0;
static uint64_t rng = 0x9E3779B97F4A7C15ull;

static float frand(void) { /* uniform in [-1, 1) */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / (1 << 23)) - 1.0);
}

static float *rand_buf(int64_t n, float spread) {
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) p[i] = frand() * spread;
    return p;
}

static float *poisoned(int64_t n) { /* outputs start as NaN so unwritten values show */
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

static double rel_err(const float *got, const float *want, int64_t n) {
    double err = 0.0, mag = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (isnan(got[i]) != isnan(want[i])) d = INFINITY;
        if (!(d <= err)) err = d;
        if (fabs(want[i]) > mag) mag = fabs(want[i]);
    }
    return mag > 0.0 ? err / mag : err;
}

static void check(const char *what, double err, double bound) {
    checks++;
    int ok = err <= bound;
    if (!ok) failures++;
    printf("%s isa=%d %-60s rel_err=%.2e (bound %.0e)\n", ok ? "ok  " : "FAIL", t4j_isa(), what, err, bound);
}

static void check_status(const char *what, int32_t got, int32_t want) {
    checks++;
    if (got != want) failures++;
    printf("%s isa=%d %-60s status=%d (want %d)\n", got == want ? "ok  " : "FAIL", t4j_isa(), what, got, want);
}

static void test_norms(void) {
    int64_t hidden[] = {48, 100, 768}, rowsv[] = {1, 7, 33};
    for (int hi = 0; hi < 3; hi++)
        for (int ri = 0; ri < 3; ri++)
            for (int variant = 0; variant < 4; variant++) {
                int64_t rows = rowsv[ri], cols = hidden[hi], n = rows * cols;
                int residual = variant & 1, rms = variant >> 1;
                float *x = rand_buf(n, 3.0f), *r = rand_buf(n, 2.0f), *g = rand_buf(cols, 1.5f);
                float *b = rand_buf(cols, 0.5f);
                for (int64_t i = 0; i < n; i++) x[i] += 0.7f; /* a mean far from zero */
                float *y = poisoned(n), *s = poisoned(n), *yr = poisoned(n), *sr = poisoned(n);
                char what[96];
                if (rms) {
                    t4j_rms_norm(x, residual ? r : NULL, residual ? s : NULL, y, g, rows, cols, 1e-6f);
                    t4j_ref_rms_norm(x, residual ? r : NULL, sr, yr, g, rows, cols, 1e-6f);
                } else {
                    t4j_layer_norm(x, residual ? r : NULL, residual ? s : NULL, y, g, b, rows, cols, 1e-12f);
                    t4j_ref_layer_norm(x, residual ? r : NULL, sr, yr, g, b, rows, cols, 1e-12f);
                }
                snprintf(what, sizeof what, "%s rows=%ld cols=%ld residual=%d", rms ? "rms_norm" : "layer_norm",
                         (long)rows, (long)cols, residual);
                check(what, rel_err(y, yr, n), 1e-5);
                if (residual) {
                    snprintf(what, sizeof what, "%s sum rows=%ld cols=%ld", rms ? "rms_norm" : "layer_norm",
                             (long)rows, (long)cols);
                    check(what, rel_err(s, sr, n), 1e-6);
                    /* in place: y and sum over x and r */
                    memcpy(y, x, (size_t)n * sizeof(float));
                    if (rms) t4j_rms_norm(y, r, r, y, g, rows, cols, 1e-6f);
                    else t4j_layer_norm(y, r, r, y, g, b, rows, cols, 1e-12f);
                    snprintf(what, sizeof what, "%s in place rows=%ld cols=%ld", rms ? "rms_norm" : "layer_norm",
                             (long)rows, (long)cols);
                    check(what, fmax(rel_err(y, yr, n), rel_err(r, sr, n)), 1e-5);
                }
                free(x); free(r); free(g); free(b); free(y); free(s); free(yr); free(sr);
            }
}

static void test_softmax(void) {
    int64_t lens[] = {1, 7, 33, 129, 513};
    for (int si = 0; si < 5; si++)
        for (int variant = 0; variant < 4; variant++) {
            int64_t bsz = 3, heads = 2, t = lens[si], s = variant == 3 ? (t + 1) / 2 : t;
            int causal = variant >= 2, padded = variant != 0;
            int64_t n = bsz * heads * s * t;
            float *x = rand_buf(n, 4.0f), *mask = rand_buf(bsz * s * t, 2.0f);
            for (int64_t i = 0; i < bsz * s * t; i += 5) mask[i] = -INFINITY;
            int32_t start[3] = {0, t > 2 ? 1 : 0, 0}, len[3] = {(int32_t)t, (int32_t)(t / 2), 0};
            t4j_softmax_params p = {bsz, heads, s, t, 0.37f, causal, mask, s * t, 0, t,
                                    padded ? start : NULL, padded ? len : NULL};
            float *y = poisoned(n), *yr = poisoned(n);
            t4j_softmax(&p, x, y);
            t4j_ref_softmax(&p, x, yr);
            char what[96];
            snprintf(what, sizeof what, "softmax B=3 H=2 S=%ld T=%ld causal=%d padded=%d", (long)s, (long)t,
                     causal, padded);
            check(what, rel_err(y, yr, n), 1e-5);
            memcpy(y, x, (size_t)n * sizeof(float));
            t4j_softmax(&p, y, y);
            snprintf(what, sizeof what, "softmax in place S=%ld T=%ld", (long)s, (long)t);
            check(what, rel_err(y, yr, n), 1e-5);
            free(x); free(mask); free(y); free(yr);
        }
}

typedef struct {
    int64_t b, s, t, h, kvh, d;
    int causal, window, padded, bias, cache;
    float scale;
} att_case;

static void run_attention(att_case c) {
    int64_t cap = c.cache ? c.t + 5 : c.t; /* a KV cache with room to spare */
    int64_t qn = c.b * c.s * c.h * c.d, kn = c.b * cap * c.kvh * c.d;
    float *q = rand_buf(qn, 1.0f), *k = rand_buf(kn, 1.0f), *v = rand_buf(kn, 1.0f);
    float *bias = c.bias ? rand_buf(c.b * c.h * c.s * c.t, 3.0f) : NULL;
    int32_t *start = malloc((size_t)c.b * sizeof(int32_t)), *len = malloc((size_t)c.b * sizeof(int32_t));
    for (int64_t b = 0; b < c.b; b++) {
        start[b] = (b % 3 == 1 && c.t > 3) ? 2 : 0;
        len[b] = b % 3 == 2 ? 0 : (int32_t)(c.t - b % 2 * (c.t / 3)); /* some batches fully masked */
    }
    t4j_attention_params p = {c.b, c.s, c.t, c.h, c.kvh, c.d, c.scale, c.causal, c.window,
                              c.s * c.h * c.d, c.h * c.d, c.d,
                              cap * c.kvh * c.d, c.kvh * c.d, c.d,
                              cap * c.kvh * c.d, c.kvh * c.d, c.d,
                              c.s * c.h * c.d, c.h * c.d, c.d,
                              bias, c.h * c.s * c.t, c.s * c.t, c.t,
                              c.padded ? start : NULL, c.padded ? len : NULL};
    float *o = poisoned(qn), *oref = poisoned(qn);
    int32_t st = t4j_attention(&p, q, k, v, o);
    t4j_ref_attention(&p, q, k, v, oref);
    char what[128];
    snprintf(what, sizeof what, "attention B=%ld S=%ld T=%ld H=%ld K=%ld D=%ld c=%d w=%d pad=%d bias=%d",
             (long)c.b, (long)c.s, (long)c.t, (long)c.h, (long)c.kvh, (long)c.d, c.causal, c.window, c.padded,
             c.bias);
    check(what, st == T4J_OK ? rel_err(o, oref, qn) : INFINITY, 1e-5);
    free(q); free(k); free(v); free(bias); free(start); free(len); free(o); free(oref);
}

static void test_attention(void) {
    int64_t lens[] = {1, 7, 33, 129, 513}, dims[] = {12, 64, 80};
    for (int li = 0; li < 5; li++)
        for (int di = 0; di < 3; di++) {
            int64_t t = lens[li], d = dims[di];
            float sc = 1.0f / sqrtf((float)d);
            run_attention((att_case){3, t, t, 2, 2, d, 0, 0, 1, 0, 0, sc});      /* key padding */
            run_attention((att_case){3, t, t, 2, 2, d, 1, 0, 1, 0, 0, sc});      /* causal + padding */
            if (t >= 7) {
                run_attention((att_case){2, t, t, 4, 2, d, 1, 0, 0, 0, 0, sc});  /* GQA */
                run_attention((att_case){2, t, t, 2, 1, d, 1, 4, 0, 0, 0, 1.0f}); /* GPT-Neo local */
                run_attention((att_case){3, t, t, 3, 3, d, 0, 0, 1, 1, 0, 1.0f}); /* T5 bias */
                run_attention((att_case){2, 1, t, 4, 2, d, 1, 0, 1, 0, 1, sc});  /* decode, cache */
                run_attention((att_case){2, 5, t, 4, 4, d, 1, 0, 0, 1, 1, sc});  /* few queries */
                run_attention((att_case){2, t / 2 + 1, t, 2, 2, d, 1, 0, 1, 0, 1, sc}); /* chunked prefill */
                run_attention((att_case){3, t + 6, t, 2, 2, d, 0, 0, 1, 0, 0, sc});  /* cross, S > T */
            }
        }
}

static void test_activations(void) {
    const char *names[] = {"none", "gelu", "gelu_tanh", "relu", "silu"};
    for (int32_t act = 0; act <= T4J_ACT_SILU; act++) {
        int64_t rows = 7, cols = 129, n = rows * cols;
        float *x = rand_buf(n, 6.0f), *bias = rand_buf(cols, 1.0f), *y = poisoned(n), *yr = poisoned(n);
        char what[96];
        t4j_activation(act, x, y, n);
        t4j_ref_bias_act(act, x, NULL, yr, 1, n);
        snprintf(what, sizeof what, "activation %s n=%ld", names[act], (long)n);
        check(what, rel_err(y, yr, n), 1e-5);
        t4j_bias_act(act, x, bias, y, rows, cols);
        t4j_ref_bias_act(act, x, bias, yr, rows, cols);
        snprintf(what, sizeof what, "bias_act %s rows=%ld cols=%ld", names[act], (long)rows, (long)cols);
        check(what, rel_err(y, yr, n), 1e-5);
        /* gated, splitting a fused [rows, 2F] projection in place */
        float *fused = rand_buf(rows * 2 * cols, 4.0f), *g = poisoned(n), *gr = poisoned(n);
        t4j_gated_act(act, fused, 2 * cols, fused + cols, 2 * cols, g, cols, rows, cols);
        t4j_ref_gated_act(act, fused, 2 * cols, fused + cols, 2 * cols, gr, cols, rows, cols);
        snprintf(what, sizeof what, "gated_act %s rows=%ld F=%ld", names[act], (long)rows, (long)cols);
        check(what, rel_err(g, gr, n), 1e-5);
        free(x); free(bias); free(y); free(yr); free(fused); free(g); free(gr);
    }
    /* large magnitudes give finite results (GELU-tanh of 1e4 once gave NaN on AVX-512); the error
     * of the saturated tails is bounded relative to the input's magnitude */
    float x[8] = {1e4f, -1e4f, 3e5f, -3e5f, 1e13f, -1e13f, 88.9f, -88.9f}, y[8], yr[8];
    for (int32_t act = 1; act <= T4J_ACT_SILU; act++) {
        t4j_activation(act, x, y, 8);
        t4j_ref_bias_act(act, x, NULL, yr, 1, 8);
        double err = 0.0;
        for (int i = 0; i < 8; i++) {
            double d = isfinite(y[i]) ? fabs((double)y[i] - yr[i]) / fabs(x[i]) : INFINITY;
            err = d > err ? d : err;
        }
        char what[96];
        snprintf(what, sizeof what, "activation %s at |x| up to 1e13", names[act]);
        check(what, err, 1e-6);
    }
}

static void test_rope(void) {
    int64_t b = 2, s = 33, h = 3, dims[] = {12, 64, 80};
    for (int di = 0; di < 3; di++)
        for (int partial = 0; partial < 2; partial++) {
            int64_t d = dims[di], rot = partial ? d / 2 : d, n = b * s * h * d;
            if (rot % 2) rot--;
            float *x = rand_buf(n, 2.0f), *xr = malloc((size_t)n * sizeof(float));
            memcpy(xr, x, (size_t)n * sizeof(float));
            int64_t *pos = malloc((size_t)(b * s) * sizeof(int64_t));
            /* the second sequence far out, where the float32 angle loses digits */
            for (int64_t i = 0; i < b * s; i++) pos[i] = (i % s) * 7 + (i / s) * 100003;
            /* scaled frequencies, as rope scaling makes them: some divided, some not */
            float *inv = malloc((size_t)(rot / 2) * sizeof(float));
            t4j_ref_inv_freq(di == 1 ? 500000.0f : 10000.0f, rot, inv);
            for (int64_t i = 0; i < rot / 2; i++) inv[i] /= 1.0f + (frand() + 1.0f) * (float)(i % 3);
            t4j_rope(x, b, s, h, d, s * h * d, h * d, d, pos, rot, inv);
            t4j_ref_rope(xr, b, s, h, d, s * h * d, h * d, d, pos, rot, inv);
            char what[96];
            snprintf(what, sizeof what, "rope D=%ld rot_dim=%ld", (long)d, (long)rot);
            check(what, rel_err(x, xr, n), 1e-6);
            free(x); free(xr); free(pos); free(inv);
        }
}

static void test_embedding(void) {
    int64_t vocab = 101, cols = 48, n = 13;
    float *table = rand_buf(vocab * cols, 1.0f), *out = poisoned(n * cols), *want = poisoned(n * cols);
    int64_t ids[13];
    for (int64_t i = 0; i < n; i++) {
        ids[i] = (i * 37 + 5) % vocab;
        memcpy(want + i * cols, table + ids[i] * cols, (size_t)cols * sizeof(float));
    }
    check_status("embedding", t4j_embedding(table, vocab, cols, ids, n, out), T4J_OK);
    check("embedding rows", rel_err(out, want, n * cols), 0.0);
    ids[7] = vocab;
    check_status("embedding id == vocab rejected", t4j_embedding(table, vocab, cols, ids, n, out), T4J_ERR_SIZE);
    ids[7] = -1;
    check_status("embedding id < 0 rejected", t4j_embedding(table, vocab, cols, ids, n, out), T4J_ERR_SIZE);
    free(table); free(out); free(want);
}

static void test_sgemm(void) {
    int64_t sizes[][3] = {{1, 1, 1}, {7, 33, 5}, {33, 129, 100}, {129, 48, 768}, {100, 768, 48}, {200, 300, 513}};
    for (int si = 0; si < 6; si++)
        for (int tr = 0; tr < 4; tr++) {
            int64_t m = sizes[si][0], n = sizes[si][1], k = sizes[si][2];
            int ta = tr & 1, tb = tr >> 1;
            int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
            float *a = rand_buf((ta ? k : m) * lda, 1.0f), *b = rand_buf((tb ? n : k) * ldb, 1.0f);
            float *c = rand_buf(m * ldc, 1.0f), *cr = malloc((size_t)(m * ldc) * sizeof(float));
            memcpy(cr, c, (size_t)(m * ldc) * sizeof(float));
            float beta = si % 2 ? 0.5f : 0.0f;
            t4j_sgemm(ta, tb, m, n, k, 1.25f, a, lda, b, ldb, beta, c, ldc);
            t4j_ref_sgemm(ta, tb, m, n, k, 1.25f, a, lda, b, ldb, beta, cr, ldc);
            char what[96];
            snprintf(what, sizeof what, "sgemm M=%ld N=%ld K=%ld ta=%d tb=%d beta=%.1f", (long)m, (long)n, (long)k,
                     ta, tb, beta);
            check(what, rel_err(c, cr, m * ldc), 1e-5);
            free(a); free(b); free(c); free(cr);
        }
}

/* A CBLAS-shaped sgemm over the reference, to check how t4j_sgemm_with splits the product. */
static int blas_calls = 0;
static void fake_cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a,
                             int lda, const float *b, int ldb, float beta, float *c, int ldc) {
#pragma omp atomic
    blas_calls++;
    if (order != 101) return;
    t4j_ref_sgemm(ta == 112, tb == 112, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void test_sgemm_with(void) {
    /* rows <= 16 with B transposed take the streaming small-M kernel, the rest BLAS */
    int64_t sizes[][3] = {{3, 5, 7}, {128, 1152, 384}, {129, 33, 513}, {1000, 48, 100},
                          {1, 33, 129}, {16, 100, 48}, {7, 768, 129}, {17, 49, 33}};
    for (int si = 0; si < 8; si++)
        for (int tr = 0; tr < 4; tr++) {
            int64_t m = sizes[si][0], n = sizes[si][1], k = sizes[si][2];
            int ta = tr & 1, tb = tr >> 1;
            int64_t lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
            float *a = rand_buf((ta ? k : m) * lda, 1.0f), *b = rand_buf((tb ? n : k) * ldb, 1.0f);
            float *c = rand_buf(m * ldc, 1.0f), *cr = malloc((size_t)(m * ldc) * sizeof(float));
            memcpy(cr, c, (size_t)(m * ldc) * sizeof(float));
            blas_calls = 0;
            t4j_sgemm_with((const void *)fake_cblas_sgemm, ta, tb, m, n, k, 0.75f, a, lda, b, ldb, 0.25f, c, ldc);
            t4j_ref_sgemm(ta, tb, m, n, k, 0.75f, a, lda, b, ldb, 0.25f, cr, ldc);
            char what[96];
            snprintf(what, sizeof what, "sgemm_with split M=%ld N=%ld K=%ld ta=%d tb=%d (%d calls)", (long)m, (long)n,
                     (long)k, ta, tb, blas_calls);
            int small = m <= 16 && !ta && tb;
            check(what, (blas_calls >= 1) != small ? rel_err(c, cr, m * ldc) : INFINITY, 1e-5);
            free(a); free(b); free(c); free(cr);
        }
}

static void test_packed(void) {
    int64_t sizes[][3] = {{1, 33, 129}, {7, 100, 48}, {33, 129, 100}, {129, 1152, 384}, {300, 48, 768}};
    for (int si = 0; si < 5; si++)
        for (int32_t act = 0; act <= T4J_ACT_SILU; act += 2) {
            int64_t m = sizes[si][0], n = sizes[si][1], k = sizes[si][2], lda = k + 3, ldc = n + 1;
            float *a = rand_buf(m * lda, 1.0f), *w = rand_buf(n * k, 1.0f), *b = rand_buf(n, 1.0f);
            float *c = poisoned(m * ldc), *cr = poisoned(m * ldc);
            void *packed = aligned_alloc(64, (size_t)((t4j_packed_bytes(n, k) + 63) / 64 * 64));
            t4j_pack_weights(w, n, k, k, packed);
            int32_t st = t4j_linear_packed(m, n, k, a, lda, packed, b, act, c, ldc);
            t4j_ref_sgemm(0, 1, m, n, k, 1.0f, a, lda, w, k, 0.0f, cr, ldc);
            for (int64_t i = 0; i < m; i++) t4j_ref_bias_act(act, cr + i * ldc, b, cr + i * ldc, 1, n);
            for (int64_t i = 0; i < m; i++) /* the row gaps were never written */
                for (int64_t j = n; j < ldc; j++) c[i * ldc + j] = cr[i * ldc + j] = 0.0f;
            char what[96];
            snprintf(what, sizeof what, "linear_packed M=%ld N=%ld K=%ld act=%d", (long)m, (long)n, (long)k, act);
            check(what, st == T4J_OK ? rel_err(c, cr, m * ldc) : INFINITY, 1e-5);
            check_status("linear_packed wrong K rejected",
                         t4j_linear_packed(m, n, k + 1, a, lda + 1, packed, b, act, c, ldc), T4J_ERR_SIZE);
            free(a); free(w); free(b); free(c); free(cr); free(packed);
        }
}

/* linear through BLAS: bias written first, activation per thread block; without BLAS and few rows, t4j's own */
static void test_linear_with(void) {
    int64_t sizes[][3] = {{1, 33, 129}, {16, 100, 48}, {17, 49, 33}, {129, 1152, 384}, {300, 48, 768}, {301, 7, 0}};
    for (int si = 0; si < 6; si++)
        for (int32_t act = 0; act <= T4J_ACT_SILU; act++)
            for (int with_bias = 0; with_bias < 2; with_bias++)
                for (int use_blas = 0; use_blas < 2; use_blas++) {
                    int64_t m = sizes[si][0], n = sizes[si][1], k = sizes[si][2], lda = k + 3, ldw = k + 2, ldc = n + 1;
                    float *a = rand_buf(m * lda, 1.0f), *w = rand_buf(n * ldw, 1.0f);
                    float *b = with_bias ? rand_buf(n, 1.0f) : NULL, *c = poisoned(m * ldc), *cr = poisoned(m * ldc);
                    blas_calls = 0;
                    int32_t st = t4j_linear_with(use_blas ? (const void *)fake_cblas_sgemm : NULL, m, n, k, a, lda, w,
                                                 ldw, b, act, c, ldc);
                    t4j_ref_sgemm(0, 1, m, n, k, 1.0f, a, lda, w, ldw, 0.0f, cr, ldc);
                    for (int64_t i = 0; i < m; i++) t4j_ref_bias_act(act, cr + i * ldc, b, cr + i * ldc, 1, n);
                    for (int64_t i = 0; i < m; i++) /* the row gaps were never written */
                        for (int64_t j = n; j < ldc; j++) c[i * ldc + j] = cr[i * ldc + j] = 0.0f;
                    int blas_expected = use_blas && m > 16 && k > 0;
                    char what[112];
                    snprintf(what, sizeof what, "linear_with M=%ld N=%ld K=%ld act=%d bias=%d blas=%d (%d calls)", (long)m,
                             (long)n, (long)k, act, with_bias, use_blas, blas_calls);
                    check(what, st == T4J_OK && (blas_calls > 0) == blas_expected ? rel_err(c, cr, m * ldc) : INFINITY,
                          1e-5);
                    free(a); free(w); free(b); free(c); free(cr);
                }
    float x[4] = {1, 2, 3, 4}, y[4];
    check_status("linear_with ldw < K rejected", t4j_linear_with(NULL, 2, 2, 2, x, 2, x, 1, NULL, 0, y, 2), T4J_ERR_SIZE);
    check_status("linear_with unknown activation rejected",
                 t4j_linear_with(NULL, 2, 2, 2, x, 2, x, 2, NULL, 99, y, 2), T4J_ERR_SIZE);
    check_status("linear_with NULL w rejected", t4j_linear_with(NULL, 2, 2, 2, x, 2, NULL, 2, NULL, 0, y, 2),
                 T4J_ERR_NULL);
}

/* Random bfloat16 weights (rows x ld) and the same values widened to float32, for the reference. */
static uint16_t *rand_bf16(int64_t n, float **widened) {
    uint16_t *h = malloc((size_t)(n > 0 ? n : 1) * sizeof(uint16_t));
    *widened = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) {
        float f = frand();
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        h[i] = (uint16_t)(bits >> 16);
        bits = (uint32_t)h[i] << 16;
        memcpy(&(*widened)[i], &bits, sizeof bits);
    }
    return h;
}

/* bfloat16 weights: streamed for few rows, packed (widened) for more; the reference on the widened values */
static void test_bf16_weights(void) {
    int64_t sizes[][3] = {{1, 33, 129}, {1, 7, 768}, {3, 61, 100}, {5, 130, 257}, {16, 49, 33}, {70, 129, 100}};
    for (int si = 0; si < 6; si++)
        for (int32_t act = 0; act <= T4J_ACT_SILU; act += 2)
            for (int packed_path = 0; packed_path < 2; packed_path++) {
                int64_t m = sizes[si][0], n = sizes[si][1], k = sizes[si][2], lda = k + 3, ldw = k + 5, ldc = n + 1;
                float *a = rand_buf(m * lda, 1.0f), *wf, *b = act ? rand_buf(n, 1.0f) : NULL;
                uint16_t *w = rand_bf16(n * ldw, &wf);
                float *c = poisoned(m * ldc), *cr = poisoned(m * ldc);
                int32_t st;
                void *packed = NULL;
                if (packed_path) {
                    packed = aligned_alloc(64, (size_t)((t4j_packed_bytes(n, k) + 63) / 64 * 64));
                    st = t4j_pack_weights_bf16(w, n, k, ldw, packed);
                    if (st == T4J_OK) st = t4j_linear_packed(m, n, k, a, lda, packed, b, act, c, ldc);
                } else {
                    st = t4j_linear_bf16(m, n, k, a, lda, w, ldw, b, act, c, ldc);
                }
                t4j_ref_sgemm(0, 1, m, n, k, 1.0f, a, lda, wf, ldw, 0.0f, cr, ldc);
                for (int64_t i = 0; i < m; i++) t4j_ref_bias_act(act, cr + i * ldc, b, cr + i * ldc, 1, n);
                for (int64_t i = 0; i < m; i++) /* the row gaps were never written */
                    for (int64_t j = n; j < ldc; j++) c[i * ldc + j] = cr[i * ldc + j] = 0.0f;
                char what[96];
                snprintf(what, sizeof what, "%s bf16 M=%ld N=%ld K=%ld act=%d", packed_path ? "linear_packed" : "linear",
                         (long)m, (long)n, (long)k, act);
                check(what, st == T4J_OK ? rel_err(c, cr, m * ldc) : INFINITY, 1e-5);
                free(a); free(w); free(wf); free(b); free(c); free(cr); free(packed);
            }
    int64_t vocab = 101, cols = 37, n = 13, ids[13];
    float *tablef, *out = poisoned(n * cols), *want = poisoned(n * cols), x[4] = {1, 2, 3, 4}, y[4];
    uint16_t *table = rand_bf16(vocab * cols, &tablef);
    for (int64_t i = 0; i < n; i++) {
        ids[i] = (i * 37 + 5) % vocab;
        memcpy(want + i * cols, tablef + ids[i] * cols, (size_t)cols * sizeof(float));
    }
    check_status("embedding bf16", t4j_embedding_bf16(table, vocab, cols, ids, n, out), T4J_OK);
    check("embedding bf16 rows widened", rel_err(out, want, n * cols), 0.0);
    ids[3] = vocab;
    check_status("embedding bf16 id == vocab rejected", t4j_embedding_bf16(table, vocab, cols, ids, n, out),
                 T4J_ERR_SIZE);
    check_status("linear bf16 ldw < K rejected", t4j_linear_bf16(2, 2, 2, x, 2, table, 1, NULL, 0, y, 2), T4J_ERR_SIZE);
    check_status("linear bf16 NULL w rejected", t4j_linear_bf16(2, 2, 2, x, 2, NULL, 2, NULL, 0, y, 2), T4J_ERR_NULL);
    check_status("pack bf16 K = 0 rejected", t4j_pack_weights_bf16(table, 2, 0, 2, y), T4J_ERR_SIZE);
    free(table); free(tablef); free(out); free(want);
}

static void test_copy(void) {
    int64_t sizes[] = {1, 7, 4 * 1048576 + 13, 9 * 1048576 + 5};
    for (int i = 0; i < 4; i++) {
        int64_t n = sizes[i];
        float *src = rand_buf(n, 1.0f), *dst = poisoned(n);
        t4j_copy(dst, src, n * (int64_t)sizeof(float));
        char what[64];
        snprintf(what, sizeof what, "copy n=%ld floats", (long)n);
        check(what, rel_err(dst, src, n), 0.0);
        free(src); free(dst);
    }
}

static void test_add(void) {
    int64_t sizes[] = {1, 7, 100, 65536 * 3 + 5};
    for (int i = 0; i < 4; i++) {
        int64_t n = sizes[i];
        float *a = rand_buf(n, 3.0f), *b = rand_buf(n, 3.0f), *y = poisoned(n), *yr = poisoned(n);
        t4j_add(a, b, y, n);
        t4j_ref_add(a, b, yr, n);
        char what[64];
        snprintf(what, sizeof what, "add n=%ld", (long)n);
        check(what, rel_err(y, yr, n), 0.0);
        t4j_add(a, b, a, n);
        check("add in place", rel_err(a, yr, n), 0.0);
        free(a); free(b); free(y); free(yr);
    }
}

static void test_bad_arguments(void) {
    float x[4] = {1, 2, 3, 4}, y[4];
    t4j_softmax_params sp = {1, 1, 2, 1, 1.0f, 1, NULL, 0, 0, 0, NULL, NULL};
    check_status("softmax causal S > T rejected", t4j_softmax(&sp, x, y), T4J_ERR_SIZE);
    int32_t len[1] = {5};
    t4j_softmax_params sp2 = {1, 1, 2, 2, 1.0f, 0, NULL, 0, 0, 0, NULL, len};
    check_status("softmax key_len > T rejected", t4j_softmax(&sp2, x, y), T4J_ERR_SIZE);
    t4j_attention_params ap = {0};
    ap.batch = 1; ap.q_len = 1; ap.kv_len = 1; ap.heads = 3; ap.kv_heads = 2; ap.head_dim = 1;
    check_status("attention H % K != 0 rejected", t4j_attention(&ap, x, x, x, y), T4J_ERR_SIZE);
    check_status("attention NULL q rejected", t4j_attention(&ap, NULL, x, x, y), T4J_ERR_NULL);
    check_status("layer_norm cols=0 rejected", t4j_layer_norm(x, NULL, NULL, y, x, NULL, 1, 0, 1e-5f), T4J_ERR_SIZE);
    check_status("sgemm ldc < N rejected", t4j_sgemm(0, 0, 2, 2, 2, 1.0f, x, 2, x, 2, 0.0f, y, 1), T4J_ERR_SIZE);
    check_status("activation unknown kind rejected", t4j_activation(99, x, y, 4), T4J_ERR_SIZE);
}

int main(void) {
    int32_t best = t4j_isa();
    for (int32_t isa = best; isa >= 0; isa--) {
        t4j_set_isa(isa);
        test_norms();
        test_softmax();
        test_attention();
        test_activations();
        test_rope();
        test_embedding();
        test_sgemm();
        test_copy();
        test_sgemm_with();
        test_packed();
        test_linear_with();
        test_bf16_weights();
        test_add();
        test_bad_arguments();
    }
    t4j_set_isa(-1);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
