#!/usr/bin/env bash
# Everything the GPU side can show, on a machine with an NVIDIA GPU, the CUDA toolkit (with cuBLAS),
# CMake and PyTorch, and neither Java nor a package registry:
#   1. builds the native code for the GPU present (CMake, nvcc);
#   2. runs the CUDA kernel tests (native/tests/test_cuda.cu: every kernel against the scalar
#      reference, float32 / float16 / bfloat16, odd sizes, padding, causal, GQA, bias, window, decode);
#   3. runs the kernel benchmarks beside PyTorch on the same GPU, in the same process, and prints
#      one table (bench/gpu/bench_kernels.py);
#   4. with target/gpu-carry.tgz (made by `./t4j gpu-pack` where Java is, carried with the tree):
#      the kernels through the Java CUDA backend against the Java reference, bad input on the GPU,
#      and `t4j verify --device cuda:0` on every model fixture (parity and generated tokens in
#      float32; in float16 the logits' top-1 agreement), then a BERT-base-sized encoder in float16
#      beside Hugging Face transformers (bench/gpu/bert_base.py) and GPT-2-small-sized greedy
#      decoding beside transformers' generate() (bench/gpu/gpt2_decode.py).
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
# only the CUDA library and its test: the CPU library comes in the carried jar, and the CPU tests,
# their sanitizer builds and the emulator run where CI runs
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=native -DT4J_CUDA=ON \
        && cmake --build "$build" --parallel "$(nproc)" --target t4j_cuda test_cuda; } > "$out/build.log" 2>&1; then
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

step "Java: CUDA backend, bad input, every model fixture on the GPU"
if [ ! -f "$root/target/gpu-carry.tgz" ]; then
    echo "not run: no target/gpu-carry.tgz (make it with ./t4j gpu-pack where Java is, and carry it)"
    exit $status
fi
tar -C "$root/target" -xzf "$root/target/gpu-carry.tgz"
# the libt4j_cuda just built for this GPU, the one the kernel tests ran, rather than the jar's
kernels="$build/out/libt4j_cuda.so"
java=("$root/target/gpu-carry/jdk/bin/java" --enable-native-access=ALL-UNNAMED "-Dt4j.cuda.kernels=$kernels"
    -cp "$root/target/gpu-carry/lib/*")
"${java[@]}" org.transformers4j.verify.SelfCheck cuda:0 2>&1 | tee "$out/selfcheck.log" | tail -n 6
grep -q "worst relative error.*ok" "$out/selfcheck.log" && ! grep -q "not available" "$out/selfcheck.log" || status=1
"${java[@]}" org.transformers4j.verify.CudaChecks 0 2>&1 | tee "$out/cudachecks.log" || status=1
for dir in "$root"/java/src/test/resources/fixtures/models/*/; do
    name="$(basename "$dir")"
    log="$out/verify-$name.log"
    if "${java[@]}" org.transformers4j.cli.Main verify --device cuda:0 --model "$dir" \
            --reference "$dir/reference.safetensors" > "$log" 2>&1 && ! grep -q "not available" "$log"; then
        echo "ok   $name: $(tail -n 1 "$log")"
    else
        echo "FAIL $name (log: $log)"; grep -E "not available|Exception|error" "$log" | head -n 3
        status=1
    fi
    if "${java[@]}" org.transformers4j.cli.Main verify --device cuda:0 --dtype f16 --model "$dir" \
            --reference "$dir/reference.safetensors" > "$log.f16" 2>&1 && ! grep -q "not available" "$log.f16"; then
        echo "ok   $name f16: $(grep '^logits' "$log.f16" | sed 's/  */ /g')"
    else
        echo "FAIL $name f16 (log: $log.f16)"; grep -E "logits|Exception" "$log.f16" | head -n 3
        status=1
    fi
done

step "BERT-base-sized encoder, float16, 32 x 128: Transformers4J beside transformers"
python3 "$root/bench/gpu/bert_base.py" "$root/target/gpu-carry/jdk/bin/java" "$root/target/gpu-carry/lib/*" \
    "$root/target/gpu/bert-base-random" "$kernels" | tee "$out/bert_base.md" || status=1

step "GPT-2-small-sized greedy decoding, float16, batch 1 and 16: Transformers4J beside transformers"
python3 "$root/bench/gpu/gpt2_decode.py" "$root/target/gpu-carry/jdk/bin/java" "$root/target/gpu-carry/lib/*" \
    "$root/target/gpu/gpt2-random" "$kernels" | tee "$out/gpt2_decode.md" || status=1
rm -rf "$root/target/gpu/bert-base-random" "$root/target/gpu/gpt2-random" # random checkpoints: nothing to keep
exit $status
