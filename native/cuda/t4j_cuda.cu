// Library-wide pieces: version and the last CUDA error of each thread.
#include <stdio.h>

#include "common.cuh"

namespace {
thread_local char last_error[256] = "";
}

int32_t t4j::fail(cudaError_t err) {
    snprintf(last_error, sizeof last_error, "%s: %s", cudaGetErrorName(err), cudaGetErrorString(err));
    return T4J_ERR_CUDA;
}

extern "C" int32_t t4j_cuda_version(void) { return 1 * 10000 + 0 * 100 + 0; }

extern "C" const char *t4j_cuda_last_error(void) { return last_error; }
