// Fused multi-head attention forward.
//
// Two kernels. flash_mma (float16 / bfloat16, head dims 32, 64, 96, 128): a block takes 64 or 128
// queries of one head and walks the keys they may see 64 at a time, K and V through shared memory
// (cp.async, double-buffered), scores and P V on tensor cores (mma.sync, float32 accumulation),
// online softmax in registers; the S x T scores never reach global memory. warp_rows (every type,
// any head dim up to 256): one warp per query, lanes splitting the head dim; with few queries the
// keys are split over blocks (decoding against a long cache) and warp_merge combines the parts.
// Both start and stop at each sequence's visible keys, so padded key tiles are never loaded.
#include <stdlib.h>

#include "common.cuh"
#include "mma.cuh"

namespace t4j {
namespace {

constexpr int kMaxHeadDim = 256;
constexpr int kLaneDims = kMaxHeadDim / 32;

struct AttnArgs {
    t4j_attention_params p;
    const void *q, *k, *v;
    void *out;
    float *partial; // [splits, B*H*S, D + 2] when splits > 1
    int splits;
};

// Keys sequence b may see at all: [lo, hi) from key_start / key_len.
__device__ void sequence_keys(const t4j_attention_params &p, int64_t b, int64_t &lo, int64_t &hi) {
    lo = p.key_start ? max((int64_t)0, (int64_t)p.key_start[b]) : 0;
    hi = p.key_len ? min(p.kv_len, (int64_t)p.key_len[b]) : p.kv_len;
}

// Narrows [lo, hi) to what query i sees under causal and window masks.
__device__ void query_keys(const t4j_attention_params &p, int64_t i, int64_t &lo, int64_t &hi) {
    int64_t pos = p.kv_len - p.q_len + i;
    if (p.causal) hi = min(hi, pos + 1);
    if (p.window > 0) lo = max(lo, pos - p.window + 1);
}

// ---- warp_rows: one warp per query -------------------------------------------------------

// Writes acc / l (0 where no key was visible) to query i of head h: lane holds dims lane + 32 c.
template <typename T>
__device__ void write_query(const AttnArgs &a, int64_t b, int64_t i, int64_t h, const float *acc, float l) {
    const t4j_attention_params &p = a.p;
    T *o = (T *)a.out + b * p.out_stride_b + i * p.out_stride_s + h * p.out_stride_h;
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    int lane = threadIdx.x % 32;
#pragma unroll
    for (int c = 0; c < kLaneDims; c++) {
        int d = lane + 32 * c;
        if (d < p.head_dim) o[d] = from_f<T>(acc[c] * inv);
    }
}

template <typename T>
__global__ void warp_rows(AttnArgs a) {
    const t4j_attention_params &p = a.p;
    int lane = threadIdx.x % 32;
    int64_t bh = blockIdx.x, b = bh / p.heads, h = bh % p.heads;
    int64_t kh = h / (p.heads / p.kv_heads);
    int64_t i = (int64_t)blockIdx.y * (blockDim.x / 32) + threadIdx.x / 32;
    if (i >= p.q_len) return;
    int64_t lo, hi;
    sequence_keys(p, b, lo, hi);
    query_keys(p, i, lo, hi);
    int64_t n = max(hi - lo, (int64_t)0), chunk = (n + a.splits - 1) / a.splits;
    int64_t begin = lo + blockIdx.z * chunk, end = min(hi, begin + chunk);

    const T *q = (const T *)a.q + b * p.q_stride_b + i * p.q_stride_s + h * p.q_stride_h;
    float qv[kLaneDims], acc[kLaneDims];
#pragma unroll
    for (int c = 0; c < kLaneDims; c++) {
        int d = lane + 32 * c;
        qv[c] = d < p.head_dim ? to_f(q[d]) : 0.0f;
        acc[c] = 0.0f;
    }
    const float *bias = p.bias ? p.bias + b * p.bias_stride_b + h * p.bias_stride_h + i * p.bias_stride_s : nullptr;
    const T *kb = (const T *)a.k + b * p.k_stride_b + kh * p.k_stride_h;
    const T *vb = (const T *)a.v + b * p.v_stride_b + kh * p.v_stride_h;
    float m = -INFINITY, l = 0.0f;
    for (int64_t j = begin; j < end; j++) {
        const T *kr = kb + j * p.k_stride_s;
        float dot = 0.0f;
#pragma unroll
        for (int c = 0; c < kLaneDims; c++) {
            int d = lane + 32 * c;
            if (d < p.head_dim) dot += qv[c] * to_f(kr[d]);
        }
        float s = warp_sum(dot) * p.scale + (bias ? bias[j] : 0.0f); // the same in every lane
        if (s == -INFINITY) continue;
        float mn = fmaxf(m, s), alpha = __expf(m - mn), pj = __expf(s - mn);
        l = l * alpha + pj;
        const T *vr = vb + j * p.v_stride_s;
#pragma unroll
        for (int c = 0; c < kLaneDims; c++) {
            int d = lane + 32 * c;
            if (d < p.head_dim) acc[c] = acc[c] * alpha + pj * to_f(vr[d]);
        }
        m = mn;
    }
    if (a.splits == 1) {
        write_query<T>(a, b, i, h, acc, l);
        return;
    }
    int64_t rows = p.batch * p.heads * p.q_len;
    float *part = a.partial + (blockIdx.z * rows + bh * p.q_len + i) * (p.head_dim + 2);
#pragma unroll
    for (int c = 0; c < kLaneDims; c++) {
        int d = lane + 32 * c;
        if (d < p.head_dim) part[d] = acc[c];
    }
    if (lane == 0) {
        part[p.head_dim] = m;
        part[p.head_dim + 1] = l;
    }
}

// Merges the key splits of warp_rows: one warp per query.
template <typename T>
__global__ void warp_merge(AttnArgs a) {
    const t4j_attention_params &p = a.p;
    int lane = threadIdx.x % 32;
    int64_t rows = p.batch * p.heads * p.q_len;
    int64_t row = (int64_t)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (row >= rows) return;
    int64_t stride = p.head_dim + 2;
    float m = -INFINITY;
    for (int s = 0; s < a.splits; s++) m = fmaxf(m, a.partial[(s * rows + row) * stride + p.head_dim]);
    float l = 0.0f, acc[kLaneDims] = {};
    if (m != -INFINITY) {
        for (int s = 0; s < a.splits; s++) {
            const float *part = a.partial + (s * rows + row) * stride;
            float w = __expf(part[p.head_dim] - m);
            l += w * part[p.head_dim + 1];
#pragma unroll
            for (int c = 0; c < kLaneDims; c++) {
                int d = lane + 32 * c;
                if (d < p.head_dim) acc[c] += w * part[d];
            }
        }
    }
    int64_t i = row % p.q_len, h = (row / p.q_len) % p.heads, b = row / (p.q_len * p.heads);
    write_query<T>(a, b, i, h, acc, l);
}

// ---- flash_mma: tensor cores through mma.sync, in FlashAttention-2's arrangement --------------
//
// A block takes 16 W queries of one head (W warps, 16 queries each) and walks the keys its
// queries may see, 64 at a time. K and V tiles come through shared memory by cp.async, the next
// tile loading while this one computes. Each warp keeps its scores, probabilities and output in
// registers: S = Q K^T lands in mma accumulators whose layout is that of the A operand of P V,
// so P never leaves registers. Softmax runs in base 2 with the scale folded in.

constexpr int kKeys = 64;                         // keys per step
constexpr float kLog2e = 1.4426950408889634f;

template <int D, int W>
struct FlashShape {
    static constexpr int rows = 16 * W;            // queries per block
    static constexpr int threads = 32 * W;
    static constexpr int ld = D + 8;               // elements a row in shared memory: ldmatrix conflict-free
    static constexpr size_t tile = 2 * kKeys * ld; // bytes of one K or V tile
    static constexpr size_t q = 0;
    static constexpr size_t k = q + 2 * rows * ld; // two K tiles, then two V tiles
    static constexpr size_t v = k + 2 * tile;
    static constexpr size_t bytes = v + 2 * tile;
};

// Queues rows [row0, row0 + rows) of a [?, D] view into shared memory; rows at or past `end`
// become zeros (padded keys then give 0 scores and 0 values, never NaN).
template <int D, int W>
__device__ __forceinline__ void load_rows(unsigned char *dst, const void *base, int64_t stride, int64_t row0,
                                          int rows, int64_t end) {
    constexpr int chunks = D / 8; // 16 bytes each
    for (int c = threadIdx.x; c < rows * chunks; c += FlashShape<D, W>::threads) {
        int r = c / chunks, x = c % chunks;
        bool in = row0 + r < end;
        const uint16_t *src = (const uint16_t *)base + (in ? (row0 + r) * stride + x * 8 : 0);
        cp_async_16(dst + 2 * (r * FlashShape<D, W>::ld + x * 8), src, in ? 16 : 0);
    }
}

// What one warp knows of its 16 queries: lane holds rows g and g + 8.
struct WarpRows {
    int64_t first, last; // first query, last real query (first + 15 or q_len - 1)
    int64_t q[2];        // the lane's two queries
    const float *bias[2];
};

// Scales the scores into base 2, masks what the lane's queries do not see (unless the tile is
// `full`: every key visible to every query of the warp) and raises tmax to each row's maximum.
template <int N>
__device__ __forceinline__ void mask_scores(const t4j_attention_params &p, const WarpRows &w, int64_t lo, int64_t hi,
                                            int64_t j0, bool full, float s[N][4], float tmax[2]) {
    const float scale = p.scale * kLog2e;
    const int t = threadIdx.x % 4;
    const int64_t off = p.kv_len - p.q_len;
#pragma unroll
    for (int n = 0; n < N; n++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
            int r = e >> 1;
            float x = s[n][e] * scale;
            if (!full) {
                int64_t j = j0 + n * 8 + 2 * t + (e & 1), pos = off + w.q[r];
                bool seen = w.q[r] < p.q_len && j >= lo && j < hi && (!p.causal || j <= pos) &&
                            (p.window <= 0 || pos - j < p.window);
                x = !seen ? -INFINITY : w.bias[r] ? x + w.bias[r][j] * kLog2e : x;
            }
            s[n][e] = x;
            tmax[r] = fmaxf(tmax[r], x);
        }
}

template <typename T, int D, int W>
__global__ void __launch_bounds__(32 * W, D <= 64 ? 2 : 1) flash_mma(AttnArgs a) {
    using S = FlashShape<D, W>;
    constexpr int NS = kKeys / 8, NO = D / 8; // score and output accumulator tiles a warp holds
    const t4j_attention_params &p = a.p;
    T4J_DYNAMIC_SMEM(smem);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const int64_t bh = blockIdx.x, b = bh / p.heads, h = bh % p.heads, kh = h / (p.heads / p.kv_heads);
    const int64_t i0 = (int64_t)(gridDim.y - 1 - blockIdx.y) * S::rows; // longest causal blocks first

    // the sequence's keys, and those the block's first and last queries leave
    int64_t lo, hi;
    sequence_keys(p, b, lo, hi);
    int64_t block_lo = lo, block_hi = hi, unused_lo = lo, unused_hi = hi;
    query_keys(p, i0, block_lo, unused_hi);
    query_keys(p, min(i0 + S::rows, p.q_len) - 1, unused_lo, block_hi);
    const int64_t tiles = block_hi > block_lo ? (block_hi - block_lo + kKeys - 1) / kKeys : 0;

    const T *kb = (const T *)a.k + b * p.k_stride_b + kh * p.k_stride_h;
    const T *vb = (const T *)a.v + b * p.v_stride_b + kh * p.v_stride_h;
    load_rows<D, W>(smem + S::q, (const T *)a.q + b * p.q_stride_b + h * p.q_stride_h, p.q_stride_s, i0, S::rows,
                    p.q_len);
    cp_async_commit();
    if (tiles > 0) {
        load_rows<D, W>(smem + S::k, kb, p.k_stride_s, block_lo, kKeys, block_hi);
        load_rows<D, W>(smem + S::v, vb, p.v_stride_s, block_lo, kKeys, block_hi);
    }
    cp_async_commit();

    WarpRows w;
    w.first = i0 + warp * 16;
    w.last = min(w.first + 15, p.q_len - 1);
    const bool live = w.first < p.q_len; // the same in every lane of the warp
    const int64_t off = p.kv_len - p.q_len;
    for (int r = 0; r < 2; r++) {
        w.q[r] = w.first + g + 8 * r;
        w.bias[r] = p.bias && w.q[r] < p.q_len
            ? p.bias + b * p.bias_stride_b + h * p.bias_stride_h + w.q[r] * p.bias_stride_s : nullptr;
    }

    uint32_t qf[D / 16][4];
    float o[NO][4] = {}, m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};
    for (int64_t tile = 0; tile < tiles; tile++) {
        const int64_t j0 = block_lo + tile * kKeys;
        if (tile + 1 < tiles) {
            size_t next = ((tile + 1) & 1) * S::tile;
            load_rows<D, W>(smem + S::k + next, kb, p.k_stride_s, j0 + kKeys, kKeys, block_hi);
            load_rows<D, W>(smem + S::v + next, vb, p.v_stride_s, j0 + kKeys, kKeys, block_hi);
            cp_async_commit();
            cp_async_wait<1>();
        } else {
            cp_async_wait<0>();
        }
        __syncthreads();
        if (tile == 0 && live) {
#pragma unroll
            for (int kk = 0; kk < D / 16; kk++)
                ldmatrix_x4(qf[kk], smem + S::q + 2 * ((warp * 16 + (lane & 15)) * S::ld + kk * 16 + (lane >> 4) * 8));
        }
        // does the warp see any key of the tile?
        bool active = live && (!p.causal || j0 <= off + w.last) &&
                      (p.window <= 0 || off + w.first - (j0 + kKeys - 1) < p.window);
        if (active) {
            const unsigned char *kt = smem + S::k + (tile & 1) * S::tile, *vt = smem + S::v + (tile & 1) * S::tile;
            float s[NS][4] = {};
#pragma unroll
            for (int kk = 0; kk < D / 16; kk++)
#pragma unroll
                for (int np = 0; np < NS / 2; np++) {
                    uint32_t kf[4];
                    int row = np * 16 + ((lane >> 4) & 1) * 8 + (lane & 7), col = kk * 16 + ((lane >> 3) & 1) * 8;
                    ldmatrix_x4(kf, kt + 2 * (row * S::ld + col));
                    mma_16816<T>(s[2 * np], qf[kk], kf[0], kf[1]);
                    mma_16816<T>(s[2 * np + 1], qf[kk], kf[2], kf[3]);
                }
            // every key of the tile visible to every query of the warp: no mask
            bool full = !p.bias && j0 >= lo && j0 + kKeys <= hi && (!p.causal || j0 + kKeys - 1 <= off + w.first) &&
                        (p.window <= 0 || off + w.last - j0 < p.window) && w.first + 15 < p.q_len;
            float tmax[2] = {-INFINITY, -INFINITY}, mu[2], alpha[2];
            mask_scores<NS>(p, w, lo, hi, j0, full, s, tmax);
#pragma unroll
            for (int r = 0; r < 2; r++) {
                tmax[r] = fmaxf(tmax[r], __shfl_xor_sync(0xffffffffu, tmax[r], 1));
                tmax[r] = fmaxf(tmax[r], __shfl_xor_sync(0xffffffffu, tmax[r], 2));
                float mn = fmaxf(m[r], tmax[r]);
                mu[r] = mn == -INFINITY ? 0.0f : mn; // a row that has seen nothing yet stays at 0
                alpha[r] = exp2_approx(m[r] - mu[r]);
                m[r] = mn;
                l[r] *= alpha[r];
            }
#pragma unroll
            for (int n = 0; n < NS; n++)
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    s[n][e] = exp2_approx(s[n][e] - mu[e >> 1]);
                    l[e >> 1] += s[n][e];
                }
#pragma unroll
            for (int n = 0; n < NO; n++)
#pragma unroll
                for (int e = 0; e < 4; e++) o[n][e] *= alpha[e >> 1];
            // O += P V: two score tiles make one A operand
#pragma unroll
            for (int kk = 0; kk < NS / 2; kk++) {
                uint32_t pa[4] = {pack2<T>(s[2 * kk][0], s[2 * kk][1]), pack2<T>(s[2 * kk][2], s[2 * kk][3]),
                                  pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                  pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
                for (int dp = 0; dp < D / 16; dp++) {
                    uint32_t vf[4];
                    int row = kk * 16 + ((lane >> 3) & 1) * 8 + (lane & 7), col = dp * 16 + ((lane >> 4) & 1) * 8;
                    ldmatrix_x4_trans(vf, vt + 2 * (row * S::ld + col));
                    mma_16816<T>(o[2 * dp], pa, vf[0], vf[1]);
                    mma_16816<T>(o[2 * dp + 1], pa, vf[2], vf[3]);
                }
            }
        }
        __syncthreads(); // every warp is done with this tile's buffers before they are refilled
    }
    cp_async_wait<0>();
    if (!live) return;
#pragma unroll
    for (int r = 0; r < 2; r++) {
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
        if (w.q[r] >= p.q_len) continue;
        float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
        T *out = (T *)a.out + b * p.out_stride_b + w.q[r] * p.out_stride_s + h * p.out_stride_h;
#pragma unroll
        for (int n = 0; n < NO; n++)
            *(uint32_t *)(out + n * 8 + 2 * t) = pack2<T>(o[n][2 * r] * inv, o[n][2 * r + 1] * inv);
    }
}

// ---- host side -----------------------------------------------------------------------------

int multiprocessors() {
    static int count[64];
    int dev = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= 64) return 1;
    if (count[dev] == 0) {
        int n = 0;
        if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || n <= 0) n = 1;
        count[dev] = n;
    }
    return count[dev];
}

int warps_per_query_block(const t4j_attention_params &p) { return p.q_len < 4 ? (int)p.q_len : 4; }

// Key splits for few queries against many keys: enough blocks for two per multiprocessor,
// at least 64 keys each.
int wanted_splits(const t4j_attention_params &p) {
    if (p.q_len > 16) return 1;
    int warps = warps_per_query_block(p);
    int64_t blocks = p.batch * p.heads * ((p.q_len + warps - 1) / warps);
    int64_t want = (2 * (int64_t)multiprocessors() + blocks - 1) / blocks;
    int64_t by_keys = p.kv_len / 64;
    int64_t splits = min(min(want, by_keys), (int64_t)64);
    return splits < 1 ? 1 : (int)splits;
}

int64_t split_bytes(const t4j_attention_params &p) {
    return p.batch * p.heads * p.q_len * (p.head_dim + 2) * (int64_t)sizeof(float);
}

// The tensor-core kernel takes 16-byte aligned rows of half types (its output is written two
// elements at a time), head dims it is built for, and enough queries to fill its tiles.
bool flash_fits(int32_t dtype, const t4j_attention_params &p, const void *q, const void *k, const void *v,
                const void *out) {
    if (dtype == T4J_F32 || p.q_len < 32) return false;
    if (p.head_dim != 32 && p.head_dim != 64 && p.head_dim != 96 && p.head_dim != 128) return false;
    if (!aligned16(q) || !aligned16(k) || !aligned16(v) || ((uintptr_t)out & 3) != 0) return false;
    int64_t strides[] = {p.q_stride_b, p.q_stride_s, p.q_stride_h, p.k_stride_b, p.k_stride_s, p.k_stride_h,
                         p.v_stride_b, p.v_stride_s, p.v_stride_h};
    for (int64_t s : strides)
        if (s % 8 != 0) return false;
    return p.out_stride_b % 2 == 0 && p.out_stride_s % 2 == 0 && p.out_stride_h % 2 == 0;
}

template <typename T, int D, int W>
int32_t launch_flash(const AttnArgs &a, cudaStream_t stream) {
    size_t bytes = FlashShape<D, W>::bytes;
    cudaError_t err = cudaFuncSetAttribute(flash_mma<T, D, W>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes);
    if (err != cudaSuccess) return fail(err);
    dim3 grid((unsigned)(a.p.batch * a.p.heads), (unsigned)((a.p.q_len + 16 * W - 1) / (16 * W)));
    T4J_LAUNCH(grid, 32 * W, bytes, stream, flash_mma<T, D, W>)(a);
    return launched();
}

// 128 queries a block (8 warps) where that still gives every multiprocessor a block, else 64.
// T4J_CUDA_FLASH_WARPS=4 or 8 in the environment forces one (for benchmarks comparing them).
template <typename T, int D>
int32_t launch_flash_for_dim(const AttnArgs &a, cudaStream_t stream) {
    const char *forced = getenv("T4J_CUDA_FLASH_WARPS");
    int warps = forced && forced[0] == '4' ? 4 : forced && forced[0] == '8' ? 8 : 0;
    if (warps == 0) {
        int64_t big_blocks = a.p.batch * a.p.heads * ((a.p.q_len + 127) / 128);
        warps = big_blocks >= multiprocessors() ? 8 : 4;
    }
    return warps == 8 ? launch_flash<T, D, 8>(a, stream) : launch_flash<T, D, 4>(a, stream);
}

template <typename T>
int32_t launch_flash_for(const AttnArgs &a, cudaStream_t stream) {
    if constexpr (sizeof(T) == 2) {
        switch (a.p.head_dim) {
        case 32: return launch_flash_for_dim<T, 32>(a, stream);
        case 64: return launch_flash_for_dim<T, 64>(a, stream);
        case 96: return launch_flash_for_dim<T, 96>(a, stream);
        case 128: return launch_flash_for_dim<T, 128>(a, stream);
        }
    }
    return T4J_ERR_SIZE;
}

template <typename T>
int32_t launch_rows(const AttnArgs &a, cudaStream_t stream) {
    int warps = warps_per_query_block(a.p);
    dim3 grid((unsigned)(a.p.batch * a.p.heads), (unsigned)((a.p.q_len + warps - 1) / warps), (unsigned)a.splits);
    T4J_LAUNCH(grid, 32 * warps, 0, stream, warp_rows<T>)(a);
    int32_t st = launched();
    if (st != T4J_OK || a.splits == 1) return st;
    int64_t rows = a.p.batch * a.p.heads * a.p.q_len;
    T4J_LAUNCH((unsigned)((rows + 3) / 4), 128, 0, stream, warp_merge<T>)(a);
    return launched();
}

int32_t check(const t4j_attention_params &p) {
    if (p.batch < 0 || p.q_len < 0 || p.kv_len <= 0 || p.heads <= 0 || p.kv_heads <= 0) return T4J_ERR_SIZE;
    if (p.heads % p.kv_heads != 0 || p.head_dim <= 0 || p.head_dim > kMaxHeadDim) return T4J_ERR_SIZE;
    if ((p.causal || p.window > 0) && p.q_len > p.kv_len) return T4J_ERR_SIZE;
    if (p.window < 0) return T4J_ERR_SIZE;
    int64_t strides[] = {p.q_stride_b, p.q_stride_s, p.q_stride_h, p.k_stride_b, p.k_stride_s,
                         p.k_stride_h, p.v_stride_b, p.v_stride_s, p.v_stride_h, p.out_stride_b,
                         p.out_stride_s, p.out_stride_h};
    for (int64_t s : strides)
        if (s < 0) return T4J_ERR_SIZE;
    if (p.batch * p.heads > INT32_MAX || p.q_len > 65535LL * 4) return T4J_ERR_SIZE; // grid y of warp_rows
    return T4J_OK;
}

} // namespace
} // namespace t4j

using namespace t4j;

extern "C" int64_t t4j_cuda_attention_workspace_bytes(const t4j_attention_params *p) {
    if (!p || check(*p) != T4J_OK || p->batch == 0 || p->q_len == 0) return 0;
    int splits = wanted_splits(*p);
    return splits > 1 ? splits * split_bytes(*p) : 0;
}

extern "C" int32_t t4j_cuda_attention(int32_t dtype, const t4j_attention_params *p, const void *q, const void *k,
                                      const void *v, void *out, void *workspace, int64_t workspace_bytes,
                                      void *stream) {
    if (!p || !q || !k || !v || !out) return T4J_ERR_NULL;
    int32_t st = check(*p);
    if (st != T4J_OK) return st;
    if (dtype != T4J_F32 && dtype != T4J_F16 && dtype != T4J_BF16) return T4J_ERR_DTYPE;
    if (p->batch == 0 || p->q_len == 0) return T4J_OK;
    cudaStream_t s = (cudaStream_t)stream;
    AttnArgs a{*p, q, k, v, out, (float *)workspace, 1};
    if (flash_fits(dtype, *p, q, k, v, out)) {
        T4J_DISPATCH(dtype, return launch_flash_for<T>(a, s))
    }
    int64_t fit = workspace ? workspace_bytes / split_bytes(*p) : 0;
    a.splits = (int)min((int64_t)wanted_splits(*p), max(fit, (int64_t)1));
    T4J_DISPATCH(dtype, return launch_rows<T>(a, s))
}
