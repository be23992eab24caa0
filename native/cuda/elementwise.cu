// The small ops: sums, scaling, activations, RoPE, embedding gather, strided copies, conversions.
#include "common.cuh"

namespace t4j {
namespace {

#define GRID_STRIDE(i, n) \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

template <typename T>
__global__ void add_kernel(const T *a, const T *b, T *y, int64_t n) {
    GRID_STRIDE(i, n) y[i] = from_f<T>(to_f(a[i]) + to_f(b[i]));
}

template <typename T>
__global__ void scale_kernel(const T *x, float alpha, T *y, int64_t n) {
    GRID_STRIDE(i, n) y[i] = from_f<T>(alpha * to_f(x[i]));
}

template <typename T>
__global__ void bias_act_kernel(int32_t act, const T *x, const T *bias, T *y, int64_t rows, int64_t cols) {
    GRID_STRIDE(i, rows * cols) {
        float v = to_f(x[i]) + (bias ? to_f(bias[i % cols]) : 0.0f);
        y[i] = from_f<T>(activate(act, v));
    }
}

template <typename T>
__global__ void gated_act_kernel(int32_t act, const T *gate, int64_t gs, const T *up, int64_t us, T *y,
                                 int64_t ys, int64_t rows, int64_t cols) {
    GRID_STRIDE(i, rows * cols) {
        int64_t r = i / cols, c = i % cols;
        float g = to_f(gate[r * gs + c]), u = to_f(up[r * us + c]);
        y[r * ys + c] = from_f<T>(activate(act, g) * u);
    }
}

// One thread per rotated pair; the angle a float32 product (as transformers computes it), its
// sine and cosine in double, as the reference computes them.
template <typename T>
__global__ void rope_kernel(T *x, int64_t batch, int64_t seq, int64_t heads, int64_t sb, int64_t ss,
                            int64_t sh, const int64_t *positions, int64_t rot_dim, const float *inv_freq) {
    int64_t half = rot_dim / 2;
    GRID_STRIDE(t, batch * seq * heads * half) {
        int64_t i = t % half, h = (t / half) % heads, s = (t / (half * heads)) % seq;
        int64_t b = t / (half * heads * seq);
        T *row = x + b * sb + s * ss + h * sh;
        float angle = (float)positions[b * seq + s] * inv_freq[i];
        double f = angle, sn, cs;
        sincos(f, &sn, &cs);
        double a = to_f(row[i]), c = to_f(row[i + half]);
        row[i] = from_f<T>((float)(a * cs - c * sn));
        row[i + half] = from_f<T>((float)(c * cs + a * sn));
    }
}

template <typename T>
__global__ void embedding_kernel(const T *table, int64_t vocab, int64_t cols, const int64_t *ids, int64_t n,
                                 T *out) {
    GRID_STRIDE(t, n * cols) {
        int64_t i = t / cols, c = t % cols, id = ids[i];
        out[t] = id >= 0 && id < vocab ? table[id * cols + c] : from_f<T>(0.0f);
    }
}

struct Strides4 {
    int64_t dims[4], src[4], dst[4];
};

template <typename E>
__global__ void copy_kernel(const E *src, E *dst, Strides4 s, int64_t n) {
    GRID_STRIDE(t, n) {
        int64_t rest = t, so = 0, d_o = 0;
#pragma unroll
        for (int k = 3; k >= 0; k--) {
            int64_t idx = rest % s.dims[k];
            rest /= s.dims[k];
            so += idx * s.src[k];
            d_o += idx * s.dst[k];
        }
        dst[d_o] = src[so];
    }
}

template <typename S, typename D>
__global__ void convert_kernel(const S *src, D *dst, int64_t n) {
    GRID_STRIDE(i, n) dst[i] = from_f<D>(to_f(src[i]));
}

cudaStream_t as_stream(void *s) { return (cudaStream_t)s; }

template <typename S>
int32_t convert_from(const S *src, int32_t dst_dtype, void *dst, int64_t n, cudaStream_t stream) {
    unsigned grid = blocks_for(n, 256);
    T4J_DISPATCH(dst_dtype, {
        T4J_LAUNCH(grid, 256, 0, stream, convert_kernel<S, T>)(src, (T *)dst, n);
        return launched();
    })
}

} // namespace
} // namespace t4j

using namespace t4j;

extern "C" int32_t t4j_cuda_add(int32_t dtype, const void *a, const void *b, void *y, int64_t n, void *stream) {
    if (!a || !b || !y) return T4J_ERR_NULL;
    if (n < 0) return T4J_ERR_SIZE;
    if (n == 0) return T4J_OK;
    T4J_DISPATCH(dtype, {
        T4J_LAUNCH(blocks_for(n, 256), 256, 0, as_stream(stream), add_kernel<T>)((const T *)a, (const T *)b, (T *)y, n);
        return launched();
    })
}

extern "C" int32_t t4j_cuda_scale(int32_t dtype, const void *x, float alpha, void *y, int64_t n, void *stream) {
    if (!x || !y) return T4J_ERR_NULL;
    if (n < 0) return T4J_ERR_SIZE;
    if (n == 0) return T4J_OK;
    T4J_DISPATCH(dtype, {
        T4J_LAUNCH(blocks_for(n, 256), 256, 0, as_stream(stream), scale_kernel<T>)((const T *)x, alpha, (T *)y, n);
        return launched();
    })
}

extern "C" int32_t t4j_cuda_bias_act(int32_t dtype, int32_t act, const void *x, const void *bias, void *y,
                                     int64_t rows, int64_t cols, void *stream) {
    if (!x || !y) return T4J_ERR_NULL;
    if (rows < 0 || cols <= 0 || !valid_act(act)) return T4J_ERR_SIZE;
    if (rows == 0) return T4J_OK;
    T4J_DISPATCH(dtype, {
        T4J_LAUNCH(blocks_for(rows * cols, 256), 256, 0, as_stream(stream), bias_act_kernel<T>)(
            act, (const T *)x, (const T *)bias, (T *)y, rows, cols);
        return launched();
    })
}

extern "C" int32_t t4j_cuda_gated_act(int32_t dtype, int32_t act, const void *gate, int64_t gate_stride,
                                      const void *up, int64_t up_stride, void *y, int64_t y_stride,
                                      int64_t rows, int64_t cols, void *stream) {
    if (!gate || !up || !y) return T4J_ERR_NULL;
    if (rows < 0 || cols <= 0 || gate_stride < cols || up_stride < cols || y_stride < cols || !valid_act(act))
        return T4J_ERR_SIZE;
    if (rows == 0) return T4J_OK;
    T4J_DISPATCH(dtype, {
        T4J_LAUNCH(blocks_for(rows * cols, 256), 256, 0, as_stream(stream), gated_act_kernel<T>)(
            act, (const T *)gate, gate_stride, (const T *)up, up_stride, (T *)y, y_stride, rows, cols);
        return launched();
    })
}

extern "C" int32_t t4j_cuda_rope(int32_t dtype, void *x, int64_t batch, int64_t seq, int64_t heads,
                                 int64_t head_dim, int64_t stride_b, int64_t stride_s, int64_t stride_h,
                                 const int64_t *positions, int64_t rot_dim, const float *inv_freq,
                                 void *stream) {
    if (!x || !positions || !inv_freq) return T4J_ERR_NULL;
    if (batch < 0 || seq < 0 || heads < 0 || head_dim <= 0 || rot_dim <= 0 || rot_dim > head_dim ||
        rot_dim % 2 != 0)
        return T4J_ERR_SIZE;
    int64_t n = batch * seq * heads * (rot_dim / 2);
    if (n == 0) return T4J_OK;
    T4J_DISPATCH(dtype, {
        T4J_LAUNCH(blocks_for(n, 256), 256, 0, as_stream(stream), rope_kernel<T>)(
            (T *)x, batch, seq, heads, stride_b, stride_s, stride_h, positions, rot_dim, inv_freq);
        return launched();
    })
}

extern "C" int32_t t4j_cuda_embedding(int32_t dtype, const void *table, int64_t vocab, int64_t cols,
                                      const int64_t *ids, int64_t n, void *out, void *stream) {
    if (!table || !ids || !out) return T4J_ERR_NULL;
    if (vocab <= 0 || cols <= 0 || n < 0) return T4J_ERR_SIZE;
    if (n == 0) return T4J_OK;
    T4J_DISPATCH(dtype, {
        T4J_LAUNCH(blocks_for(n * cols, 256), 256, 0, as_stream(stream), embedding_kernel<T>)(
            (const T *)table, vocab, cols, ids, n, (T *)out);
        return launched();
    })
}

extern "C" int32_t t4j_cuda_copy(int32_t elem_bytes, const void *src, const int64_t *src_strides, void *dst,
                                 const int64_t *dst_strides, const int64_t *dims, void *stream) {
    if (!src || !dst || !src_strides || !dst_strides || !dims) return T4J_ERR_NULL;
    Strides4 s;
    int64_t n = 1;
    for (int k = 0; k < 4; k++) {
        if (dims[k] < 0 || src_strides[k] < 0 || dst_strides[k] < 0) return T4J_ERR_SIZE;
        s.dims[k] = dims[k];
        s.src[k] = src_strides[k];
        s.dst[k] = dst_strides[k];
        n *= dims[k];
    }
    if (src_strides[3] != 1 || dst_strides[3] != 1) return T4J_ERR_SIZE;
    if (n == 0) return T4J_OK;
    unsigned grid = blocks_for(n, 256);
    if (elem_bytes == 4) {
        T4J_LAUNCH(grid, 256, 0, as_stream(stream), copy_kernel<uint32_t>)((const uint32_t *)src, (uint32_t *)dst, s, n);
    } else if (elem_bytes == 2) {
        T4J_LAUNCH(grid, 256, 0, as_stream(stream), copy_kernel<uint16_t>)((const uint16_t *)src, (uint16_t *)dst, s, n);
    } else {
        return T4J_ERR_DTYPE;
    }
    return launched();
}

extern "C" int32_t t4j_cuda_convert(int32_t src_dtype, const void *src, int32_t dst_dtype, void *dst, int64_t n,
                                    void *stream) {
    if (!src || !dst) return T4J_ERR_NULL;
    if (n < 0) return T4J_ERR_SIZE;
    if (n == 0) return T4J_OK;
    cudaStream_t st = as_stream(stream);
    T4J_DISPATCH(src_dtype, return convert_from<T>((const T *)src, dst_dtype, dst, n, st))
}
