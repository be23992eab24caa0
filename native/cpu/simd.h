/*
 * simd.h: one portable vector type for the CPU kernels.
 *
 * kernels.c is compiled once per instruction set (see CMakeLists.txt) with
 * T4J_VARIANT set to avx512, avx2 or scalar. GCC vector extensions give one
 * source for all three: the compiler lowers `vf` to zmm, ymm or xmm registers.
 * Elsewhere than x86-64 only `scalar` is built, with no intrinsics at all: 16-byte
 * vectors the compiler lowers to the target's (NEON q registers on aarch64).
 *   VW  floats per vector (16, 8, 4)
 *   NV  vectors per row in the register-blocked micro-kernels (4 rows x NV)
 */
#ifndef T4J_SIMD_H
#define T4J_SIMD_H

#include <stdint.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define T4J_X86 1
#else
#define T4J_X86 0
#endif

#if defined(__AVX512F__)
#define VW 16
#define NV 4
#elif defined(__AVX2__)
#define VW 8
#define NV 2
#else
#define VW 4
#define NV 2
#endif

/* aligned(4): loads and stores through these types need no alignment. */
typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));
typedef int32_t vi __attribute__((vector_size(VW * 4), aligned(4)));

static inline vf vload(const float *p) { return *(const vf *)p; }

/*
 * VW bfloat16 values (the upper 16 bits of a float32) widened to float32. Intrinsics rather than
 * __builtin_convertvector, which GCC 12 splits into 128-bit halves on AVX-512.
 */
static inline vf vload_bf16(const uint16_t *p) {
#if defined(__AVX512F__)
    return (vf)_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16);
#elif defined(__AVX2__)
    return (vf)_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16);
#elif T4J_X86
    /* zeros interleaved below the values: each 32-bit lane is its value shifted up by 16 */
    return (vf)_mm_unpacklo_epi16(_mm_setzero_si128(), _mm_loadl_epi64((const __m128i *)p));
#else
    typedef uint16_t vh __attribute__((vector_size(VW * 2), aligned(2)));
    typedef uint32_t vu __attribute__((vector_size(VW * 4)));
    return (vf)(__builtin_convertvector(*(const vh *)p, vu) << 16);
#endif
}
static inline float bf16_to_float(uint16_t h) {
    union { uint32_t u; float f; } v = {(uint32_t)h << 16};
    return v.f;
}
static inline void vstore(float *p, vf v) { *(vf *)p = v; }
static inline vf vset(float s) { return (vf){0} + s; }

/* Non-temporal store (p aligned to VW * 4 bytes): no read-for-ownership, bypasses the caches. */
static inline void vstream(float *p, vf v) {
#if defined(__AVX512F__)
    _mm512_stream_ps(p, (__m512)v);
#elif defined(__AVX2__)
    _mm256_stream_ps(p, (__m256)v);
#elif T4J_X86
    _mm_stream_ps(p, (__m128)v);
#else
    vstore(p, v); /* a plain store: no portable non-temporal one */
#endif
}

/* Orders non-temporal stores before what follows (nothing to order where they are plain stores). */
static inline void vstream_fence(void) {
#if T4J_X86
    _mm_sfence();
#endif
}

/* Brings a cache line towards the core (to L2 on x86); never faults. */
static inline void vprefetch_l2(const void *p) {
#if T4J_X86
    _mm_prefetch((const char *)p, _MM_HINT_T1);
#else
    __builtin_prefetch(p, 0, 2);
#endif
}

/* Outputs at least this large are written with non-temporal stores: they cannot stay in cache. */
#define STREAM_BYTES (16ll << 20)

static inline int valigned(const float *p) { return ((uintptr_t)p & (VW * 4 - 1)) == 0; }

static inline vf vselect(vi m, vf a, vf b) {
    return (vf)(((vi)a & m) | ((vi)b & ~m));
}
static inline vf vmax(vf a, vf b) {
#if defined(__AVX512F__)
    return (vf)_mm512_max_ps((__m512)a, (__m512)b);
#elif defined(__AVX2__)
    return (vf)_mm256_max_ps((__m256)a, (__m256)b);
#elif T4J_X86
    return (vf)_mm_max_ps((__m128)a, (__m128)b);
#else
    return vselect(a > b, a, b); /* as maxps: b where either is NaN */
#endif
}

/* Horizontal sum and max as trees: a serial chain of VW dependent adds cost a decode step's
 * attention a third of its time (one sum per cached key). */
static inline float vhsum(vf v) {
#if defined(__AVX512F__)
    return _mm512_reduce_add_ps((__m512)v);
#elif defined(__AVX2__)
    __m128 x = _mm_add_ps(_mm256_castps256_ps128((__m256)v), _mm256_extractf128_ps((__m256)v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
#else
    return (v[0] + v[2]) + (v[1] + v[3]);
#endif
}
static inline float vhmax(vf v) {
#if defined(__AVX512F__)
    return _mm512_reduce_max_ps((__m512)v);
#else
    float m = v[0];
    for (int i = 1; i < VW; i++) m = v[i] > m ? v[i] : m;
    return m;
#endif
}

static inline vf vmin(vf a, vf b) {
#if defined(__AVX512F__)
    return (vf)_mm512_min_ps((__m512)a, (__m512)b);
#elif defined(__AVX2__)
    return (vf)_mm256_min_ps((__m256)a, (__m256)b);
#elif T4J_X86
    return (vf)_mm_min_ps((__m128)a, (__m128)b);
#else
    return vselect(a < b, a, b); /* as minps: b where either is NaN */
#endif
}

static inline float vhmin(vf v) {
    float m = v[0];
    for (int i = 1; i < VW; i++) m = v[i] < m ? v[i] : m;
    return m;
}

/* 2^f for f in [-0.5, 0.5]: a degree-5 minimax polynomial, relative error < 1.6e-7. */
static inline vf vexp2_poly(vf f) {
    vf p = vset(1.327644451521337e-3f);
    p = p * f + 9.67553723603487e-3f;
    p = p * f + 5.550713464617729e-2f;
    p = p * f + 2.4022120237350464e-1f;
    p = p * f + 6.931469440460205e-1f;
    return p * f + 1.0000001192092896f;
}

/*
 * 2^t elementwise, for softmax with log2(e) folded into its scale: cheaper than
 * vexp. Inputs below -125 (including -inf) give exactly 0, never a denormal.
 */
#if defined(__AVX512F__)
/*
 * 2^t for t that is never -inf: below -125 it gives about 2^-125 instead of
 * an exact 0 (a deviation far below float precision), one step cheaper.
 */
static inline vf vexp2_finite(vf t) {
    t = vmax(t, vset(-125.0f));
    vf n = (vf)_mm512_roundscale_ps((__m512)t, _MM_FROUND_TO_NEAREST_INT);
    return (vf)_mm512_scalef_ps((__m512)vexp2_poly(t - n), (__m512)n);
}

static inline vf vexp2(vf t) {
    /* clamp where the result is still a normal number: an underflow costs a microcode assist */
    vi under = t < -125.0f;
    t = vmax(t, vset(-125.0f));
    vf n = (vf)_mm512_roundscale_ps((__m512)t, _MM_FROUND_TO_NEAREST_INT);
    vf e = (vf)_mm512_scalef_ps((__m512)vexp2_poly(t - n), (__m512)n);
    return vselect(under, vset(0.0f), e);
}
#else
static inline vf vexp2(vf t) {
    const vf magic = vset(12582912.0f);
    vi under = t < -126.0f;
    t = vmin(vmax(t, vset(-126.0f)), vset(127.0f));
    vf u = t + magic;
    vf n = u - magic;
    vf e = vexp2_poly(t - n) * (vf)(((vi)u - (vi)magic + 127) << 23);
    return vselect(under, vset(0.0f), e);
}

static inline vf vexp2_finite(vf t) { return vexp2(t); }
#endif

#define LOG2E 1.44269504088896341f

/* 1/d for a finite d away from 0: the hardware estimate and one Newton step (about 24 bits). */
static inline vf vrcp_finite(vf d) {
#if defined(__AVX512F__)
    vf r = (vf)_mm512_rcp14_ps((__m512)d);
#elif defined(__AVX2__)
    vf r = (vf)_mm256_rcp_ps((__m256)d);
#elif T4J_X86
    vf r = (vf)_mm_rcp_ps((__m128)d);
#endif
#if T4J_X86
    return r * (2.0f - d * r);
#else
    return 1.0f / d; /* exact: no estimate instruction to refine portably */
#endif
}

/* 1/d for d > 0, clamped at 1e30 so that an infinite d gives a tiny result, not NaN. */
static inline vf vrcp(vf d) { return vrcp_finite(vmin(d, vset(1e30f))); }

/*
 * exp(x) elementwise, Cephes expf: n = round(x log2 e), r = x - n ln 2,
 * a degree-6 polynomial for exp(r), then scale by 2^n. Relative error about
 * 1e-7. AVX-512: roundscale and scalef; inputs below -87 (including -inf)
 * give exactly 0 (never a denormal: producing one costs a microcode assist),
 * inputs above 88.7 (including +inf) give +inf.
 * Otherwise: 2^n through the exponent bits, inputs below -87.3 give exactly
 * 0 and inputs are clamped at 88.3.
 */
static inline vf vexp_poly(vf x, vf n) {
    vf r = x - n * 0.693359375f + n * 2.12194440e-4f;
    vf y = vset(1.9875691500e-4f);
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    return y * r * r + r + 1.0f;
}

#if defined(__AVX512F__)
static inline vf vexp(vf x) {
    /* below -87 the result would underflow (a microcode assist each): give 0 instead */
    vi under = x < -87.0f;
    /* above 89 the result is +inf (scalef by 2^128); unclamped, the reduction lost all precision
     * and very large inputs (GELU-tanh of 1e4) gave NaN */
    x = vmin(vmax(x, vset(-87.0f)), vset(89.0f));
    vf n = (vf)_mm512_roundscale_ps((__m512)(x * 1.44269504088896341f), _MM_FROUND_TO_NEAREST_INT);
    vf e = (vf)_mm512_scalef_ps((__m512)vexp_poly(x, n), (__m512)n);
    return vselect(under, vset(0.0f), e);
}
#else
static inline vf vexp(vf x) {
    const vf lo = vset(-87.3f), hi = vset(88.3f), magic = vset(12582912.0f);
    vi under = x < lo;
    x = vselect(x > hi, hi, x);
    x = vselect(under, lo, x);
    vf t = x * 1.44269504088896341f + magic;
    vf n = t - magic;
    vf e = vexp_poly(x, n) * (vf)(((vi)t - (vi)magic + 127) << 23);
    return vselect(under, vset(0.0f), e);
}
#endif

#endif
