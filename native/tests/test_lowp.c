/*
 * test_lowp.c: the int8 and bfloat16-dot kernels against their references (native/ref) at odd
 * sizes, on every instruction set the CPU has (t4j_set_isa), random inputs with special rows
 * (zeros, large magnitudes, one outlier, one sign).
 * Integer parts are checked exactly: quantized weights and activations byte for byte, and the
 * int8 product without bias and activation bit for bit (c = (float) acc * (a_scale w_scale) is
 * then the same float operation on the same integer, so any difference in acc shows). With bias
 * and activation, and for bfloat16 sums, max |got - want| / max |want| against a stated bound.
 * Exit status 1 if any check failed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t4j.h"
#include "t4j_ref.h"

static int failures = 0, checks = 0;
static uint64_t rng = 0x2545F4914F6CDD1Dull;

static float frand(void) { /* uniform in [-1, 1) */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / (1 << 23)) - 1.0);
}

static void *must(void *p) {
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static float *floats(int64_t n) { return must(malloc((size_t)(n > 0 ? n : 1) * sizeof(float))); }

static float *poisoned(int64_t n) { /* outputs start as NaN so unwritten values show */
    float *p = floats(n);
    for (int64_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

static void *packing(int64_t bytes) { return must(aligned_alloc(64, (size_t)((bytes + 63) / 64 * 64))); }

/* rows x ld values in [-1, 1), with rows 0..4 (where they exist) made special */
static float *inputs(int64_t rows, int64_t cols, int64_t ld) {
    float *p = floats(rows * ld);
    for (int64_t i = 0; i < rows * ld; i++) p[i] = frand();
    for (int64_t c = 0; c < cols; c++) {
        if (rows > 0) p[c] = 0.0f;                                  /* all zeros */
        if (rows > 1) p[ld + c] *= 3e4f;                            /* large */
        if (rows > 2) p[2 * ld + c] = c == cols / 2 ? 900.0f : p[2 * ld + c]; /* one outlier */
        if (rows > 3) p[3 * ld + c] = -fabsf(p[3 * ld + c]) - 0.25f; /* all negative */
        if (rows > 4) p[4 * ld + c] = fabsf(p[4 * ld + c]) + 0.5f;   /* all positive, away from zero */
    }
    return p;
}

/*
 * max |got - want| / max |scale| over rows x cols (row stride ld); infinite where only one side is
 * NaN. scale is want, or the output before its activation: an activation's saturated tails err in
 * proportion to its input (about 1e-7 of it), not to its output.
 */
static double rel_err_to(const float *got, const float *want, const float *scale, int64_t rows, int64_t cols,
                         int64_t ld) {
    double err = 0.0, mag = 0.0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) {
            float g = got[r * ld + c], w = want[r * ld + c];
            double d = isnan(g) != isnan(w) ? INFINITY : isnan(g) ? 0.0 : fabs((double)g - w);
            if (!(d <= err)) err = d;
            if (fabs(scale[r * ld + c]) > mag) mag = fabs(scale[r * ld + c]);
        }
    return mag > 0.0 ? err / mag : err;
}

static double rel_err(const float *got, const float *want, int64_t rows, int64_t cols, int64_t ld) {
    return rel_err_to(got, want, want, rows, cols, ld);
}

/* Values that differ in their bits (NaN equal to NaN), over rows x cols of row stride ld. */
static int64_t bits_differ(const void *got, const void *want, int64_t rows, int64_t cols, int64_t ld, int64_t size) {
    int64_t n = 0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) {
            const char *g = (const char *)got + (r * ld + c) * size, *w = (const char *)want + (r * ld + c) * size;
            if (size == 4) {
                float fg, fw;
                memcpy(&fg, g, 4);
                memcpy(&fw, w, 4);
                if (isnan(fg) && isnan(fw)) continue;
            }
            n += memcmp(g, w, (size_t)size) != 0;
        }
    return n;
}

/* The gaps of rows x cols of row stride ld that must still hold their NaN poison. */
static int64_t gaps_written(const float *c, int64_t rows, int64_t cols, int64_t ld) {
    int64_t n = 0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t x = cols; x < ld; x++) n += !isnan(c[r * ld + x]);
    return n;
}

static void check(const char *what, double err, double bound) {
    checks++;
    int ok = err <= bound;
    if (!ok) failures++;
    printf("%s isa=%d %-66s rel_err=%.2e (bound %.0e)\n", ok ? "ok  " : "FAIL", t4j_isa(), what, err, bound);
}

static void check_exact(const char *what, int64_t differing) {
    checks++;
    if (differing) failures++;
    printf("%s isa=%d %-66s %ld differing\n", differing ? "FAIL" : "ok  ", t4j_isa(), what, (long)differing);
}

static void check_status(const char *what, int32_t got, int32_t want) {
    checks++;
    if (got != want) failures++;
    printf("%s isa=%d %-66s status=%d (want %d)\n", got == want ? "ok  " : "FAIL", t4j_isa(), what, got, want);
}

static const int64_t MS[] = {1, 3, 17, 129}, NS[] = {1, 7, 100, 768}, KS[] = {1, 5, 33, 768, 3072};
#define COUNT(a) (int)(sizeof(a) / sizeof(a[0]))

/* ------------------------------------------------------------------- int8 */

typedef struct {
    int64_t n, k, ldw;
    float *w, *scale;
    int8_t *q;
    void *packed;
} qweights;

/* Weights [n, k] with a zero row, a large row and a row of denormals, quantized by the kernels and
 * checked byte for byte against the reference; packed. */
static qweights weights_int8(int64_t n, int64_t k) {
    qweights qw = {n, k, k + 2, NULL, NULL, NULL, NULL};
    qw.w = inputs(n, k, qw.ldw);
    for (int64_t c = 0; c < k && n > 3; c++) qw.w[3 * qw.ldw + c] = 1e-40f * (c % 3);
    qw.scale = floats(n);
    qw.q = must(malloc((size_t)(n * k)));
    float *scale_ref = floats(n);
    int8_t *q_ref = must(malloc((size_t)(n * k)));
    int32_t st = t4j_quantize_weights_int8(qw.w, n, k, qw.ldw, qw.q, k, qw.scale);
    t4j_ref_quantize_weights_int8(qw.w, n, k, qw.ldw, q_ref, k, scale_ref);
    char what[112];
    snprintf(what, sizeof what, "quantize_weights_int8 N=%ld K=%ld", (long)n, (long)k);
    check_exact(what, st != T4J_OK ? 1 : bits_differ(qw.q, q_ref, n, k, k, 1) + bits_differ(qw.scale, scale_ref, 1, n, n, 4));
    qw.packed = packing(t4j_packed_int8_bytes(n, k));
    check_status("pack_weights_int8", t4j_pack_weights_int8(qw.q, n, k, k, qw.scale, qw.packed), T4J_OK);
    free(scale_ref);
    free(q_ref);
    return qw;
}

static void free_qweights(qweights *qw) {
    free(qw->w);
    free(qw->scale);
    free(qw->q);
    free(qw->packed);
}

/* t4j_linear_int8 at one size on the instruction set in use: exact without bias and activation, bounded with. */
static void linear_int8_case(const qweights *qw, int64_t m, const float *a, int64_t lda, const float *bias,
                             int32_t act, const float *want_exact, const float *want_act, const float *want_pre) {
    int64_t n = qw->n, k = qw->k, ldc = n + 1;
    float *c = poisoned(m * ldc);
    char what[112];
    int32_t st = t4j_linear_int8(m, n, k, a, lda, qw->packed, NULL, T4J_ACT_NONE, c, ldc);
    snprintf(what, sizeof what, "linear_int8 M=%ld N=%ld K=%ld, integers exact", (long)m, (long)n, (long)k);
    check_exact(what, st != T4J_OK ? 1 : bits_differ(c, want_exact, m, n, ldc, 4) + gaps_written(c, m, n, ldc));
    st = t4j_linear_int8(m, n, k, a, lda, qw->packed, bias, act, c, ldc);
    snprintf(what, sizeof what, "linear_int8 M=%ld N=%ld K=%ld bias act=%d", (long)m, (long)n, (long)k, act);
    check(what, st != T4J_OK || gaps_written(c, m, n, ldc) ? INFINITY : rel_err_to(c, want_act, want_pre, m, n, ldc),
          1e-5);
    free(c);
}

/* Activations quantized per tensor (as ONNX Runtime's graphs) through t4j_linear_int8_quantized. */
static void per_tensor_case(const qweights *qw, int64_t m, const float *a, int64_t lda) {
    int64_t n = qw->n, k = qw->k, ldq = k + 1, ldc = n;
    uint8_t *q = must(malloc((size_t)(m * ldq))), *q_ref = must(malloc((size_t)(m * ldq)));
    float *scale = floats(m), *scale_ref = floats(m), *c = poisoned(m * ldc), *want = poisoned(m * ldc);
    int32_t *zp = must(malloc((size_t)m * sizeof(int32_t))), *zp_ref = must(malloc((size_t)m * sizeof(int32_t)));
    int32_t st = t4j_quantize_u8(a, m, k, lda, 1, q, ldq, scale, zp);
    t4j_ref_quantize_u8(a, m, k, lda, 1, q_ref, ldq, scale_ref, zp_ref);
    char what[112];
    snprintf(what, sizeof what, "quantize_u8 per tensor M=%ld K=%ld", (long)m, (long)k);
    check_exact(what, st != T4J_OK ? 1
                                   : bits_differ(q, q_ref, m, k, ldq, 1) + bits_differ(scale, scale_ref, 1, m, m, 4) +
                                         bits_differ(zp, zp_ref, 1, m, m, 4));
    st = t4j_linear_int8_quantized(m, n, k, q, ldq, scale, zp, qw->packed, NULL, T4J_ACT_NONE, c, ldc);
    t4j_ref_linear_int8_quantized(m, n, k, q_ref, ldq, scale_ref, zp_ref, qw->q, k, qw->scale, NULL, T4J_ACT_NONE,
                                  want, ldc);
    snprintf(what, sizeof what, "linear_int8_quantized per tensor M=%ld N=%ld K=%ld exact", (long)m, (long)n, (long)k);
    check_exact(what, st != T4J_OK ? 1 : bits_differ(c, want, m, n, ldc, 4));
    free(q); free(q_ref); free(scale); free(scale_ref); free(c); free(want); free(zp); free(zp_ref);
}

static void test_int8_size(int64_t m, const qweights *qw, int32_t act) {
    int64_t n = qw->n, k = qw->k, lda = k + 3, ldc = n + 1;
    float *a = inputs(m, k, lda), *bias = floats(n);
    for (int64_t j = 0; j < n; j++) bias[j] = frand();
    /* the reference, once for every instruction set: its own quantization, exact sums */
    uint8_t *qa = must(malloc((size_t)(m * k)));
    float *sa = floats(m), *want_exact = poisoned(m * ldc), *want_act = poisoned(m * ldc), *want_pre = poisoned(m * ldc);
    int32_t *zp = must(malloc((size_t)m * sizeof(int32_t)));
    t4j_ref_quantize_u8(a, m, k, lda, 0, qa, k, sa, zp);
    t4j_ref_linear_int8_quantized(m, n, k, qa, k, sa, zp, qw->q, k, qw->scale, NULL, T4J_ACT_NONE, want_exact, ldc);
    t4j_ref_linear_int8_quantized(m, n, k, qa, k, sa, zp, qw->q, k, qw->scale, bias, act, want_act, ldc);
    t4j_ref_linear_int8_quantized(m, n, k, qa, k, sa, zp, qw->q, k, qw->scale, bias, T4J_ACT_NONE, want_pre, ldc);
    for (int32_t isa = t4j_set_isa(-1); isa >= 0; isa--) {
        t4j_set_isa(isa);
        uint8_t *q = must(malloc((size_t)(m * k)));
        float *s = floats(m);
        int32_t *z = must(malloc((size_t)m * sizeof(int32_t)));
        int32_t st = t4j_quantize_u8(a, m, k, lda, 0, q, k, s, z);
        char what[112];
        snprintf(what, sizeof what, "quantize_u8 per row M=%ld K=%ld", (long)m, (long)k);
        check_exact(what, st != T4J_OK ? 1
                                       : bits_differ(q, qa, m, k, k, 1) + bits_differ(s, sa, 1, m, m, 4) +
                                             bits_differ(z, zp, 1, m, m, 4));
        linear_int8_case(qw, m, a, lda, bias, act, want_exact, want_act, want_pre);
        if (n == 7 || n == 100) per_tensor_case(qw, m, a, lda);
        free(q); free(s); free(z);
    }
    t4j_set_isa(-1);
    free(a); free(bias); free(qa); free(sa); free(want_exact); free(want_act); free(want_pre); free(zp);
}

static void test_int8(void) {
    int cases = 0;
    for (int ni = 0; ni < COUNT(NS); ni++)
        for (int ki = 0; ki < COUNT(KS); ki++) {
            qweights qw = weights_int8(NS[ni], KS[ki]);
            for (int mi = 0; mi < COUNT(MS); mi++) test_int8_size(MS[mi], &qw, (int32_t)(cases++ % 5));
            free_qweights(&qw);
        }
}

/* A row of NaN or infinity gives NaN outputs in that row only; nothing else changes. */
static void test_int8_non_finite(void) {
    int64_t m = 3, n = 20, k = 37;
    qweights qw = weights_int8(n, k);
    float *a = inputs(m, k, k), *c = poisoned(m * n);
    a[k + 5] = NAN;
    a[2 * k + 7] = -INFINITY;
    int32_t st = t4j_linear_int8(m, n, k, a, k, qw.packed, NULL, T4J_ACT_NONE, c, n);
    int64_t bad = st != T4J_OK;
    for (int64_t j = 0; j < n; j++) bad += isnan(c[j]) + !isnan(c[n + j]) + !isnan(c[2 * n + j]);
    check_exact("linear_int8 rows with NaN, -inf give NaN rows only", bad);
    free(a); free(c);
    free_qweights(&qw);
}

static void test_int8_bad_arguments(void) {
    float w[8] = {1, 2, 3, 4, 5, NAN, 7, 8}, scale[2] = {1, 1}, c[8];
    int8_t q[8] = {0}, q_before[8];
    memcpy(q_before, q, sizeof q);
    check_status("quantize_weights_int8 NaN rejected", t4j_quantize_weights_int8(w, 2, 4, 4, q, 4, scale), T4J_ERR_VALUE);
    check_exact("quantize_weights_int8 NaN: nothing written", memcmp(q, q_before, sizeof q) != 0);
    check_status("quantize_weights_int8 ldq < K rejected", t4j_quantize_weights_int8(w, 2, 4, 4, q, 3, scale),
                 T4J_ERR_SIZE);
    check_status("packed_int8_bytes K > 65536 rejected", (int32_t)t4j_packed_int8_bytes(2, 65537), -T4J_ERR_SIZE);
    void *packed = packing(t4j_packed_int8_bytes(2, 4));
    scale[1] = INFINITY;
    check_status("pack_weights_int8 infinite scale rejected", t4j_pack_weights_int8(q, 2, 4, 4, scale, packed),
                 T4J_ERR_VALUE);
    scale[1] = 0.5f;
    check_status("pack_weights_int8", t4j_pack_weights_int8(q, 2, 4, 4, scale, packed), T4J_OK);
    check_status("linear_int8 N differing from the packing rejected",
                 t4j_linear_int8(2, 3, 4, w, 4, packed, NULL, 0, c, 3), T4J_ERR_SIZE);
    check_status("linear_int8 unknown activation rejected", t4j_linear_int8(2, 2, 4, w, 4, packed, NULL, 9, c, 2),
                 T4J_ERR_SIZE);
    check_status("linear_int8 NULL a rejected", t4j_linear_int8(2, 2, 4, NULL, 4, packed, NULL, 0, c, 2), T4J_ERR_NULL);
    check_status("linear_int8 M = 0", t4j_linear_int8(0, 2, 4, w, 4, packed, NULL, 0, c, 2), T4J_OK);
    uint8_t qa[8] = {0};
    int32_t zp[2] = {0, 256};
    check_status("linear_int8_quantized zero point 256 rejected",
                 t4j_linear_int8_quantized(2, 2, 4, qa, 4, scale, zp, packed, NULL, 0, c, 2), T4J_ERR_VALUE);
    check_status("linear_bf16dot on an int8 packing rejected",
                 t4j_linear_bf16dot(2, 2, 4, w, 4, packed, NULL, 0, c, 2), T4J_ERR_SIZE);
    free(packed);
}

/* --------------------------------------------------------------- bfloat16 */

/* n x ld bfloat16 values: random, a zero row, a large row, a row with denormals */
static uint16_t *weights_bf16(int64_t n, int64_t k, int64_t ld) {
    float *f = inputs(n, k, ld);
    uint16_t *w = must(malloc((size_t)(n * ld) * sizeof(uint16_t)));
    for (int64_t i = 0; i < n * ld; i++) w[i] = t4j_ref_bf16(f[i]);
    for (int64_t c = 0; c < k && n > 3; c++) w[3 * ld + c] = (uint16_t)(c % 2 ? 0x0041 : 0x3f80); /* denormal, 1 */
    free(f);
    return w;
}

static void test_bf16dot_size(int64_t m, int64_t n, int64_t k, const uint16_t *w, int64_t ldw, int32_t act) {
    int64_t lda = k + 1, ldc = n + 2;
    float *a = inputs(m, k, lda), *bias = floats(n), *want = poisoned(m * ldc), *want_plain = poisoned(m * ldc);
    float *want_pre = poisoned(m * ldc);
    for (int64_t j = 0; j < n; j++) bias[j] = frand();
    t4j_ref_linear_bf16dot(m, n, k, a, lda, w, ldw, bias, act, want, ldc);
    t4j_ref_linear_bf16dot(m, n, k, a, lda, w, ldw, bias, T4J_ACT_NONE, want_pre, ldc);
    t4j_ref_linear_bf16dot(m, n, k, a, lda, w, ldw, NULL, T4J_ACT_NONE, want_plain, ldc);
    for (int32_t isa = t4j_set_isa(-1); isa >= 0; isa--) {
        t4j_set_isa(isa);
        void *packed = packing(t4j_packed_bf16dot_bytes(n, k));
        float *c = poisoned(m * ldc);
        int32_t st = t4j_pack_weights_bf16dot(w, n, k, ldw, packed);
        if (st == T4J_OK) st = t4j_linear_bf16dot(m, n, k, a, lda, packed, bias, act, c, ldc);
        char what[112];
        snprintf(what, sizeof what, "linear_bf16dot%s M=%ld N=%ld K=%ld bias act=%d",
                 t4j_cpu_features() & T4J_CPU_BF16_DOT ? "" : " (float32)", (long)m, (long)n, (long)k, act);
        check(what, st != T4J_OK || gaps_written(c, m, n, ldc) ? INFINITY : rel_err_to(c, want, want_pre, m, n, ldc),
              1e-5);
        st = t4j_linear_bf16dot(m, n, k, a, lda, packed, NULL, T4J_ACT_NONE, c, ldc);
        snprintf(what, sizeof what, "linear_bf16dot M=%ld N=%ld K=%ld", (long)m, (long)n, (long)k);
        check(what, st != T4J_OK ? INFINITY : rel_err(c, want_plain, m, n, ldc), 1e-5);
        free(packed);
        free(c);
    }
    t4j_set_isa(-1);
    free(a); free(bias); free(want); free(want_plain); free(want_pre);
}

static void test_bf16dot(void) {
    int cases = 0;
    for (int ni = 0; ni < COUNT(NS); ni++)
        for (int ki = 0; ki < COUNT(KS); ki++) {
            int64_t n = NS[ni], k = KS[ki], ldw = k + 3;
            uint16_t *w = weights_bf16(n, k, ldw);
            for (int mi = 0; mi < COUNT(MS); mi++) test_bf16dot_size(MS[mi], n, k, w, ldw, (int32_t)(cases++ % 5));
            free(w);
        }
}

/* K = 1 against a weight of 1: each output is its input rounded to bfloat16, bit for bit. */
static void test_bf16_rounding(void) {
    const float x[] = {1.0f + 1.0f / 256, 1.0f + 3.0f / 256, -1.0f - 1.0f / 256, 1.00390636f, 3.4e38f, -3.4e38f,
                       1e-39f, -1e-39f, 1.1754944e-38f, 0.0f, -0.0f, INFINITY, -INFINITY, NAN, 65504.0f,
                       0.1f, -2.7182817f, 3.1415927f, 1e-20f, 7.0e30f};
    const int64_t m = COUNT(x);
    float *want = floats(m), *c = poisoned(m);
    for (int64_t i = 0; i < m; i++) { /* sums start at +0: a lone -0 product leaves +0 */
        uint32_t b = (uint32_t)t4j_ref_bf16(x[i]) << 16;
        memcpy(&want[i], &b, 4);
        want[i] = 0.0f + want[i];
    }
    uint16_t one = 0x3f80;
    for (int32_t isa = t4j_set_isa(-1); isa >= 0; isa--) {
        t4j_set_isa(isa);
        void *packed = packing(t4j_packed_bf16dot_bytes(1, 1));
        int32_t st = t4j_pack_weights_bf16dot(&one, 1, 1, 1, packed);
        if (st == T4J_OK) st = t4j_linear_bf16dot(m, 1, 1, x, 1, packed, NULL, T4J_ACT_NONE, c, 1);
        check_exact("linear_bf16dot K=1: inputs rounded to nearest even, denormals to 0",
                    st != T4J_OK ? 1 : bits_differ(c, want, m, 1, 1, 4));
        free(packed);
    }
    t4j_set_isa(-1);
    free(want);
    free(c);
}

int main(void) {
    printf("int8 with VNNI: %s, bfloat16 dot products: %s\n", t4j_cpu_features() & T4J_CPU_INT8_VNNI ? "yes" : "no",
           t4j_cpu_features() & T4J_CPU_BF16_DOT ? "yes" : "no");
    test_int8();
    test_int8_non_finite();
    test_int8_bad_arguments();
    test_bf16_rounding();
    test_bf16dot();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
