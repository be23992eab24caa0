// Layer norm and RMS norm over rows, each fused with the residual add before it.
#include "common.cuh"

namespace t4j {
namespace {

struct NormArgs {
    const void *x, *r;
    void *sum_out, *y;
    const void *gamma, *beta;
    int64_t rows, cols;
    float eps;
};

// One warp per row, the row held in registers: element lane + 32 i in slot i.
template <typename T, int VPT, bool RMS>
__global__ void norm_warp(NormArgs a) {
    int64_t row = (int64_t)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (row >= a.rows) return;
    int lane = threadIdx.x % 32;
    const T *x = (const T *)a.x + row * a.cols;
    const T *r = a.r ? (const T *)a.r + row * a.cols : nullptr;
    float s[VPT];
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < VPT; i++) {
        int64_t j = lane + 32 * i;
        s[i] = 0.0f;
        if (j < a.cols) {
            s[i] = to_f(x[j]) + (r ? to_f(r[j]) : 0.0f);
            sum += s[i];
        }
    }
    float mean = RMS ? 0.0f : warp_sum(sum) / (float)a.cols;
    float sq = 0.0f;
#pragma unroll
    for (int i = 0; i < VPT; i++) {
        if (lane + 32 * i < a.cols) sq += (s[i] - mean) * (s[i] - mean);
    }
    float rstd = rsqrtf(warp_sum(sq) / (float)a.cols + a.eps);
    T *sum_out = a.sum_out ? (T *)a.sum_out + row * a.cols : nullptr;
    T *y = (T *)a.y + row * a.cols;
    const T *gamma = (const T *)a.gamma, *beta = (const T *)a.beta;
#pragma unroll
    for (int i = 0; i < VPT; i++) {
        int64_t j = lane + 32 * i;
        if (j < a.cols) {
            if (sum_out) sum_out[j] = from_f<T>(s[i]);
            float v = (s[i] - mean) * rstd * to_f(gamma[j]);
            if (!RMS && beta) v += to_f(beta[j]);
            y[j] = from_f<T>(v);
        }
    }
}

// Like norm_warp, 16 bytes a load: lane holds chunks lane + 32 c of E = 16 / sizeof(T) elements.
// Needs cols a multiple of E and every pointer 16-byte aligned.
template <typename T, int C, bool RMS>
__global__ void norm_warp_vec(NormArgs a) {
    constexpr int E = 16 / sizeof(T);
    int64_t row = (int64_t)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (row >= a.rows) return;
    int lane = threadIdx.x % 32;
    int64_t chunks = a.cols / E;
    const T *x = (const T *)a.x + row * a.cols;
    const T *r = a.r ? (const T *)a.r + row * a.cols : nullptr;
    float s[C][E];
    float sum = 0.0f;
#pragma unroll
    for (int c = 0; c < C; c++) {
        int64_t k = lane + 32 * c;
        alignas(16) T xe[E], re[E];
        if (k < chunks) {
            *(uint4 *)xe = *(const uint4 *)(x + k * E);
            if (r) *(uint4 *)re = *(const uint4 *)(r + k * E);
        }
#pragma unroll
        for (int e = 0; e < E; e++) {
            s[c][e] = k < chunks ? to_f(xe[e]) + (r ? to_f(re[e]) : 0.0f) : 0.0f;
            sum += s[c][e];
        }
    }
    float mean = RMS ? 0.0f : warp_sum(sum) / (float)a.cols;
    float sq = 0.0f;
#pragma unroll
    for (int c = 0; c < C; c++)
        if (lane + 32 * c < chunks)
#pragma unroll
            for (int e = 0; e < E; e++) sq += (s[c][e] - mean) * (s[c][e] - mean);
    float rstd = rsqrtf(warp_sum(sq) / (float)a.cols + a.eps);
    T *sum_out = a.sum_out ? (T *)a.sum_out + row * a.cols : nullptr;
    T *y = (T *)a.y + row * a.cols;
#pragma unroll
    for (int c = 0; c < C; c++) {
        int64_t k = lane + 32 * c;
        if (k >= chunks) continue;
        alignas(16) T ge[E], be[E], out[E];
        *(uint4 *)ge = *(const uint4 *)((const T *)a.gamma + k * E);
        if (!RMS && a.beta) *(uint4 *)be = *(const uint4 *)((const T *)a.beta + k * E);
        if (sum_out) {
#pragma unroll
            for (int e = 0; e < E; e++) out[e] = from_f<T>(s[c][e]);
            *(uint4 *)(sum_out + k * E) = *(const uint4 *)out;
        }
#pragma unroll
        for (int e = 0; e < E; e++) {
            float v = (s[c][e] - mean) * rstd * to_f(ge[e]);
            if (!RMS && a.beta) v += to_f(be[e]);
            out[e] = from_f<T>(v);
        }
        *(uint4 *)(y + k * E) = *(const uint4 *)out;
    }
}

__device__ float block_sum(float v, float *scratch) {
    v = warp_sum(v);
    int warp = threadIdx.x / 32, warps = blockDim.x / 32;
    __syncthreads(); // scratch may still be read from the previous sum
    if (threadIdx.x % 32 == 0) scratch[warp] = v;
    __syncthreads();
    float total = 0.0f;
    for (int w = 0; w < warps; w++) total += scratch[w];
    return total;
}

// One block per row for long rows, reading the row three times (the later reads hit the cache).
// Thread t always handles elements t + k blockDim, so aliased outputs are safe.
template <typename T, bool RMS>
__global__ void norm_block(NormArgs a) {
    __shared__ float scratch[32];
    int64_t row = blockIdx.x;
    const T *x = (const T *)a.x + row * a.cols;
    const T *r = a.r ? (const T *)a.r + row * a.cols : nullptr;
    T *sum_out = a.sum_out ? (T *)a.sum_out + row * a.cols : nullptr;
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < a.cols; j += blockDim.x) {
        float s = to_f(x[j]) + (r ? to_f(r[j]) : 0.0f);
        if (sum_out) sum_out[j] = from_f<T>(s);
        sum += s;
    }
    float mean = RMS ? 0.0f : block_sum(sum, scratch) / (float)a.cols;
    // with sum_out written, read s back from it: in half precision x + r would differ
    auto load = [&](int64_t j) {
        return sum_out ? to_f(sum_out[j]) : to_f(x[j]) + (r ? to_f(r[j]) : 0.0f);
    };
    float sq = 0.0f;
    for (int64_t j = threadIdx.x; j < a.cols; j += blockDim.x) {
        float d = load(j) - mean;
        sq += d * d;
    }
    float rstd = rsqrtf(block_sum(sq, scratch) / (float)a.cols + a.eps);
    T *y = (T *)a.y + row * a.cols;
    const T *gamma = (const T *)a.gamma, *beta = (const T *)a.beta;
    for (int64_t j = threadIdx.x; j < a.cols; j += blockDim.x) {
        float v = (load(j) - mean) * rstd * to_f(gamma[j]);
        if (!RMS && beta) v += to_f(beta[j]);
        y[j] = from_f<T>(v);
    }
}

// The vectorised kernel where rows are whole 16-byte chunks, at most 16 a lane; false otherwise.
template <typename T, bool RMS>
bool launch_norm_vec(const NormArgs &a, unsigned grid, int threads, cudaStream_t stream) {
    constexpr int E = 16 / sizeof(T);
    if (a.cols % E != 0) return false;
    const void *ptrs[] = {a.x, a.r, a.sum_out, a.y, a.gamma, a.beta};
    for (const void *p : ptrs)
        if (!aligned16(p)) return false;
    int64_t per_lane = (a.cols / E + 31) / 32;
    if (per_lane <= 1) T4J_LAUNCH(grid, threads, 0, stream, norm_warp_vec<T, 1, RMS>)(a);
    else if (per_lane <= 2) T4J_LAUNCH(grid, threads, 0, stream, norm_warp_vec<T, 2, RMS>)(a);
    else if (per_lane <= 3) T4J_LAUNCH(grid, threads, 0, stream, norm_warp_vec<T, 3, RMS>)(a);
    else if (per_lane <= 4) T4J_LAUNCH(grid, threads, 0, stream, norm_warp_vec<T, 4, RMS>)(a);
    else if (per_lane <= 8) T4J_LAUNCH(grid, threads, 0, stream, norm_warp_vec<T, 8, RMS>)(a);
    else if (per_lane <= 16) T4J_LAUNCH(grid, threads, 0, stream, norm_warp_vec<T, 16, RMS>)(a);
    else return false;
    return true;
}

template <typename T, bool RMS>
int32_t launch_norm(const NormArgs &a, cudaStream_t stream) {
    const int warps = 4;
    unsigned grid = (unsigned)((a.rows + warps - 1) / warps);
    if (launch_norm_vec<T, RMS>(a, grid, 32 * warps, stream)) return launched();
    int vpt = (int)((a.cols + 31) / 32);
    if (vpt <= 4) T4J_LAUNCH(grid, 32 * warps, 0, stream, norm_warp<T, 4, RMS>)(a);
    else if (vpt <= 8) T4J_LAUNCH(grid, 32 * warps, 0, stream, norm_warp<T, 8, RMS>)(a);
    else if (vpt <= 16) T4J_LAUNCH(grid, 32 * warps, 0, stream, norm_warp<T, 16, RMS>)(a);
    else if (vpt <= 32) T4J_LAUNCH(grid, 32 * warps, 0, stream, norm_warp<T, 32, RMS>)(a);
    else T4J_LAUNCH((unsigned)a.rows, 256, 0, stream, norm_block<T, RMS>)(a);
    return launched();
}

template <bool RMS>
int32_t norm(int32_t dtype, const NormArgs &a, void *stream) {
    if (!a.x || !a.y || !a.gamma) return T4J_ERR_NULL;
    if (a.rows < 0 || a.cols <= 0 || a.rows > INT32_MAX || !(a.eps >= 0.0f)) return T4J_ERR_SIZE;
    if (a.rows == 0) return T4J_OK;
    T4J_DISPATCH(dtype, return (launch_norm<T, RMS>(a, (cudaStream_t)stream)))
}

} // namespace
} // namespace t4j

extern "C" int32_t t4j_cuda_layer_norm(int32_t dtype, const void *x, const void *r, void *sum_out,
                                       void *y, const void *gamma, const void *beta, int64_t rows,
                                       int64_t cols, float eps, void *stream) {
    return t4j::norm<false>(dtype, {x, r, sum_out, y, gamma, beta, rows, cols, eps}, stream);
}

extern "C" int32_t t4j_cuda_rms_norm(int32_t dtype, const void *x, const void *r, void *sum_out,
                                     void *y, const void *gamma, int64_t rows, int64_t cols,
                                     float eps, void *stream) {
    return t4j::norm<true>(dtype, {x, r, sum_out, y, gamma, nullptr, rows, cols, eps}, stream);
}
