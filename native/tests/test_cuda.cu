/*
 * test_cuda.cu: every CUDA kernel against the scalar reference (native/ref), on random inputs
 * at odd sizes, in float32, float16 and bfloat16. Inputs are rounded to the element type on the
 * host first, so the reference sees what the kernel sees; outputs are poisoned (all bits set:
 * NaN in every type) before each run, so an unwritten element fails. Error is
 * max |got - want| / max |want|; bounds: 1e-5 for float32, 1e-2 for the half types.
 * Exit status: the number of failed checks; 77 (skipped) when there is no CUDA device.
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "t4j_cuda.h"
extern "C" {
#include "t4j_ref.h"
}

static int failures = 0, checks = 0;
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static const int kDtypes[] = {T4J_F32, T4J_F16, T4J_BF16};
static const char *kNames[] = {"f32", "f16", "bf16"};

#define CUDA_OK(call)                                                                             \
    do {                                                                                          \
        cudaError_t e_ = (call);                                                                  \
        if (e_ != cudaSuccess) {                                                                  \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
            exit(100);                                                                            \
        }                                                                                         \
    } while (0)

static float frand() { // uniform in [-1, 1)
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / (1 << 23)) - 1.0);
}

static size_t elem_bytes(int dtype) { return dtype == T4J_F32 ? 4 : 2; }

static float round_to(int dtype, float x) {
    if (dtype == T4J_F16) return __half2float(__float2half_rn(x));
    if (dtype == T4J_BF16) return __bfloat162float(__float2bfloat16_rn(x));
    return x;
}

// A tensor of one element type: float values on the host (already rounded), a device copy.
struct Buf {
    int dtype;
    size_t n;
    std::vector<float> host;
    void *dev = nullptr;

    Buf(int dt, size_t count) : dtype(dt), n(count), host(count) {
        CUDA_OK(cudaMalloc(&dev, (count ? count : 1) * elem_bytes(dt)));
    }
    ~Buf() { cudaFree(dev); }
    Buf(const Buf &) = delete;

    Buf &random(float spread, float shift = 0.0f) {
        for (auto &x : host) x = round_to(dtype, frand() * spread + shift);
        return upload();
    }
    Buf &upload() {
        std::vector<unsigned char> raw(n * elem_bytes(dtype));
        for (size_t i = 0; i < n; i++) {
            if (dtype == T4J_F32) memcpy(&raw[i * 4], &host[i], 4);
            else if (dtype == T4J_F16) { __half v = __float2half_rn(host[i]); memcpy(&raw[i * 2], &v, 2); }
            else { __nv_bfloat16 v = __float2bfloat16_rn(host[i]); memcpy(&raw[i * 2], &v, 2); }
        }
        CUDA_OK(cudaMemcpy(dev, raw.data(), raw.size(), cudaMemcpyHostToDevice));
        return *this;
    }
    Buf &poison() {
        CUDA_OK(cudaMemset(dev, 0xFF, n * elem_bytes(dtype)));
        return *this;
    }
    std::vector<float> download() const {
        std::vector<unsigned char> raw(n * elem_bytes(dtype));
        CUDA_OK(cudaDeviceSynchronize());
        CUDA_OK(cudaMemcpy(raw.data(), dev, raw.size(), cudaMemcpyDeviceToHost));
        std::vector<float> out(n);
        for (size_t i = 0; i < n; i++) {
            if (dtype == T4J_F32) memcpy(&out[i], &raw[i * 4], 4);
            else if (dtype == T4J_F16) { __half v; memcpy(&v, &raw[i * 2], 2); out[i] = __half2float(v); }
            else { __nv_bfloat16 v; memcpy(&v, &raw[i * 2], 2); out[i] = __bfloat162float(v); }
        }
        return out;
    }
};

template <typename E>
static E *device_copy(const std::vector<E> &v) {
    E *d = nullptr;
    CUDA_OK(cudaMalloc(&d, (v.size() ? v.size() : 1) * sizeof(E)));
    CUDA_OK(cudaMemcpy(d, v.data(), v.size() * sizeof(E), cudaMemcpyHostToDevice));
    return d;
}

static double rel_err(const std::vector<float> &got, const std::vector<float> &want) {
    double err = 0.0, mag = 0.0;
    for (size_t i = 0; i < want.size(); i++) {
        double d = fabs((double)got[i] - want[i]);
        if (isnan(got[i]) != isnan(want[i])) d = INFINITY;
        if (!(d <= err)) err = d;
        mag = fmax(mag, fabs(want[i]));
    }
    return mag > 0.0 ? err / mag : err;
}

static double bound(int dtype) { return dtype == T4J_F32 ? 1e-5 : 1e-2; }

static void check(const char *what, int dtype, int32_t status, const std::vector<float> &got,
                  const std::vector<float> &want) {
    checks++;
    double err = status == T4J_OK ? rel_err(got, want) : INFINITY;
    bool ok = err <= bound(dtype);
    if (!ok) failures++;
    printf("%s %-4s %-62s rel_err=%.2e (bound %.0e)%s%s\n", ok ? "ok  " : "FAIL", kNames[dtype], what, err,
           bound(dtype), status == T4J_OK ? "" : " status ", status == T4J_OK ? "" : t4j_cuda_last_error());
}

static void check_status(const char *what, int32_t got, int32_t want) {
    checks++;
    if (got != want) failures++;
    printf("%s      %-62s status=%d (want %d)\n", got == want ? "ok  " : "FAIL", what, got, want);
}

static void test_norms() {
    // 768, 200 and 4096 are whole 16-byte chunks: the vectorised kernels
    const int64_t colsv[] = {1, 37, 200, 768, 1031, 3001, 4096};
    for (int dt : kDtypes)
        for (int64_t cols : colsv)
            for (int variant = 0; variant < 4; variant++) {
                int64_t rows = 13, n = rows * cols;
                bool residual = variant & 1, rms = variant >> 1;
                Buf x(dt, n), r(dt, n), g(dt, cols), b(dt, cols), y(dt, n), s(dt, n);
                x.random(3.0f, 0.7f);
                r.random(2.0f);
                g.random(1.5f);
                b.random(0.5f);
                y.poison();
                s.poison();
                std::vector<float> yr(n), sr(n);
                int32_t st;
                if (rms) {
                    st = t4j_cuda_rms_norm(dt, x.dev, residual ? r.dev : nullptr, residual ? s.dev : nullptr, y.dev,
                                           g.dev, rows, cols, 1e-6f, nullptr);
                    t4j_ref_rms_norm(x.host.data(), residual ? r.host.data() : nullptr, sr.data(), yr.data(),
                                     g.host.data(), rows, cols, 1e-6f);
                } else {
                    st = t4j_cuda_layer_norm(dt, x.dev, residual ? r.dev : nullptr, residual ? s.dev : nullptr,
                                             y.dev, g.dev, b.dev, rows, cols, 1e-12f, nullptr);
                    t4j_ref_layer_norm(x.host.data(), residual ? r.host.data() : nullptr, sr.data(), yr.data(),
                                       g.host.data(), b.host.data(), rows, cols, 1e-12f);
                }
                if (cols == 1 && !rms) continue; // a one-column layer norm is 0 / sqrt(eps): undefined scale
                char what[128];
                snprintf(what, sizeof what, "%s rows=%ld cols=%ld residual=%d", rms ? "rms_norm" : "layer_norm",
                         (long)rows, (long)cols, (int)residual);
                check(what, dt, st, y.download(), yr);
                if (residual) {
                    snprintf(what, sizeof what, "%s sum_out cols=%ld", rms ? "rms_norm" : "layer_norm", (long)cols);
                    check(what, dt, st, s.download(), sr);
                }
            }
}

static void test_softmax() {
    // 200 and 512 are whole 16-byte chunks in every type, 300 and 1100 in float32 only
    const int64_t colsv[] = {1, 37, 200, 300, 512, 1100};
    for (int dt : kDtypes)
        for (int64_t cols : colsv)
            for (int variant = 0; variant < 4; variant++) {
                bool causal = variant & 1, masked = variant >> 1;
                int64_t B = 3, H = 2, S = causal ? (cols < 5 ? cols : 5) : 7, T = cols;
                int64_t n = B * H * S * T;
                Buf x(dt, n), y(dt, n);
                x.random(4.0f);
                y.poison();
                std::vector<float> mask(B * S * T);
                for (auto &m : mask) m = frand() > 0.8f ? -INFINITY : frand();
                std::vector<int32_t> start = {0, (int32_t)(T / 3), 0}, len = {(int32_t)T, (int32_t)T, 0};
                float *dmask = device_copy(mask);
                int32_t *dstart = device_copy(start), *dlen = device_copy(len);
                t4j_softmax_params p = {B, H, S, T, 0.37f, causal, nullptr, S * T, 0, T, nullptr, nullptr};
                t4j_softmax_params hp = p;
                p.mask = masked ? dmask : nullptr;
                hp.mask = masked ? mask.data() : nullptr;
                p.key_start = dstart;
                p.key_len = dlen;
                hp.key_start = start.data();
                hp.key_len = len.data();
                int32_t st = t4j_cuda_softmax(dt, &p, x.dev, y.dev, nullptr);
                std::vector<float> want(n);
                t4j_ref_softmax(&hp, x.host.data(), want.data());
                char what[128];
                snprintf(what, sizeof what, "softmax T=%ld causal=%d mask=%d (a row padded away)", (long)T,
                         (int)causal, (int)masked);
                check(what, dt, st, y.download(), want);
                cudaFree(dmask);
                cudaFree(dstart);
                cudaFree(dlen);
            }
}

struct AttnCase {
    const char *name;
    int64_t B, S, T, H, K, D;
    int causal, window, bias, fused_qkv;
    std::vector<int32_t> start, len;
};

static void run_attention(const AttnCase &c, int dt) {
    int64_t B = c.B, S = c.S, T = c.T, H = c.H, K = c.K, D = c.D;
    // q either alone [B, S, H, D] or inside a fused [B, S, 3, H, D] projection
    int64_t q_row = c.fused_qkv ? 3 * H * D : H * D;
    Buf q(dt, B * S * q_row), k(dt, B * T * K * D), v(dt, B * T * K * D), out(dt, B * S * H * D);
    q.random(1.5f);
    k.random(1.5f);
    v.random(1.0f);
    out.poison();
    std::vector<float> bias(H * S * T);
    for (auto &x : bias) x = frand() * 2.0f;
    float *dbias = device_copy(bias);
    int32_t *dstart = c.start.empty() ? nullptr : device_copy(c.start);
    int32_t *dlen = c.len.empty() ? nullptr : device_copy(c.len);
    t4j_attention_params p = {};
    p.batch = B;
    p.q_len = S;
    p.kv_len = T;
    p.heads = H;
    p.kv_heads = K;
    p.head_dim = D;
    p.scale = c.bias ? 1.0f : 1.0f / sqrtf((float)D);
    p.causal = c.causal;
    p.window = c.window;
    p.q_stride_b = S * q_row, p.q_stride_s = q_row, p.q_stride_h = D;
    p.k_stride_b = T * K * D, p.k_stride_s = K * D, p.k_stride_h = D;
    p.v_stride_b = T * K * D, p.v_stride_s = K * D, p.v_stride_h = D;
    p.out_stride_b = S * H * D, p.out_stride_s = H * D, p.out_stride_h = D;
    p.bias_stride_b = 0, p.bias_stride_h = S * T, p.bias_stride_s = T;
    t4j_attention_params hp = p;
    p.bias = c.bias ? dbias : nullptr;
    hp.bias = c.bias ? bias.data() : nullptr;
    p.key_start = dstart;
    p.key_len = dlen;
    hp.key_start = c.start.empty() ? nullptr : c.start.data();
    hp.key_len = c.len.empty() ? nullptr : c.len.data();

    int64_t ws_bytes = t4j_cuda_attention_workspace_bytes(&p);
    void *ws = nullptr;
    if (ws_bytes > 0) CUDA_OK(cudaMalloc(&ws, ws_bytes));
    int32_t st = t4j_cuda_attention(dt, &p, q.dev, k.dev, v.dev, out.dev, ws, ws_bytes, nullptr);
    std::vector<float> want(B * S * H * D);
    t4j_ref_attention(&hp, q.host.data(), k.host.data(), v.host.data(), want.data());
    char what[160];
    snprintf(what, sizeof what, "attention %s B=%ld S=%ld T=%ld H=%ld K=%ld D=%ld%s", c.name, (long)B, (long)S,
             (long)T, (long)H, (long)K, (long)D, ws_bytes > 0 ? " split" : "");
    check(what, dt, st, out.download(), want);
    if (ws_bytes > 0) { // the same without a workspace: one pass over the keys
        out.poison();
        st = t4j_cuda_attention(dt, &p, q.dev, k.dev, v.dev, out.dev, nullptr, 0, nullptr);
        snprintf(what, sizeof what, "attention %s, no workspace", c.name);
        check(what, dt, st, out.download(), want);
    }
    cudaFree(ws);
    cudaFree(dbias);
    cudaFree(dstart);
    cudaFree(dlen);
}

static void test_attention() {
    const AttnCase cases[] = {
        {"padded, one row empty", 3, 37, 37, 4, 4, 64, 0, 0, 0, 0, {}, {37, 20, 0}},
        {"padded prefill", 3, 77, 77, 4, 4, 64, 0, 0, 0, 0, {}, {77, 50, 0}},
        {"causal + left padding, GQA", 2, 100, 100, 6, 2, 64, 1, 0, 0, 0, {0, 7}, {100, 100}},
        {"position bias, scale 1", 2, 45, 45, 3, 3, 32, 0, 0, 1, 0, {}, {45, 30}},
        {"sliding window", 1, 130, 130, 2, 2, 64, 1, 17, 0, 0, {}, {}},
        {"decode against a cache", 2, 1, 1000, 4, 2, 128, 1, 0, 0, 0, {}, {1000, 613}},
        {"few queries, odd head dim", 2, 3, 777, 4, 4, 80, 1, 0, 0, 0, {5, 0}, {777, 500}},
        {"cross, more queries than keys", 2, 45, 13, 2, 2, 24, 0, 0, 0, 0, {}, {13, 9}},
        {"fused qkv projection", 2, 70, 70, 3, 3, 64, 0, 0, 0, 1, {}, {70, 33}},
        {"head dim 96", 2, 200, 200, 2, 2, 96, 0, 0, 0, 0, {}, {200, 129}},
        {"causal, head dim 128", 2, 300, 300, 2, 1, 128, 1, 0, 0, 0, {}, {}},
        {"tiny head dim", 2, 9, 9, 4, 4, 8, 1, 0, 1, 0, {}, {}},
        {"causal chunk against a longer cache", 2, 40, 170, 4, 2, 64, 1, 0, 0, 0, {}, {170, 120}},
        {"cross, more keys than queries", 2, 50, 150, 2, 2, 128, 0, 0, 0, 0, {3, 0}, {150, 77}},
    };
    for (int dt : kDtypes)
        for (const AttnCase &c : cases) run_attention(c, dt);
}

static void test_elementwise() {
    for (int dt : kDtypes) {
        int64_t rows = 37, cols = 203, n = rows * cols;
        Buf a(dt, n), b(dt, n), y(dt, n), bias(dt, cols);
        a.random(3.0f);
        b.random(2.0f);
        bias.random(1.0f);
        std::vector<float> want(n);
        y.poison();
        int32_t st = t4j_cuda_add(dt, a.dev, b.dev, y.dev, n, nullptr);
        t4j_ref_add(a.host.data(), b.host.data(), want.data(), n);
        for (auto &w : want) w = round_to(dt, w);
        check("add n=7511", dt, st, y.download(), want);

        y.poison();
        st = t4j_cuda_scale(dt, a.dev, -0.37f, y.dev, n, nullptr);
        for (int64_t i = 0; i < n; i++) want[i] = round_to(dt, -0.37f * a.host[i]);
        check("scale n=7511", dt, st, y.download(), want);

        for (int act = T4J_ACT_NONE; act <= T4J_ACT_SILU; act++) {
            y.poison();
            st = t4j_cuda_bias_act(dt, act, a.dev, bias.dev, y.dev, rows, cols, nullptr);
            t4j_ref_bias_act(act, a.host.data(), bias.host.data(), want.data(), rows, cols);
            char what[64];
            snprintf(what, sizeof what, "bias_act act=%d 37x203", act);
            check(what, dt, st, y.download(), want);
        }
        for (int act : {T4J_ACT_SILU, T4J_ACT_GELU, T4J_ACT_GELU_TANH}) {
            // gate and up as the two halves of one [rows, 2 cols] projection
            Buf fused(dt, rows * 2 * cols), g(dt, n);
            fused.random(3.0f);
            g.poison();
            st = t4j_cuda_gated_act(dt, act, fused.dev, 2 * cols, (char *)fused.dev + cols * elem_bytes(dt), 2 * cols,
                                    g.dev, cols, rows, cols, nullptr);
            t4j_ref_gated_act(act, fused.host.data(), 2 * cols, fused.host.data() + cols, 2 * cols, want.data(), cols,
                              rows, cols);
            char what[64];
            snprintf(what, sizeof what, "gated_act act=%d from a fused projection", act);
            check(what, dt, st, g.download(), want);
        }
    }
}

static void test_rope_embedding_copy() {
    for (int dt : kDtypes) {
        int64_t B = 2, S = 11, N = 3, D = 80, rot = 48; // partial rotary, inside a [B, S, 2N, D] buffer
        Buf x(dt, B * S * 2 * N * D);
        x.random(2.0f);
        std::vector<int64_t> pos(B * S);
        for (auto &p : pos) p = (int64_t)((frand() + 1.0f) * 1000.0f);
        std::vector<float> inv(rot / 2);
        t4j_ref_inv_freq(10000.0f, rot, inv.data());
        for (size_t i = 0; i < inv.size(); i++) inv[i] /= 1.0f + (frand() + 1.0f) * (float)(i % 3); // scaled
        int64_t *dpos = device_copy(pos);
        float *dinv = device_copy(inv);
        std::vector<float> want = x.host;
        int32_t st = t4j_cuda_rope(dt, x.dev, B, S, N, D, S * 2 * N * D, 2 * N * D, D, dpos, rot, dinv, nullptr);
        t4j_ref_rope(want.data(), B, S, N, D, S * 2 * N * D, 2 * N * D, D, pos.data(), rot, inv.data());
        check("rope partial rotary in a strided view, positions to 2000", dt, st, x.download(), want);
        cudaFree(dpos);
        cudaFree(dinv);

        int64_t V = 1001, C = 77, n = 23;
        Buf table(dt, V * C), out(dt, n * C);
        table.random(1.0f);
        out.poison();
        std::vector<int64_t> ids(n);
        for (auto &id : ids) id = (int64_t)((frand() + 1.0f) * 0.5f * (V - 1));
        ids[0] = V - 1;
        int64_t *dids = device_copy(ids);
        st = t4j_cuda_embedding(dt, table.dev, V, C, dids, n, out.dev, nullptr);
        std::vector<float> rows(n * C);
        for (int64_t i = 0; i < n; i++) memcpy(&rows[i * C], &table.host[ids[i] * C], C * sizeof(float));
        check("embedding 23 ids from 1001 x 77", dt, st, out.download(), rows);
        cudaFree(dids);

        // a [2, 5, 3, 24] slice of a [2, 9, 4, 24] cache, written from a contiguous block
        int64_t dims[4] = {2, 5, 3, 24}, src_st[4] = {5 * 3 * 24, 3 * 24, 24, 1}, dst_st[4] = {9 * 4 * 24, 4 * 24, 24, 1};
        Buf src(dt, 2 * 5 * 3 * 24), dst(dt, 2 * 9 * 4 * 24);
        src.random(1.0f);
        dst.random(1.0f);
        std::vector<float> expect = dst.host;
        for (int64_t i0 = 0; i0 < 2; i0++)
            for (int64_t i1 = 0; i1 < 5; i1++)
                for (int64_t i2 = 0; i2 < 3; i2++)
                    for (int64_t i3 = 0; i3 < 24; i3++)
                        expect[i0 * dst_st[0] + i1 * dst_st[1] + i2 * dst_st[2] + i3] =
                            src.host[i0 * src_st[0] + i1 * src_st[1] + i2 * src_st[2] + i3];
        st = t4j_cuda_copy((int32_t)elem_bytes(dt), src.dev, src_st, dst.dev, dst_st, dims, nullptr);
        check("strided copy into a cache slice", dt, st, dst.download(), expect);

        for (int to : kDtypes) {
            Buf from(dt, 1234), conv(to, 1234);
            from.random(100.0f);
            conv.poison();
            st = t4j_cuda_convert(dt, from.dev, to, conv.dev, 1234, nullptr);
            std::vector<float> w(1234);
            for (int i = 0; i < 1234; i++) w[i] = round_to(to, from.host[i]);
            char what[64];
            snprintf(what, sizeof what, "convert to %s", kNames[to]);
            check(what, to, st, conv.download(), w);
        }
    }
}

static void test_bad_input() {
    t4j_attention_params p = {};
    p.batch = 1, p.q_len = 4, p.kv_len = 4, p.heads = 2, p.kv_heads = 2, p.head_dim = 300, p.scale = 1.0f;
    Buf q(T4J_F16, 1 << 14);
    check_status("attention head dim 300 refused", t4j_cuda_attention(T4J_F16, &p, q.dev, q.dev, q.dev, q.dev,
                                                                      nullptr, 0, nullptr), T4J_ERR_SIZE);
    p.head_dim = 16;
    p.kv_heads = 3;
    check_status("attention heads not a multiple of kv heads", t4j_cuda_attention(T4J_F16, &p, q.dev, q.dev, q.dev,
                                                                                  q.dev, nullptr, 0, nullptr),
                 T4J_ERR_SIZE);
    p.kv_heads = 2;
    check_status("attention with a NULL query", t4j_cuda_attention(T4J_F16, &p, nullptr, q.dev, q.dev, q.dev,
                                                                   nullptr, 0, nullptr), T4J_ERR_NULL);
    check_status("attention with element type 7", t4j_cuda_attention(7, &p, q.dev, q.dev, q.dev, q.dev, nullptr, 0,
                                                                      nullptr), T4J_ERR_DTYPE);
    check_status("layer norm with 0 columns", t4j_cuda_layer_norm(T4J_F32, q.dev, nullptr, nullptr, q.dev, q.dev,
                                                                  nullptr, 3, 0, 1e-5f, nullptr), T4J_ERR_SIZE);
    check_status("rope with an odd rotary dim", t4j_cuda_rope(T4J_F32, q.dev, 1, 1, 1, 8, 8, 8, 8, (int64_t *)q.dev,
                                                              7, (float *)q.dev, nullptr), T4J_ERR_SIZE);
    check_status("rope without frequencies", t4j_cuda_rope(T4J_F32, q.dev, 1, 1, 1, 8, 8, 8, 8, (int64_t *)q.dev,
                                                           8, nullptr, nullptr), T4J_ERR_NULL);
    check_status("device still usable afterwards", cudaDeviceSynchronize() == cudaSuccess ? T4J_OK : -1, T4J_OK);
}

int main() {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        printf("no CUDA device: CUDA kernel tests skipped\n");
        return 77;
    }
    cudaDeviceProp prop;
    CUDA_OK(cudaGetDeviceProperties(&prop, 0));
    printf("device 0: %s, compute capability %d.%d\n", prop.name, prop.major, prop.minor);
    test_norms();
    test_softmax();
    test_attention();
    test_elementwise();
    test_rope_embedding_copy();
    test_bad_input();
    printf("%d of %d checks failed\n", failures, checks);
    return failures > 99 ? 99 : failures;
}
