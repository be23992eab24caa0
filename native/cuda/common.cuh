// Shared by the CUDA kernels: element types, checks, warp reductions.
#ifndef T4J_CUDA_COMMON_CUH
#define T4J_CUDA_COMMON_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "t4j_cuda.h"

namespace t4j {

template <typename T> __device__ __forceinline__ float to_f(T x);
template <> __device__ __forceinline__ float to_f<float>(float x) { return x; }
template <> __device__ __forceinline__ float to_f<__half>(__half x) { return __half2float(x); }
template <> __device__ __forceinline__ float to_f<__nv_bfloat16>(__nv_bfloat16 x) {
    return __bfloat162float(x);
}

template <typename T> __device__ __forceinline__ T from_f(float x);
template <> __device__ __forceinline__ float from_f<float>(float x) { return x; }
template <> __device__ __forceinline__ __half from_f<__half>(float x) { return __float2half_rn(x); }
template <> __device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float x) {
    return __float2bfloat16_rn(x);
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

__device__ __forceinline__ float activate(int32_t act, float x) {
    switch (act) {
    case T4J_ACT_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case T4J_ACT_GELU_TANH: {
        float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1.0f + tanhf(inner));
    }
    case T4J_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case T4J_ACT_SILU: return x / (1.0f + expf(-x));
    default: return x;
    }
}

inline bool valid_act(int32_t act) { return act >= T4J_ACT_NONE && act <= T4J_ACT_SILU; }

// Records a failed launch for t4j_cuda_last_error(); returns the status to give back.
int32_t fail(cudaError_t err);

// Status of the launch just queued.
inline int32_t launched() {
    cudaError_t err = cudaGetLastError();
    return err == cudaSuccess ? T4J_OK : fail(err);
}

// Blocks for n work items of `per_block` each, capped where a grid-stride loop takes over.
inline unsigned blocks_for(int64_t n, int per_block) {
    int64_t b = (n + per_block - 1) / per_block;
    return (unsigned)(b < 65535 * 16 ? (b < 1 ? 1 : b) : 65535 * 16);
}

inline bool aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

} // namespace t4j

// kernel<<<grid, block, smem, stream>>>(args), written so that the CPU emulator of the tests
// (native/tests/emu) can run it too: T4J_LAUNCH(grid, block, smem, stream, kernel)(args).
// T4J_DYNAMIC_SMEM(name) declares the block's dynamic shared memory as unsigned char name[].
#ifdef T4J_CUDA_EMU
#define T4J_LAUNCH(grid, block, smem, stream, ...) ::t4j_emu::launcher(__VA_ARGS__, grid, block, smem, stream)
#define T4J_DYNAMIC_SMEM(name) unsigned char *name = ::t4j_emu::dynamic_smem()
#else
#define T4J_LAUNCH(grid, block, smem, stream, ...) __VA_ARGS__<<<grid, block, smem, stream>>>
#define T4J_DYNAMIC_SMEM(name) extern __shared__ __align__(128) unsigned char name[]
#endif

// Runs BODY with T bound to the C++ type of a T4J_* element type.
#define T4J_DISPATCH(dtype, ...)                                                           \
    switch (dtype) {                                                                        \
    case T4J_F32: { using T = float; __VA_ARGS__; }                                         \
    case T4J_F16: { using T = __half; __VA_ARGS__; }                                        \
    case T4J_BF16: { using T = __nv_bfloat16; __VA_ARGS__; }                                \
    default: return T4J_ERR_DTYPE;                                                          \
    }

#endif
