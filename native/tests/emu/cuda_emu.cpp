// The emulator's compiled half (see cuda_emu.h): the context switch, the CUDA runtime API and the
// few cuBLAS calls the Java backend makes, so that libt4j_cuda_emulated can stand in for libcudart,
// libcublas and libt4j_cuda at once.
#include "cuda_emu.h"

#if defined(__x86_64__)
// t4j_emu_switch(void **save_sp, void *load_sp): saves the callee-saved state on this stack and
// its pointer in *save_sp, then restores the state saved at load_sp and returns there.
__asm__(R"(
    .pushsection .text
    .globl t4j_emu_switch
    .type t4j_emu_switch, @function
t4j_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size t4j_emu_switch, .-t4j_emu_switch
    .popsection
)");

extern "C" void t4j_emu_start() { t4j_emu::fiber_run(); }
#else
void t4j_emu::fiber_entry() { fiber_run(); }
#endif

// ---- runtime API ------------------------------------------------------------------------------

namespace {

constexpr size_t kDeviceBytes = size_t(16) << 30;
std::mutex memory_mutex;
std::map<uintptr_t, size_t> allocations; // start -> bytes
size_t allocated = 0;

// Whether [p, p + n) lies inside one allocation.
bool on_device(const void *p, size_t n) {
    std::lock_guard<std::mutex> lock(memory_mutex);
    auto it = allocations.upper_bound((uintptr_t)p);
    if (it == allocations.begin()) return false;
    --it;
    return (uintptr_t)p >= it->first && (uintptr_t)p + n <= it->first + it->second;
}

cudaError_t copy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, bool async) {
    if ((unsigned)kind < 5) {
        t4j_emu::counts.copies[kind]++;
        t4j_emu::counts.bytes[kind] += bytes;
    }
    if (bytes == 0) return cudaSuccess;
    bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (kind == cudaMemcpyDefault) {
        dst_dev = on_device(dst, 1);
        src_dev = on_device(src, 1);
    }
    if ((dst_dev && !on_device(dst, bytes)) || (src_dev && !on_device(src, bytes))) {
        return t4j_emu::launch_error(cudaErrorInvalidValue, "cudaMemcpy: a device range outside every allocation");
    }
    t4j_emu::run_pending_copies();
    if (async && dst_dev && !src_dev) {
        std::lock_guard<std::mutex> lock(t4j_emu::copy_mutex);
        t4j_emu::pending_copies.push_back({dst, src, bytes});
        return cudaSuccess;
    }
    memmove(dst, src, bytes);
    return cudaSuccess;
}

struct CountsAtExit {
    ~CountsAtExit() {
        const char *on = getenv("T4J_EMU_COUNT");
        if (!on || strcmp(on, "1") != 0) return;
        const t4j_emu::Counts &c = t4j_emu::counts;
        fprintf(stderr,
                "t4j_emu counts: %llu launches, %llu gemms, %llu stream/device syncs, %llu mallocs, %llu frees; "
                "copies H2D %llu (%llu bytes), D2H %llu (%llu bytes), D2D %llu (%llu bytes)\n",
                (unsigned long long)c.launches, (unsigned long long)c.gemms, (unsigned long long)c.syncs,
                (unsigned long long)c.mallocs, (unsigned long long)c.frees,
                (unsigned long long)c.copies[1], (unsigned long long)c.bytes[1], (unsigned long long)c.copies[2],
                (unsigned long long)c.bytes[2], (unsigned long long)c.copies[3], (unsigned long long)c.bytes[3]);
    }
} counts_at_exit;

} // namespace

extern "C" {

cudaError_t cudaGetLastError(void) {
    cudaError_t e = t4j_emu::sticky;
    t4j_emu::sticky = cudaSuccess;
    return e;
}
cudaError_t cudaPeekAtLastError(void) { return t4j_emu::sticky; }

const char *cudaGetErrorName(cudaError_t e) {
    switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    default: return "cudaErrorLaunchFailure";
    }
}
const char *cudaGetErrorString(cudaError_t e) {
    if (e == cudaSuccess) return "no error";
    if (e == cudaErrorMemoryAllocation) return "out of memory";
    return t4j_emu::error_text.empty() ? cudaGetErrorName(e) : t4j_emu::error_text.c_str();
}

cudaError_t cudaDeviceSynchronize(void) {
    t4j_emu::run_pending_copies();
    t4j_emu::counts.syncs++;
    return cudaSuccess;
}
cudaError_t cudaGetDevice(int *d) {
    *d = 0;
    return cudaSuccess;
}
cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : cudaErrorInvalidValue; }
cudaError_t cudaGetDeviceCount(int *n) {
    *n = 1;
    return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int) {
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "CPU emulation of an sm_90 device with %d multiprocessors",
             t4j_emu::kMultiprocessors);
    p->major = 9;
    p->multiProcessorCount = t4j_emu::kMultiprocessors;
    p->sharedMemPerBlockOptin = t4j_emu::kMaxSmem;
    return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr a, int) {
    switch (a) {
    case cudaDevAttrMultiProcessorCount: *v = t4j_emu::kMultiprocessors; return cudaSuccess;
    case cudaDevAttrComputeCapabilityMajor: *v = 9; return cudaSuccess;
    case cudaDevAttrComputeCapabilityMinor: *v = 0; return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *v = (int)t4j_emu::kMaxSmem; return cudaSuccess;
    }
    return cudaErrorInvalidValue;
}

cudaError_t cudaMalloc(void **p, size_t bytes) {
    *p = nullptr;
    std::lock_guard<std::mutex> lock(memory_mutex);
    t4j_emu::counts.mallocs++;
    if (bytes > kDeviceBytes - allocated) return cudaErrorMemoryAllocation;
    // exactly the bytes asked for (256-aligned, as CUDA's), so that a build with AddressSanitizer
    // catches a kernel reading or writing one byte past a buffer
    if (posix_memalign(p, 256, bytes ? bytes : 1) != 0) {
        *p = nullptr;
        return cudaErrorMemoryAllocation;
    }
    allocations[(uintptr_t)*p] = bytes;
    allocated += bytes;
    return cudaSuccess;
}
cudaError_t cudaFree(void *p) {
    if (!p) return cudaSuccess;
    t4j_emu::run_pending_copies(); // cudaFree waits for the device
    std::lock_guard<std::mutex> lock(memory_mutex);
    t4j_emu::counts.frees++;
    auto it = allocations.find((uintptr_t)p);
    if (it == allocations.end()) return cudaErrorInvalidValue; // not from cudaMalloc, or freed twice
    allocated -= it->second;
    allocations.erase(it);
    free(p);
    return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
    std::lock_guard<std::mutex> lock(memory_mutex);
    *free_bytes = kDeviceBytes - allocated;
    *total_bytes = kDeviceBytes;
    return cudaSuccess;
}
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    return copy(dst, src, bytes, kind, false);
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
    return copy(dst, src, bytes, kind, true);
}
cudaError_t cudaMemset(void *dst, int value, size_t bytes) {
    if (bytes && !on_device(dst, bytes)) return cudaErrorInvalidValue;
    t4j_emu::run_pending_copies();
    memset(dst, value, bytes);
    return cudaSuccess;
}
cudaError_t cudaStreamCreate(cudaStream_t *s) {
    *s = (cudaStream_t) new char[1];
    return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
    delete[] (char *)s;
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) {
    t4j_emu::run_pending_copies();
    t4j_emu::counts.syncs++;
    return cudaSuccess;
}

// ---- cuBLAS: what CudaBackend calls ----------------------------------------------------------

struct cublasContext {
    cudaStream_t stream;
    int math_mode;
};
typedef int cublasStatus_t;
enum { kBlasOk = 0, kBlasInvalid = 7, kBlasNotSupported = 15 };
enum { kR32F = 0, kR16F = 2, kR16BF = 14, kCompute32F = 68 };

cublasStatus_t cublasCreate_v2(cublasContext **h) {
    *h = new cublasContext{nullptr, 0};
    return kBlasOk;
}
cublasStatus_t cublasDestroy_v2(cublasContext *h) {
    delete h;
    return kBlasOk;
}
cublasStatus_t cublasSetStream_v2(cublasContext *h, cudaStream_t s) {
    h->stream = s;
    return kBlasOk;
}
cublasStatus_t cublasSetMathMode(cublasContext *h, int mode) {
    h->math_mode = mode;
    return kBlasOk;
}
const char *cublasGetStatusString(cublasStatus_t s) {
    return s == kBlasOk ? "CUBLAS_STATUS_SUCCESS" : s == kBlasInvalid ? "CUBLAS_STATUS_INVALID_VALUE"
                                                                      : "CUBLAS_STATUS_NOT_SUPPORTED";
}

static float load_elem(const void *p, int type, size_t i) {
    if (type == kR32F) return ((const float *)p)[i];
    if (type == kR16F) return __half2float(((const __half *)p)[i]);
    return __bfloat162float(((const __nv_bfloat16 *)p)[i]);
}
static void store_elem(void *p, int type, size_t i, float v) {
    if (type == kR32F) ((float *)p)[i] = v;
    else if (type == kR16F) ((__half *)p)[i] = __float2half_rn(v);
    else ((__nv_bfloat16 *)p)[i] = __float2bfloat16_rn(v);
}

// op(X) of a column-major matrix as float rows: row r of the result is row r of op(X), `cols` long.
static std::vector<float> rows_of(const void *x, int type, int ld, bool trans, int rows, int cols) {
    std::vector<float> out((size_t)rows * cols);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            out[(size_t)r * cols + c] = load_elem(x, type, trans ? (size_t)r * ld + c : (size_t)c * ld + r);
    return out;
}

// Column-major C = alpha op(A) op(B) + beta C in float, as cuBLAS computes it (eight partial sums);
// C is not read when beta is 0.
cublasStatus_t cublasGemmEx(cublasContext *h, int transa, int transb, int m, int n, int k, const void *alpha,
                            const void *A, int a_type, int lda, const void *B, int b_type, int ldb, const void *beta,
                            void *C, int c_type, int ldc, int compute, int) {
    auto known = [](int t) { return t == kR32F || t == kR16F || t == kR16BF; };
    if (!h || m < 0 || n < 0 || k < 0 || (transa != 0 && transa != 1) || (transb != 0 && transb != 1))
        return kBlasInvalid;
    if (lda < (transa ? k : m) || ldb < (transb ? n : k) || ldc < m || lda < 1 || ldb < 1 || ldc < 1)
        return kBlasInvalid;
    if (!known(a_type) || a_type != b_type || c_type != a_type || compute != kCompute32F) return kBlasNotSupported;
    size_t es = a_type == kR32F ? 4 : 2;
    if (m > 0 && n > 0) {
        if (!on_device(C, ((size_t)(n - 1) * ldc + m) * es)) return kBlasInvalid;
        if (k > 0 && (!on_device(A, ((size_t)((transa ? m : k) - 1) * lda + (transa ? k : m)) * es) ||
                      !on_device(B, ((size_t)((transb ? k : n) - 1) * ldb + (transb ? n : k)) * es)))
            return kBlasInvalid;
    }
    t4j_emu::run_pending_copies();
    t4j_emu::counts.gemms++;
    if (t4j_emu::skip_bodies() || m == 0 || n == 0) return kBlasOk;
    float al = *(const float *)alpha, be = *(const float *)beta;
    // op(A) as m rows of k, op(B) transposed as n rows of k: every dot product reads two rows
    std::vector<float> a = rows_of(A, a_type, lda, transa, m, k), b = rows_of(B, b_type, ldb, !transb, n, k);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            const float *x = &a[(size_t)i * k], *y = &b[(size_t)j * k];
            float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            int l = 0;
            for (; l + 8 <= k; l += 8)
                for (int u = 0; u < 8; u++) part[u] += x[l + u] * y[l + u];
            float s = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
            for (; l < k; l++) s += x[l] * y[l];
            size_t ci = (size_t)j * ldc + i;
            store_elem(C, c_type, ci, al * s + (be != 0.0f ? be * load_elem(C, c_type, ci) : 0.0f));
        }
    return kBlasOk;
}

} // extern "C"
