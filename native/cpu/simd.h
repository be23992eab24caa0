/*
 * simd.h: one portable vector type for the CPU kernels.
 *
 * kernels.c is compiled once per instruction set (see CMakeLists.txt) with
 * T4J_VARIANT set to avx512, avx2 or scalar. GCC vector extensions give one
 * source for all three: the compiler lowers `vf` to zmm, ymm or xmm registers.
 *   VW  floats per vector (16, 8, 4)
 *   NV  vectors per row in the register-blocked micro-kernels (4 rows x NV)
 */
#ifndef T4J_SIMD_H
#define T4J_SIMD_H

#include <stdint.h>

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
static inline void vstore(float *p, vf v) { *(vf *)p = v; }
static inline vf vset(float s) { return (vf){0} + s; }

static inline vf vselect(vi m, vf a, vf b) {
    return (vf)(((vi)a & m) | ((vi)b & ~m));
}
static inline vf vmax(vf a, vf b) { return vselect(a > b, a, b); }

static inline float vhsum(vf v) {
    float s = 0.0f;
    for (int i = 0; i < VW; i++) s += v[i];
    return s;
}
static inline float vhmax(vf v) {
    float m = v[0];
    for (int i = 1; i < VW; i++) m = v[i] > m ? v[i] : m;
    return m;
}

/*
 * exp(x) elementwise, Cephes expf: n = round(x log2 e), r = x - n ln 2,
 * a degree-6 polynomial for exp(r), then scale by 2^n through the exponent
 * bits. Relative error about 1e-7. x below -87.3 (including -inf) gives
 * exactly 0; x is clamped at 88.3 above.
 */
static inline vf vexp(vf x) {
    const vf lo = vset(-87.3f), hi = vset(88.3f), magic = vset(12582912.0f);
    vi under = x < lo;
    x = vselect(x > hi, hi, x);
    x = vselect(under, lo, x);
    vf t = x * 1.44269504088896341f + magic;
    vf n = t - magic;
    vi ni = (vi)t - (vi)magic;
    vf r = x - n * 0.693359375f + n * 2.12194440e-4f;
    vf y = vset(1.9875691500e-4f);
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r * r + r + 1.0f;
    vf scale = (vf)((ni + 127) << 23);
    return vselect(under, vset(0.0f), y * scale);
}

#endif
