/*
 * variant.h: what the CPU kernel files share (norms.c, softmax.c, attention.c, elementwise.c,
 * gemm.c, and the table in kernels.c). Each is compiled once per instruction set with
 * T4J_VARIANT naming it (see CMakeLists.txt); KFN gives each kernel a name of its variant.
 */
#ifndef T4J_VARIANT_H
#define T4J_VARIANT_H

#include <stdlib.h>

#include "kernels.h"
#include "simd.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define KTABLE CAT(t4j_kernels_, T4J_VARIANT)
#define STR_(a) #a
#define STR(a) STR_(a)

#define TC (NV * VW) /* columns of a register tile */

static inline void *alloc64(size_t bytes) {
    return aligned_alloc(64, (bytes + 63) & ~(size_t)63);
}

static inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/* Visible keys [lo, hi) of query i of b (S queries aligned to the last of T keys). */
static inline void visible_range(const int32_t *key_start, const int32_t *key_len, int64_t b,
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

/* The kernels of one instruction set, one family a file; kernels.c gathers them into KTABLE. */
#define KFN(name) CAT(CAT(t4j_, T4J_VARIANT), CAT(_, name))
#define KERNEL __attribute__((visibility("hidden")))

#define KERNEL_DECLARATION(ret, name, params) KERNEL ret KFN(name) params;
T4J_CPU_KERNELS(KERNEL_DECLARATION)
#undef KERNEL_DECLARATION

#endif
