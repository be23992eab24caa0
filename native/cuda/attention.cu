// Fused multi-head attention forward.
//
// Two kernels. flash_tiles (float16 / bfloat16, head dims 32, 64, 96, 128): a block takes 64
// queries of one head, walks the visible keys 64 at a time through shared memory, computes the
// scores and P V on tensor cores (WMMA, float32 accumulation) and keeps the running max, sum and
// output per query (online softmax); the S x T scores never reach global memory. warp_rows (every
// type, any head dim up to 256): one warp per query, lanes splitting the head dim; with few queries
// the keys are split over blocks (decoding against a long cache) and warp_merge combines the parts.
// Both start and stop at each sequence's visible keys, so padded key tiles are never loaded.
#include <mma.h>

#include "common.cuh"

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

// ---- flash_tiles: tensor cores, 64 queries x 64 keys a step --------------------------------

constexpr int kTile = 64;
constexpr int kFlashThreads = 128; // 4 warps, 16 queries each

template <typename T, int D>
struct FlashLayout {
    static constexpr int ldt = D + 8;       // Q, K, V rows (elements), padded against bank conflicts
    static constexpr int lds = kTile + 4;   // scores (float)
    static constexpr int ldp = kTile + 8;   // probabilities (T)
    static constexpr int ldo = D + 4;       // output accumulator (float)
    static constexpr size_t q = 0;
    static constexpr size_t k = q + sizeof(T) * kTile * ldt;
    static constexpr size_t v = k + sizeof(T) * kTile * ldt;
    static constexpr size_t s = v + sizeof(T) * kTile * ldt;
    static constexpr size_t pr = s + sizeof(float) * kTile * lds;
    static constexpr size_t o = pr + sizeof(T) * kTile * ldp;
    static constexpr size_t m = o + sizeof(float) * kTile * ldo;
    static constexpr size_t l = m + sizeof(float) * kTile;
    static constexpr size_t bytes = l + sizeof(float) * kTile;
};

// Copies rows [row0, row0 + 64) of a [rows, D] view into shared memory, 16 bytes at a time,
// zero-filling rows at or past `valid` (so padded keys contribute 0 * 0, never NaN).
template <typename T, int D>
__device__ void load_tile(T *dst, const T *base, int64_t row_stride, int64_t row0, int64_t valid) {
    constexpr int per_row = D * (int)sizeof(T) / 16;
    for (int c = threadIdx.x; c < kTile * per_row; c += kFlashThreads) {
        int r = c / per_row, x = c % per_row;
        uint4 val = make_uint4(0, 0, 0, 0);
        if (row0 + r < valid) val = *(const uint4 *)(base + (row0 + r) * row_stride + x * (16 / sizeof(T)));
        *(uint4 *)(dst + r * FlashLayout<T, D>::ldt + x * (16 / sizeof(T))) = val;
    }
}

template <typename T, int D>
__global__ void __launch_bounds__(kFlashThreads) flash_tiles(AttnArgs a) {
    using namespace nvcuda;
    using L = FlashLayout<T, D>;
    const t4j_attention_params &p = a.p;
    extern __shared__ __align__(128) unsigned char smem[];
    T *sq = (T *)(smem + L::q), *sk = (T *)(smem + L::k), *sv = (T *)(smem + L::v);
    float *ss = (float *)(smem + L::s), *so = (float *)(smem + L::o);
    T *sp = (T *)(smem + L::pr);
    float *sm = (float *)(smem + L::m), *sl = (float *)(smem + L::l);

    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int64_t bh = blockIdx.x, b = bh / p.heads, h = bh % p.heads;
    int64_t kh = h / (p.heads / p.kv_heads);
    int64_t i0 = (int64_t)blockIdx.y * kTile;

    for (int x = threadIdx.x; x < kTile * L::ldo; x += kFlashThreads) so[x] = 0.0f;
    for (int x = threadIdx.x; x < kTile; x += kFlashThreads) {
        sm[x] = -INFINITY;
        sl[x] = 0.0f;
    }
    const T *qb = (const T *)a.q + b * p.q_stride_b + h * p.q_stride_h;
    load_tile<T, D>(sq, qb, p.q_stride_s, i0, p.q_len);
    __syncthreads();

    wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fq[D / 16], fp[kTile / 16];
    wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fk;
    wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> fv;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) wmma::load_matrix_sync(fq[kk], sq + warp * 16 * L::ldt + kk * 16, L::ldt);

    // the sequence's keys; the block visits those its first query's window and its last
    // query's causal limit leave
    int64_t lo, hi;
    sequence_keys(p, b, lo, hi);
    int64_t block_lo = lo, unused_hi = hi, unused_lo = lo, block_hi = hi;
    query_keys(p, i0, block_lo, unused_hi);
    query_keys(p, min(i0 + kTile, p.q_len) - 1, unused_lo, block_hi);

    int r = lane / 2, half = lane % 2, row = warp * 16 + r;
    int64_t qi = i0 + row, pos = p.kv_len - p.q_len + qi;
    const float *bias = p.bias && qi < p.q_len
        ? p.bias + b * p.bias_stride_b + h * p.bias_stride_h + qi * p.bias_stride_s : nullptr;
    const T *kb = (const T *)a.k + b * p.k_stride_b + kh * p.k_stride_h;
    const T *vb = (const T *)a.v + b * p.v_stride_b + kh * p.v_stride_h;

    for (int64_t j0 = block_lo; j0 < block_hi; j0 += kTile) {
        __syncthreads(); // every warp is done with the previous K and V
        load_tile<T, D>(sk, kb, p.k_stride_s, j0, block_hi);
        load_tile<T, D>(sv, vb, p.v_stride_s, j0, block_hi);
        __syncthreads();

        // scores: 16 queries x 64 keys per warp
#pragma unroll
        for (int n = 0; n < kTile / 16; n++) {
            wmma::fill_fragment(fc, 0.0f);
#pragma unroll
            for (int kk = 0; kk < D / 16; kk++) {
                wmma::load_matrix_sync(fk, sk + n * 16 * L::ldt + kk * 16, L::ldt);
                wmma::mma_sync(fc, fq[kk], fk, fc);
            }
            wmma::store_matrix_sync(ss + warp * 16 * L::lds + n * 16, fc, L::lds, wmma::mem_row_major);
        }
        __syncwarp();

        // online softmax: two lanes per query, 32 keys each
        float s[32], tile_max = -INFINITY;
#pragma unroll
        for (int c = 0; c < 32; c++) {
            int64_t j = j0 + half * 32 + c;
            bool seen = qi < p.q_len && j >= lo && j < hi && (!p.causal || j <= pos) &&
                        (p.window <= 0 || pos - j < p.window);
            s[c] = seen ? ss[row * L::lds + half * 32 + c] * p.scale + (bias ? bias[j] : 0.0f) : -INFINITY;
            tile_max = fmaxf(tile_max, s[c]);
        }
        tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
        float m_old = sm[row], m_new = fmaxf(m_old, tile_max);
        float alpha = m_new == -INFINITY ? 1.0f : __expf(m_old - m_new);
        float sum = 0.0f;
#pragma unroll
        for (int c = 0; c < 32; c++) {
            float e = s[c] == -INFINITY ? 0.0f : __expf(s[c] - m_new);
            sum += e;
            sp[row * L::ldp + half * 32 + c] = from_f<T>(e);
        }
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        for (int d = half * (D / 2); d < (half + 1) * (D / 2); d++) so[row * L::ldo + d] *= alpha;
        __syncwarp(); // both lanes of the pair have read sm[row]
        if (half == 0) {
            sm[row] = m_new;
            sl[row] = sl[row] * alpha + sum;
        }
        __syncwarp();

        // O += P V on the warp's 16 rows
#pragma unroll
        for (int kk = 0; kk < kTile / 16; kk++) wmma::load_matrix_sync(fp[kk], sp + warp * 16 * L::ldp + kk * 16, L::ldp);
#pragma unroll
        for (int n = 0; n < D / 16; n++) {
            float *o = so + warp * 16 * L::ldo + n * 16;
            wmma::load_matrix_sync(fc, o, L::ldo, wmma::mem_row_major);
#pragma unroll
            for (int kk = 0; kk < kTile / 16; kk++) {
                wmma::load_matrix_sync(fv, sv + kk * 16 * L::ldt + n * 16, L::ldt);
                wmma::mma_sync(fc, fp[kk], fv, fc);
            }
            wmma::store_matrix_sync(o, fc, L::ldo, wmma::mem_row_major);
        }
        __syncwarp();
    }
    __syncthreads();

    if (qi < p.q_len) {
        float l = sl[row], inv = l > 0.0f ? 1.0f / l : 0.0f;
        T *o = (T *)a.out + b * p.out_stride_b + qi * p.out_stride_s + h * p.out_stride_h;
        for (int d = half * (D / 2); d < (half + 1) * (D / 2); d++) o[d] = from_f<T>(so[row * L::ldo + d] * inv);
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

bool aligned16(const void *ptr) { return ((uintptr_t)ptr & 15) == 0; }

// The tensor-core kernel takes 16-byte aligned rows of half types, head dims it is built for,
// and enough queries to fill its tiles.
bool flash_fits(int32_t dtype, const t4j_attention_params &p, const void *q, const void *k, const void *v) {
    if (dtype == T4J_F32 || p.q_len < 32) return false;
    if (p.head_dim != 32 && p.head_dim != 64 && p.head_dim != 96 && p.head_dim != 128) return false;
    if (!aligned16(q) || !aligned16(k) || !aligned16(v)) return false;
    int64_t strides[] = {p.q_stride_b, p.q_stride_s, p.q_stride_h, p.k_stride_b, p.k_stride_s,
                         p.k_stride_h, p.v_stride_b, p.v_stride_s, p.v_stride_h};
    for (int64_t s : strides)
        if (s % 8 != 0) return false;
    return true;
}

template <typename T, int D>
int32_t launch_flash(const AttnArgs &a, cudaStream_t stream) {
    size_t bytes = FlashLayout<T, D>::bytes;
    cudaError_t err = cudaFuncSetAttribute(flash_tiles<T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes);
    if (err != cudaSuccess) return fail(err);
    dim3 grid((unsigned)(a.p.batch * a.p.heads), (unsigned)((a.p.q_len + kTile - 1) / kTile));
    flash_tiles<T, D><<<grid, kFlashThreads, bytes, stream>>>(a);
    return launched();
}

template <typename T>
int32_t launch_flash_for(const AttnArgs &a, cudaStream_t stream) {
    if constexpr (sizeof(T) == 2) {
        switch (a.p.head_dim) {
        case 32: return launch_flash<T, 32>(a, stream);
        case 64: return launch_flash<T, 64>(a, stream);
        case 96: return launch_flash<T, 96>(a, stream);
        case 128: return launch_flash<T, 128>(a, stream);
        }
    }
    return T4J_ERR_SIZE;
}

template <typename T>
int32_t launch_rows(const AttnArgs &a, cudaStream_t stream) {
    int warps = warps_per_query_block(a.p);
    dim3 grid((unsigned)(a.p.batch * a.p.heads), (unsigned)((a.p.q_len + warps - 1) / warps), (unsigned)a.splits);
    warp_rows<T><<<grid, 32 * warps, 0, stream>>>(a);
    int32_t st = launched();
    if (st != T4J_OK || a.splits == 1) return st;
    int64_t rows = a.p.batch * a.p.heads * a.p.q_len;
    warp_merge<T><<<(unsigned)((rows + 3) / 4), 128, 0, stream>>>(a);
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
    if (flash_fits(dtype, *p, q, k, v)) {
        T4J_DISPATCH(dtype, return launch_flash_for<T>(a, s))
    }
    int64_t fit = workspace ? workspace_bytes / split_bytes(*p) : 0;
    a.splits = (int)min((int64_t)wanted_splits(*p), max(fit, (int64_t)1));
    T4J_DISPATCH(dtype, return launch_rows<T>(a, s))
}
