// Masked softmax over the last axis, one warp per row; keys outside a row's visible range are
// neither read nor exponentiated, only written as zeros.
#include "common.cuh"

namespace t4j {
namespace {

struct SoftmaxArgs {
    t4j_softmax_params p;
    const void *x;
    void *y;
};

struct RowRange {
    int64_t lo, hi;
};

__device__ RowRange visible(const t4j_softmax_params &p, int64_t b, int64_t i) {
    int64_t lo = p.key_start ? p.key_start[b] : 0;
    int64_t hi = p.key_len ? p.key_len[b] : p.cols;
    if (lo < 0) lo = 0;
    if (lo > p.cols) lo = p.cols;
    if (hi > p.cols) hi = p.cols;
    if (p.causal) hi = min(hi, i + (p.cols - p.rows) + 1);
    return {lo, hi};
}

// The row a softmax kernel's warp handles: its visible keys, input, output and mask row.
template <typename T>
struct Row {
    RowRange v;
    const T *x;
    T *y;
    const float *mask;
};

// Fills r for this warp's row; false when the warp has none.
template <typename T>
__device__ bool warp_row(const SoftmaxArgs &a, Row<T> &r) {
    const t4j_softmax_params &p = a.p;
    int64_t row = (int64_t)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (row >= p.batch * p.heads * p.rows) return false;
    int64_t i = row % p.rows, h = (row / p.rows) % p.heads, b = row / (p.rows * p.heads);
    r.v = visible(p, b, i);
    r.x = (const T *)a.x + row * p.cols;
    r.y = (T *)a.y + row * p.cols;
    r.mask = p.mask ? p.mask + b * p.mask_stride_b + h * p.mask_stride_h + i * p.mask_stride_s : nullptr;
    return true;
}

__device__ float score(const SoftmaxArgs &a, float x, const float *mask_row, int64_t j) {
    float s = a.p.scale * x;
    return mask_row ? s + mask_row[j] : s;
}

// VPT > 0: the row in registers (element lane + 32 k in slot k). VPT == 0: any length, three reads.
template <typename T, int VPT>
__global__ void softmax_rows(SoftmaxArgs a) {
    const t4j_softmax_params &p = a.p;
    Row<T> r;
    if (!warp_row(a, r)) return;
    int lane = threadIdx.x % 32;
    float m = -INFINITY, sum = 0.0f;
    if (VPT > 0) {
        float s[VPT > 0 ? VPT : 1];
#pragma unroll
        for (int k = 0; k < (VPT > 0 ? VPT : 1); k++) {
            int64_t j = r.v.lo + lane + 32 * k;
            s[k] = j < r.v.hi ? score(a, to_f(r.x[j]), r.mask, j) : -INFINITY;
            m = fmaxf(m, s[k]);
        }
        m = warp_max(m);
#pragma unroll
        for (int k = 0; k < (VPT > 0 ? VPT : 1); k++) {
            s[k] = m == -INFINITY ? 0.0f : __expf(s[k] - m);
            sum += s[k];
        }
        float total = warp_sum(sum);
        float inv = total > 0.0f ? 1.0f / total : 0.0f;
#pragma unroll
        for (int k = 0; k < (VPT > 0 ? VPT : 1); k++) {
            int64_t j = r.v.lo + lane + 32 * k;
            if (j < r.v.hi) r.y[j] = from_f<T>(s[k] * inv);
        }
    } else {
        for (int64_t j = r.v.lo + lane; j < r.v.hi; j += 32) m = fmaxf(m, score(a, to_f(r.x[j]), r.mask, j));
        m = warp_max(m);
        if (m != -INFINITY) {
            for (int64_t j = r.v.lo + lane; j < r.v.hi; j += 32) sum += __expf(score(a, to_f(r.x[j]), r.mask, j) - m);
        }
        sum = warp_sum(sum);
        float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
        for (int64_t j = r.v.lo + lane; j < r.v.hi; j += 32) {
            float e = m == -INFINITY ? 0.0f : __expf(score(a, to_f(r.x[j]), r.mask, j) - m);
            r.y[j] = from_f<T>(e * inv);
        }
    }
    // the masked ends of the row (all of it when the range is empty)
    int64_t end = max(r.v.hi, r.v.lo);
    for (int64_t j = lane; j < r.v.lo; j += 32) r.y[j] = from_f<T>(0.0f);
    for (int64_t j = end + lane; j < p.cols; j += 32) r.y[j] = from_f<T>(0.0f);
}

// Like softmax_rows with the row in registers, 16 bytes a load and a store: lane holds chunks
// lane + 32 c of E = 16 / sizeof(T) elements. Chunks wholly outside the visible range are not
// read, only written as zeros. Needs cols a multiple of E and x, y 16-byte aligned.
template <typename T, int C>
__global__ void softmax_vec(SoftmaxArgs a) {
    constexpr int E = 16 / sizeof(T);
    const t4j_softmax_params &p = a.p;
    Row<T> r;
    if (!warp_row(a, r)) return;
    int lane = threadIdx.x % 32;
    int64_t chunks = p.cols / E;
    float s[C][E], m = -INFINITY;
#pragma unroll
    for (int c = 0; c < C; c++) {
        int64_t j0 = (lane + 32 * c) * (int64_t)E;
        alignas(16) T xe[E];
        bool read = lane + 32 * c < chunks && j0 < r.v.hi && j0 + E > r.v.lo;
        if (read) *(uint4 *)xe = *(const uint4 *)(r.x + j0);
#pragma unroll
        for (int e = 0; e < E; e++) {
            int64_t j = j0 + e;
            s[c][e] = read && j >= r.v.lo && j < r.v.hi ? score(a, to_f(xe[e]), r.mask, j) : -INFINITY;
            m = fmaxf(m, s[c][e]);
        }
    }
    m = warp_max(m);
    float sum = 0.0f;
#pragma unroll
    for (int c = 0; c < C; c++)
#pragma unroll
        for (int e = 0; e < E; e++) {
            s[c][e] = m == -INFINITY || s[c][e] == -INFINITY ? 0.0f : __expf(s[c][e] - m);
            sum += s[c][e];
        }
    float total = warp_sum(sum);
    float inv = total > 0.0f ? 1.0f / total : 0.0f;
#pragma unroll
    for (int c = 0; c < C; c++) {
        if (lane + 32 * c >= chunks) continue;
        alignas(16) T out[E];
#pragma unroll
        for (int e = 0; e < E; e++) out[e] = from_f<T>(s[c][e] * inv);
        *(uint4 *)(r.y + (lane + 32 * c) * (int64_t)E) = *(const uint4 *)out;
    }
}

// The vectorised kernel where it applies (at most 16 chunks a lane); false otherwise.
template <typename T>
bool launch_softmax_vec(const SoftmaxArgs &a, unsigned grid, int threads, cudaStream_t stream) {
    constexpr int E = 16 / sizeof(T);
    if (a.p.cols % E != 0 || !aligned16(a.x) || !aligned16(a.y)) return false;
    int64_t per_lane = (a.p.cols / E + 31) / 32;
    if (per_lane <= 1) T4J_LAUNCH(grid, threads, 0, stream, softmax_vec<T, 1>)(a);
    else if (per_lane <= 2) T4J_LAUNCH(grid, threads, 0, stream, softmax_vec<T, 2>)(a);
    else if (per_lane <= 4) T4J_LAUNCH(grid, threads, 0, stream, softmax_vec<T, 4>)(a);
    else if (per_lane <= 8) T4J_LAUNCH(grid, threads, 0, stream, softmax_vec<T, 8>)(a);
    else if (per_lane <= 16) T4J_LAUNCH(grid, threads, 0, stream, softmax_vec<T, 16>)(a);
    else return false;
    return true;
}

template <typename T>
int32_t launch_softmax(const SoftmaxArgs &a, cudaStream_t stream) {
    const int warps = 4;
    int64_t rows = a.p.batch * a.p.heads * a.p.rows;
    unsigned grid = (unsigned)((rows + warps - 1) / warps);
    if (launch_softmax_vec<T>(a, grid, 32 * warps, stream)) return launched();
    int64_t vpt = (a.p.cols + 31) / 32;
    if (vpt <= 4) T4J_LAUNCH(grid, 32 * warps, 0, stream, softmax_rows<T, 4>)(a);
    else if (vpt <= 8) T4J_LAUNCH(grid, 32 * warps, 0, stream, softmax_rows<T, 8>)(a);
    else if (vpt <= 16) T4J_LAUNCH(grid, 32 * warps, 0, stream, softmax_rows<T, 16>)(a);
    else if (vpt <= 32) T4J_LAUNCH(grid, 32 * warps, 0, stream, softmax_rows<T, 32>)(a);
    else T4J_LAUNCH(grid, 32 * warps, 0, stream, softmax_rows<T, 0>)(a);
    return launched();
}

} // namespace
} // namespace t4j

extern "C" int32_t t4j_cuda_softmax(int32_t dtype, const t4j_softmax_params *p, const void *x,
                                    void *y, void *stream) {
    if (!p || !x || !y) return T4J_ERR_NULL;
    if (p->batch < 0 || p->heads < 0 || p->rows < 0 || p->cols <= 0) return T4J_ERR_SIZE;
    if (p->causal && p->rows > p->cols) return T4J_ERR_SIZE;
    int64_t rows = p->batch * p->heads * p->rows;
    if (rows == 0) return T4J_OK;
    if ((rows + 3) / 4 > INT32_MAX) return T4J_ERR_SIZE;
    t4j::SoftmaxArgs a{*p, x, y};
    T4J_DISPATCH(dtype, return t4j::launch_softmax<T>(a, (cudaStream_t)stream))
}
