// Warp-level tensor-core primitives (sm_80 and later): mma.sync m16n8k16 with float32
// accumulation, ldmatrix, cp.async, ex2.approx. Fragment layouts are the PTX ISA's; for
// m16n8k16 (g = lane / 4, t = lane % 4, pairs of 16-bit elements per 32-bit register):
//   A 16 x 16: a[0] (row g, cols 2t, 2t+1), a[1] row g+8, a[2] cols 2t+8, 2t+9, a[3] both;
//   B 16 x 8:  b0 (rows 2t, 2t+1, col g), b1 rows 2t+8, 2t+9;
//   C 16 x 8:  c[0], c[1] (row g, cols 2t, 2t+1), c[2], c[3] row g+8.
// Under the CPU emulator of the tests (T4J_CUDA_EMU) the same calls go to its versions.
#ifndef T4J_CUDA_MMA_CUH
#define T4J_CUDA_MMA_CUH

#include "common.cuh"

namespace t4j {

// Two floats as one register of two 16-bit elements, `lo` in the low half.
template <typename T> __device__ __forceinline__ uint32_t pack2(float lo, float hi);

#ifdef T4J_CUDA_EMU

template <> inline uint32_t pack2<__half>(float lo, float hi) {
    return (uint32_t)__float2half_rn(lo).x | ((uint32_t)__float2half_rn(hi).x << 16);
}
template <> inline uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
    return (uint32_t)__float2bfloat16_rn(lo).x | ((uint32_t)__float2bfloat16_rn(hi).x << 16);
}
template <typename T> inline void mma_16816(float d[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
    t4j_emu::mma_16816<T>(d, a, b0, b1, d);
}
inline void ldmatrix_x4(uint32_t r[4], const void *row) { t4j_emu::ldmatrix_x4(r, row, false); }
inline void ldmatrix_x4_trans(uint32_t r[4], const void *row) { t4j_emu::ldmatrix_x4(r, row, true); }
inline void cp_async_16(void *dst, const void *src, int src_bytes) { t4j_emu::cp_async_16(dst, src, src_bytes); }
inline void cp_async_commit() { t4j_emu::cp_async_commit(); }
template <int N> inline void cp_async_wait() { t4j_emu::cp_async_wait(N); }
inline float exp2_approx(float x) { return exp2f(x); }

#else

template <> __device__ __forceinline__ uint32_t pack2<__half>(float lo, float hi) {
    __half2 h = __floats2half2_rn(lo, hi);
    return *(uint32_t *)&h;
}
template <> __device__ __forceinline__ uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
    __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *(uint32_t *)&h;
}

// d += a b
template <typename T> __device__ __forceinline__ void mma_16816(float d[4], const uint32_t a[4], uint32_t b0, uint32_t b1);
template <> __device__ __forceinline__ void mma_16816<__half>(float d[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mma_16816<__nv_bfloat16>(float d[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t smem_addr(const void *p) { return (uint32_t)__cvta_generic_to_shared(p); }

// Four 8 x 8 matrices of 16-bit elements; lane l gives the address of row l % 8 of matrix l / 8.
__device__ __forceinline__ void ldmatrix_x4(uint32_t r[4], const void *row) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr(row)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t r[4], const void *row) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr(row)));
}

// 16 bytes global -> shared without registers; bytes past src_bytes are zero-filled.
__device__ __forceinline__ void cp_async_16(void *dst, const void *src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(src_bytes)
                 : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
// Waits until at most N of this thread's committed groups are still in flight.
template <int N> __device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ float exp2_approx(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
}

#endif

} // namespace t4j

#endif
