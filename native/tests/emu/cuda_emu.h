/*
 * cuda_emu.h: runs the project's CUDA kernels on the CPU, so that their logic is tested on
 * machines without a GPU (CI has none). It is not a general CUDA emulator: it provides what
 * native/cuda and the Java backend use, and fails loudly on the rest.
 *
 * - Each block runs on its own, its threads as fibers on one OS thread (cuda_emu.cpp switches
 *   them), switched only at barriers: __syncthreads, __syncwarp and every warp collective
 *   (shuffles, ldmatrix, mma). Each round a random half of the warps runs, in alternating order,
 *   so code that forgets a barrier tends to read stale data, as it may on a GPU.
 * - Warp collectives with lanes that have exited are reported as errors (undefined on a GPU).
 * - mma.sync m16n8k16, ldmatrix (x4, plain and transposed) and cp.async follow the fragment
 *   layouts of the PTX ISA; a cp.async destination is poisoned until cp.async.wait_group.
 * - Shared memory starts poisoned (NaN bytes) in every block; dynamic shared memory above 48 KiB
 *   needs cudaFuncSetAttribute, as on a GPU; ldmatrix and cp.async check alignment and bounds.
 * - Device memory is host memory, allocated at exactly the size asked for (so AddressSanitizer
 *   sees overruns); kernels run when launched; an asynchronous copy from host memory runs when
 *   the stream's next operation does, the latest its order allows.
 * - T4J_EMU_SKIP_BODIES=1 checks launches and products without computing them (to time what
 *   the host spends around them); T4J_EMU_COUNT=1 prints launches, copies and waits at exit.
 * Errors are recorded like CUDA's sticky launch errors and returned by cudaGetLastError.
 */
#ifndef T4J_CUDA_EMU_H
#define T4J_CUDA_EMU_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#define T4J_CUDA_EMU 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __restrict__ __restrict
#define __align__(n) alignas(n)
#define __launch_bounds__(...)

// ---- vector types, errors, runtime enums -----------------------------------------------------

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 {
    unsigned x, y, z;
};
struct alignas(16) uint4 {
    unsigned x, y, z, w;
};
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }

enum cudaError_t {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorNoDevice = 100,
    cudaErrorLaunchFailure = 719,
};
typedef cudaError_t cudaError;
struct CUstream_st;
typedef CUstream_st *cudaStream_t;
enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault = 4
};
enum cudaDeviceAttr {
    cudaDevAttrMultiProcessorCount = 16,
    cudaDevAttrComputeCapabilityMajor = 75,
    cudaDevAttrComputeCapabilityMinor = 76,
    cudaDevAttrMaxSharedMemoryPerBlockOptin = 97
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
struct cudaDeviceProp {
    char name[256];
    int major, minor, multiProcessorCount;
    size_t sharedMemPerBlockOptin;
};

// ---- float16 and bfloat16, rounded to nearest even as the hardware does -----------------------

struct __half {
    unsigned short x;
};
struct __nv_bfloat16 {
    unsigned short x;
};

inline uint32_t t4j_emu_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
inline float t4j_emu_float(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

inline __half __float2half_rn(float f) {
    uint32_t u = t4j_emu_bits(f), sign = u & 0x80000000u;
    u ^= sign;
    uint32_t o;
    if (u >= (127u + 16u) << 23) {
        o = u > 0x7f800000u ? 0x7e00u : 0x7c00u;
    } else if (u < 113u << 23) { // subnormal or zero: let float addition round
        const uint32_t magic = ((127u - 15u) + (23u - 10u) + 1u) << 23;
        o = t4j_emu_bits(t4j_emu_float(u) + t4j_emu_float(magic)) - magic;
    } else {
        uint32_t odd = (u >> 13) & 1u;
        u += ((uint32_t)(15 - 127) << 23) + 0xfffu + odd;
        o = u >> 13;
    }
    return {(unsigned short)(o | (sign >> 16))};
}
inline __half __float2half(float f) { return __float2half_rn(f); }

inline float __half2float(__half h) {
    uint32_t sign = (uint32_t)(h.x & 0x8000u) << 16, exp = (h.x >> 10) & 0x1fu, mant = h.x & 0x3ffu;
    if (exp == 0) {
        float v = ldexpf((float)mant, -24);
        return sign ? -v : v;
    }
    if (exp == 31) return t4j_emu_float(sign | 0x7f800000u | (mant << 13));
    return t4j_emu_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

inline __nv_bfloat16 __float2bfloat16_rn(float f) {
    uint32_t u = t4j_emu_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return {(unsigned short)((u >> 16) | 0x40u)};
    u += 0x7fffu + ((u >> 16) & 1u);
    return {(unsigned short)(u >> 16)};
}
inline __nv_bfloat16 __float2bfloat16(float f) { return __float2bfloat16_rn(f); }
inline float __bfloat162float(__nv_bfloat16 b) { return t4j_emu_float((uint32_t)b.x << 16); }

// ---- device math ----------------------------------------------------------------------------

inline float __expf(float x) { return expf(x); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __fdividef(float a, float b) { return a / b; }
template <typename A, typename B> inline std::common_type_t<A, B> min(A a, B b) { return a < b ? a : b; }
template <typename A, typename B> inline std::common_type_t<A, B> max(A a, B b) { return a < b ? b : a; }

// ---- the scheduler --------------------------------------------------------------------------

namespace t4j_emu {

constexpr size_t kStackBytes = 256 * 1024;
constexpr size_t kStaticSmem = 48 * 1024;    // without cudaFuncSetAttribute
constexpr size_t kMaxSmem = 227 * 1024;      // sm_90, with it
constexpr int kSlotWords = 16;               // a lane's deposit in a warp collective (64 bytes)
constexpr int kMultiprocessors = 8;          // few, so that small tests reach the launch choices big GPUs make

struct Copy { // one pending cp.async
    void *dst;
    const void *src;
    int src_bytes;
};

// Switching between threads. On x86-64 a few instructions (callee-saved registers, the stack
// pointer, the floating-point control words); elsewhere ucontext, whose signal-mask system call
// on every switch makes it ten times slower.
#if defined(__x86_64__)
extern "C" void t4j_emu_switch(void **save_sp, void *load_sp);
struct Context {
    void *sp = nullptr;
};
inline void switch_to(Context &from, Context &to) { t4j_emu_switch(&from.sp, to.sp); }
extern "C" void t4j_emu_start(); // first code a fiber runs: calls fiber_main, then back
inline void make_context(Context &c, char *stack, size_t bytes) {
    uint64_t *sp = (uint64_t *)(((uintptr_t)(stack + bytes)) & ~(uintptr_t)15);
    *--sp = 0;                            // return address of t4j_emu_start: never used
    *--sp = (uint64_t)&t4j_emu_start;     // where the first switch returns to
    for (int i = 0; i < 6; i++) *--sp = 0; // rbp rbx r12 r13 r14 r15
    uint32_t csr;
    uint16_t cw;
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(csr), "=m"(cw));
    *--sp = (uint64_t)csr | ((uint64_t)cw << 32);
    c.sp = sp;
}
#else
struct Context {
    ucontext_t uc;
};
inline void switch_to(Context &from, Context &to) { swapcontext(&from.uc, &to.uc); }
void fiber_entry();
inline void make_context(Context &c, char *stack, size_t bytes) {
    getcontext(&c.uc);
    c.uc.uc_stack.ss_sp = stack;
    c.uc.uc_stack.ss_size = bytes;
    c.uc.uc_link = nullptr;
    makecontext(&c.uc, fiber_entry, 0);
}
#endif

struct Fiber {
    Context ctx;
    char *stack = nullptr;
    uint3 tid;
    int warp = 0, lane = 0;
    bool done = false;
    int wait_kind = 0; // 0 runnable, 1 block barrier, 2 warp barrier
    uint64_t wait_gen = 0;
    uint64_t warp_ops = 0;
    std::vector<Copy> copies;
    std::vector<size_t> groups; // end index in `copies` of each committed group
};

struct Warp {
    int size = 32, live = 32, arrived = 0;
    uint64_t gen = 0;
    uint32_t in[2][32][kSlotWords];  // what each lane deposited, two buffers by op parity
    uint32_t out[2][32][kSlotWords]; // what each lane gets back
};

struct Block {
    dim3 grid, dim;
    uint3 idx;
    std::vector<Fiber> fibers;
    std::vector<Warp> warps;
    int live = 0, arrived = 0;
    uint64_t gen = 0;
    Context sched;
    Fiber *cur = nullptr;
    unsigned char *smem = nullptr;
    size_t smem_bytes = 0;
    std::function<void()> body;
};

inline Block *block = nullptr;
inline cudaError_t sticky = cudaSuccess; // the error cudaGetLastError returns
inline std::string error_text;
inline std::map<const void *, size_t> smem_limit; // per kernel, from cudaFuncSetAttribute
inline std::mutex launch_mutex;                    // one kernel at a time, whatever thread launches
// Fiber stacks, kept from block to block and freed at exit.
struct StackPool {
    std::vector<char *> stacks;
    ~StackPool() {
        for (char *st : stacks) free(st);
    }
};
inline StackPool stack_pool;

// T4J_EMU_COUNT=1: counts of what a program asked of the device, printed at exit (cuda_emu.cpp),
// to see what a forward pass or a decoding step costs in launches, copies and waits.
struct Counts {
    uint64_t launches = 0, gemms = 0, syncs = 0, mallocs = 0, frees = 0;
    uint64_t copies[5] = {}, bytes[5] = {}; // by cudaMemcpyKind
};
inline Counts counts;

// cudaMemcpyAsync from host memory reads its source as late as the stream order allows: when the
// stream's next operation (launch, product, copy, memset, wait) runs. A caller that reuses or
// frees a source before that gets wrong results here, as it may on a GPU.
struct PendingCopy {
    void *dst;
    const void *src;
    size_t bytes;
};
inline std::mutex copy_mutex;
inline std::vector<PendingCopy> pending_copies;

inline void run_pending_copies() {
    std::lock_guard<std::mutex> lock(copy_mutex);
    for (const PendingCopy &c : pending_copies) memmove(c.dst, c.src, c.bytes);
    pending_copies.clear();
}
inline uint64_t random_state = 0x2545F4914F6CDD1Dull; // fixed: every run schedules the same way

// T4J_EMU_SKIP_BODIES=1: launches and products are checked but not computed, so that what a
// caller spends around them (the host side of a forward pass) can be timed on its own.
inline bool skip_bodies() {
    static const bool skip = getenv("T4J_EMU_SKIP_BODIES") && strcmp(getenv("T4J_EMU_SKIP_BODIES"), "1") == 0;
    return skip;
}

inline uint64_t next_random() {
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return random_state;
}

// A programming error in a kernel: reported, recorded, and the block is abandoned.
[[noreturn]] inline void kernel_error(const char *what) {
    fprintf(stderr, "cuda_emu: block (%u,%u,%u) thread (%u,%u,%u): %s\n", block->idx.x, block->idx.y,
            block->idx.z, block->cur ? block->cur->tid.x : 0, block->cur ? block->cur->tid.y : 0,
            block->cur ? block->cur->tid.z : 0, what);
    fflush(stderr);
    abort();
}

inline Fiber *self() { return block->cur; }

inline void wait(int kind, uint64_t gen) {
    Fiber *f = self();
    f->wait_kind = kind;
    f->wait_gen = gen;
    switch_to(f->ctx, block->sched);
}

inline void syncthreads() {
    Block *b = block;
    if (++b->arrived == b->live) {
        b->arrived = 0;
        b->gen++;
        return;
    }
    wait(1, b->gen);
}

inline Warp &my_warp() { return block->warps[self()->warp]; }

// Waits for every lane of the warp; `last` runs once, in the lane that arrives last.
template <typename F>
inline void warp_barrier(F last) {
    Warp &w = my_warp();
    if (w.live != w.size) kernel_error("a warp collective with lanes that have exited (undefined on a GPU)");
    if (++w.arrived == w.size) {
        w.arrived = 0;
        last();
        w.gen++;
        return;
    }
    wait(2, w.gen);
}
inline void syncwarp() {
    warp_barrier([] {});
}

// A warp collective: each lane deposits `in`, `compute(in, out, parity)` runs once for the warp,
// each lane reads its `out`. Two buffers, alternating, so no lane overwrites what another reads.
template <typename F>
inline uint32_t *collective(const void *in, size_t bytes, F compute) {
    Fiber *f = self();
    Warp &w = my_warp();
    int par = (int)(f->warp_ops++ & 1);
    memcpy(w.in[par][f->lane], in, bytes);
    warp_barrier([&] { compute(w.in[par], w.out[par]); });
    return w.out[par][f->lane];
}

inline void fiber_main() {
    Block *b = block;
    Fiber *f = b->cur;
    b->body();
    f->done = true;
    b->live--;
    b->warps[f->warp].live--;
    if (b->warps[f->warp].arrived > 0) kernel_error("a lane exited while its warp waited in a collective");
    if (b->arrived > 0 && b->arrived == b->live) { // the exited thread was all a barrier waited for
        b->arrived = 0;
        b->gen++;
    }
}

// What a fiber runs: the kernel, then back to the scheduler for good.
inline void fiber_run() {
    fiber_main();
    Block *b = block;
    switch_to(b->cur->ctx, b->sched);
    abort(); // a finished fiber is never resumed
}

inline bool runnable(const Block &b, const Fiber &f) {
    if (f.done) return false;
    if (f.wait_kind == 1) return b.gen != f.wait_gen;
    if (f.wait_kind == 2) return b.warps[f.warp].gen != f.wait_gen;
    return true;
}

inline void run_block(Block &b) {
    size_t n = b.fibers.size();
    while (stack_pool.stacks.size() < n) stack_pool.stacks.push_back((char *)malloc(kStackBytes));
    for (size_t i = 0; i < n; i++) {
        Fiber &f = b.fibers[i];
        f.stack = stack_pool.stacks[i];
        make_context(f.ctx, f.stack, kStackBytes);
    }
    // Each round a random half of the warps run (all, when that half has nothing to run), so
    // warps drift apart as they do on a GPU and a missing __syncthreads shows.
    bool forward = true;
    std::vector<char> runs(b.warps.size());
    while (b.live > 0) {
        bool progress = false;
        for (int attempt = 0; attempt < 2 && !progress; attempt++) {
            for (char &r : runs) r = attempt == 1 || (next_random() & 1);
            for (size_t k = 0; k < n; k++) {
                Fiber &f = b.fibers[forward ? k : n - 1 - k];
                if (!runs[f.warp] || !runnable(b, f)) continue;
                f.wait_kind = 0;
                b.cur = &f;
                switch_to(b.sched, f.ctx);
                b.cur = nullptr;
                progress = true;
            }
        }
        forward = !forward;
        if (!progress) {
            b.cur = &b.fibers[0];
            kernel_error("deadlock: every live thread waits at a barrier the others never reach");
        }
    }
}

inline cudaError_t launch_error(cudaError_t e, const char *why) {
    error_text = why;
    if (sticky == cudaSuccess) sticky = e;
    return e;
}

template <typename... P, typename... A>
inline void launch(void (*kernel)(P...), dim3 grid, dim3 dim, size_t smem, cudaStream_t, A &&...args) {
    std::lock_guard<std::mutex> lock(launch_mutex);
    run_pending_copies();
    counts.launches++;
    size_t threads = (size_t)dim.x * dim.y * dim.z;
    if (threads == 0 || threads > 1024 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 ||
        grid.z > 65535) {
        launch_error(cudaErrorInvalidConfiguration, "invalid launch configuration");
        return;
    }
    auto lim = smem_limit.find((const void *)kernel);
    size_t allowed = lim == smem_limit.end() ? kStaticSmem : lim->second;
    if (smem > allowed) {
        launch_error(cudaErrorInvalidValue, "dynamic shared memory above the kernel's limit");
        return;
    }
    if (skip_bodies()) return;
    std::tuple<P...> params((P)args...);
    Block b;
    b.grid = grid;
    b.dim = dim;
    b.smem_bytes = smem;
    b.smem = (unsigned char *)aligned_alloc(128, smem ? (smem + 127) / 128 * 128 : 128);
    b.body = [&] { std::apply(kernel, params); };
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                b.idx = {x, y, z};
                b.fibers.assign(threads, Fiber());
                b.warps.assign((threads + 31) / 32, Warp());
                for (size_t t = 0; t < threads; t++) {
                    Fiber &f = b.fibers[t];
                    f.tid = {(unsigned)(t % dim.x), (unsigned)(t / dim.x % dim.y), (unsigned)(t / dim.x / dim.y)};
                    f.warp = (int)(t / 32);
                    f.lane = (int)(t % 32);
                }
                for (size_t w = 0; w < b.warps.size(); w++) {
                    int size = (int)(threads - 32 * w < 32 ? threads - 32 * w : 32);
                    b.warps[w].size = b.warps[w].live = size;
                }
                b.live = (int)threads;
                b.arrived = 0;
                memset(b.smem, 0xFF, smem ? smem : 1);
                block = &b;
                run_block(b);
                block = nullptr;
            }
    free(b.smem);
}

// kernel<<<grid, dim, smem, stream>>>(args) is written T4J_LAUNCH(grid, dim, smem, stream, kernel)(args).
template <typename... P>
struct Launcher {
    void (*kernel)(P...);
    dim3 grid, dim;
    size_t smem;
    cudaStream_t stream;
    template <typename... A> void operator()(A &&...args) const {
        launch(kernel, grid, dim, smem, stream, std::forward<A>(args)...);
    }
};
template <typename... P>
inline Launcher<P...> launcher(void (*kernel)(P...), dim3 grid, dim3 dim, size_t smem, cudaStream_t stream) {
    return {kernel, grid, dim, smem, stream};
}

inline unsigned char *dynamic_smem() { return block->smem; }

// An address inside this block's dynamic shared memory, `bytes` long and 16-byte aligned.
inline void check_smem(const void *p, size_t bytes, const char *what) {
    const unsigned char *c = (const unsigned char *)p;
    if ((uintptr_t)c % 16 != 0) kernel_error(what);
    if (c < block->smem || c + bytes > block->smem + block->smem_bytes) kernel_error(what);
}

// ---- warp-level primitives, with the PTX ISA's fragment layouts -------------------------------

template <typename V>
inline V shfl(V v, int src_of_lane_xor, bool xor_mode) {
    uint32_t in[2] = {0, 0};
    memcpy(in, &v, sizeof(V));
    uint32_t *out = collective(in, sizeof in, [&](uint32_t (*i)[kSlotWords], uint32_t (*o)[kSlotWords]) {
        int size = my_warp().size;
        for (int l = 0; l < size; l++) {
            int src = (xor_mode ? (l ^ src_of_lane_xor) : src_of_lane_xor) & 31;
            if (src >= size) src = l;
            memcpy(o[l], i[src], 8);
        }
    });
    V r;
    memcpy(&r, out, sizeof(V));
    return r;
}

template <typename E> inline float elem(uint32_t pair, int hi);
template <> inline float elem<__half>(uint32_t pair, int hi) { return __half2float({(unsigned short)(hi ? pair >> 16 : pair & 0xffff)}); }
template <> inline float elem<__nv_bfloat16>(uint32_t pair, int hi) {
    return __bfloat162float({(unsigned short)(hi ? pair >> 16 : pair & 0xffff)});
}

// d = a b + c for a 16 x 16 A (row-major fragments), 16 x 8 B (column-major), float C.
template <typename E>
inline void mma_16816(float d[4], const uint32_t a[4], uint32_t b0, uint32_t b1, const float c[4]) {
    uint32_t in[10];
    memcpy(in, a, 16);
    in[4] = b0;
    in[5] = b1;
    memcpy(in + 6, c, 16);
    uint32_t *out = collective(in, sizeof in, [](uint32_t (*i)[kSlotWords], uint32_t (*o)[kSlotWords]) {
        float A[16][16], B[16][8], C[16][8];
        for (int l = 0; l < 32; l++) {
            int g = l >> 2, t = l & 3;
            for (int e = 0; e < 2; e++) {
                A[g][2 * t + e] = elem<E>(i[l][0], e);
                A[g + 8][2 * t + e] = elem<E>(i[l][1], e);
                A[g][2 * t + 8 + e] = elem<E>(i[l][2], e);
                A[g + 8][2 * t + 8 + e] = elem<E>(i[l][3], e);
                B[2 * t + e][g] = elem<E>(i[l][4], e);
                B[2 * t + 8 + e][g] = elem<E>(i[l][5], e);
                float cv[4];
                memcpy(cv, &i[l][6], 16);
                C[g][2 * t + e] = cv[e];
                C[g + 8][2 * t + e] = cv[2 + e];
            }
        }
        for (int l = 0; l < 32; l++) {
            int g = l >> 2, t = l & 3;
            float r[4];
            for (int q = 0; q < 4; q++) {
                int row = g + (q >> 1) * 8, col = 2 * t + (q & 1);
                float s = C[row][col];
                for (int k = 0; k < 16; k++) s += A[row][k] * B[k][col];
                r[q] = s;
            }
            memcpy(o[l], r, 16);
        }
    });
    memcpy(d, out, 16);
}

// ldmatrix.sync.aligned.m8n8.x4.shared.b16 [.trans]: lane l gives row l % 8 of matrix l / 8.
inline void ldmatrix_x4(uint32_t r[4], const void *row, bool trans) {
    check_smem(row, 16, "ldmatrix: a row address outside dynamic shared memory or not 16-byte aligned");
    const void *in[1] = {row};
    uint32_t *out = collective(in, sizeof in, [trans](uint32_t (*i)[kSlotWords], uint32_t (*o)[kSlotWords]) {
        for (int l = 0; l < 32; l++)
            for (int m = 0; m < 4; m++) {
                unsigned short lo, hi;
                if (!trans) {
                    const unsigned short *src;
                    memcpy(&src, i[m * 8 + l / 4], sizeof src);
                    lo = src[2 * (l % 4)];
                    hi = src[2 * (l % 4) + 1];
                } else {
                    const unsigned short *r0, *r1;
                    memcpy(&r0, i[m * 8 + 2 * (l % 4)], sizeof r0);
                    memcpy(&r1, i[m * 8 + 2 * (l % 4) + 1], sizeof r1);
                    lo = r0[l / 4];
                    hi = r1[l / 4];
                }
                o[l][m] = (uint32_t)lo | ((uint32_t)hi << 16);
            }
    });
    memcpy(r, out, 16);
}

// cp.async.cg.shared.global [dst], [src], 16, src_bytes: zero-fills past src_bytes.
inline void cp_async_16(void *dst, const void *src, int src_bytes) {
    check_smem(dst, 16, "cp.async: a destination outside dynamic shared memory or not 16-byte aligned");
    if ((uintptr_t)src % 16 != 0) kernel_error("cp.async: a source address not 16-byte aligned");
    if (src_bytes < 0 || src_bytes > 16) kernel_error("cp.async: src size outside 0..16");
    memset(dst, 0xFF, 16); // in flight: undefined until the wait
    self()->copies.push_back({dst, src, src_bytes});
}
inline void cp_async_commit() { self()->groups.push_back(self()->copies.size()); }
inline void cp_async_wait(int pending) {
    Fiber *f = self();
    int complete = (int)f->groups.size() - pending;
    if (complete <= 0) return;
    size_t end = f->groups[complete - 1];
    for (size_t i = 0; i < end; i++) {
        Copy &c = f->copies[i];
        memset(c.dst, 0, 16);
        if (c.src_bytes) memcpy(c.dst, c.src, (size_t)c.src_bytes);
    }
    f->copies.erase(f->copies.begin(), f->copies.begin() + (long)end);
    f->groups.erase(f->groups.begin(), f->groups.begin() + complete);
    for (size_t &g : f->groups) g -= end;
}

} // namespace t4j_emu

#define threadIdx (::t4j_emu::self()->tid)
#define blockIdx (::t4j_emu::block->idx)
#define blockDim (::t4j_emu::block->dim)
#define gridDim (::t4j_emu::block->grid)

inline void __syncthreads() { t4j_emu::syncthreads(); }
inline void __syncwarp(unsigned = 0xffffffffu) { t4j_emu::syncwarp(); }
template <typename V> inline V __shfl_xor_sync(unsigned, V v, int mask) { return t4j_emu::shfl(v, mask, true); }
template <typename V> inline V __shfl_sync(unsigned, V v, int src) { return t4j_emu::shfl(v, src, false); }

// ---- the runtime API ------------------------------------------------------------------------
// Real functions with C linkage (cuda_emu.cpp), so that the emulated library can also stand in for
// libcudart when Java loads it: device memory is host memory, tracked, with a 16 GiB budget;
// copies are checked against the allocations they touch; streams run everything at once.

extern "C" {
cudaError_t cudaGetLastError(void);
cudaError_t cudaPeekAtLastError(void);
const char *cudaGetErrorName(cudaError_t e);
const char *cudaGetErrorString(cudaError_t e);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaGetDevice(int *device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device);
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device);
cudaError_t cudaMalloc(void **ptr, size_t bytes);
cudaError_t cudaFree(void *ptr);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream);
cudaError_t cudaMemset(void *dst, int value, size_t bytes);
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes);
cudaError_t cudaStreamCreate(cudaStream_t *stream);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
}

template <typename E> inline cudaError_t cudaMalloc(E **p, size_t bytes) { return cudaMalloc((void **)p, bytes); }
template <typename K>
inline cudaError_t cudaFuncSetAttribute(K *kernel, cudaFuncAttribute a, int value) {
    if (a != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 || (size_t)value > t4j_emu::kMaxSmem)
        return t4j_emu::launch_error(cudaErrorInvalidValue, "cudaFuncSetAttribute: shared memory above the device's");
    std::lock_guard<std::mutex> lock(t4j_emu::launch_mutex);
    t4j_emu::smem_limit[(const void *)kernel] = (size_t)value;
    return cudaSuccess;
}

#endif
