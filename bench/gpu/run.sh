#!/usr/bin/env bash
# Everything the GPU side can show, on a machine with an NVIDIA GPU, the CUDA toolkit (with cuBLAS),
# CMake and PyTorch, and neither Java nor a package registry:
#   1. builds the native code for the GPU present (CMake, nvcc);
#   2. runs the CUDA kernel tests (native/tests/test_cuda.cu: every kernel against the scalar
#      reference, float32 / float16 / bfloat16, odd sizes, padding, causal, GQA, bias, window, decode);
#   3. runs the kernel benchmarks beside PyTorch on the same GPU, in the same process, and prints
#      one table (bench/gpu/bench_kernels.py).
# Usage: bench/gpu/run.sh [OUT_DIR]    (logs and the table go to OUT_DIR, default target/gpu)
# Exit status: nonzero if a build, a test or a correctness check failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/target/gpu}"
build="$root/target/gpu-build"
mkdir -p "$out"
status=0
step() { echo; echo "== $*"; }

step "GPU"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"

step "build (CMake, CUDA architecture of this GPU)"
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=native \
        && cmake --build "$build" --parallel "$(nproc)"; } > "$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log"
    echo "build failed (log: $out/build.log)"
    exit 1
fi
grep "t4j:" "$out/build.log" || true

step "CUDA kernel tests"
"$build/test_cuda" > "$out/test_cuda.log" 2>&1
rc=$?
grep -E "^FAIL|device 0|checks failed" "$out/test_cuda.log"
[ "$rc" -eq 0 ] || { echo "kernel tests failed (status $rc, log: $out/test_cuda.log)"; status=1; }

step "kernel benchmarks beside PyTorch"
PYTHONPATH="$root/bench/gpu" python3 "$root/bench/gpu/bench_kernels.py" "$build/out/libt4j_cuda.so" "$out" \
    || status=1

step "models on the GPU"
echo "not run: the Java CUDA backend (models, cuBLAS) is not built yet"
exit $status
