#!/usr/bin/env bash
# Regenerates the committed jextract bindings under bindings/src/main/java
# from native/include/t4j.h and t4j_cuda.h, OpenBLAS's cblas.h (taken from the
# org.bytedeco:openblas jar that the build uses), the CUDA runtime's
# cuda_runtime_api.h and cuBLAS's cublas_api.h, with the explicit symbol lists
# in the *.includes files beside this script.
#
# Usage: JEXTRACT=/path/to/jextract [CUDA_HOME=/usr/local/cuda] [CUBLAS_INCLUDE=DIR] bindings/regenerate.sh
# CUDA_HOME/include must hold the CUDA runtime headers (any CUDA 12 or 13
# toolkit); CUBLAS_INCLUDE (default: the same folder) must hold cublas_api.h,
# which comes with the toolkit or the nvidia-cublas wheel.
# jextract (https://github.com/openjdk/jextract, JDK 25 branch) is not in any
# registry; build or install it yourself. The output is deterministic: run
# `git diff --exit-code bindings/` afterwards to see that nothing changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
jextract="${JEXTRACT:-$(command -v jextract || true)}"
[ -x "$jextract" ] || { echo "set JEXTRACT to the jextract launcher" >&2; exit 2; }
cuda_include="${CUDA_HOME:-/usr/local/cuda}/include"
cublas_include="${CUBLAS_INCLUDE:-$cuda_include}"
[ -f "$cuda_include/cuda_runtime_api.h" ] || { echo "no cuda_runtime_api.h in $cuda_include (set CUDA_HOME)" >&2; exit 2; }
[ -f "$cublas_include/cublas_api.h" ] || { echo "no cublas_api.h in $cublas_include (set CUBLAS_INCLUDE)" >&2; exit 2; }
openblas_version="$(sed -n 's:.*<openblas.version>\(.*\)</openblas.version>.*:\1:p' "$root/pom.xml")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="org.bytedeco:openblas:${openblas_version}:jar:linux-x86_64" -DoutputDirectory="$work")
(cd "$work" && unzip -q -o ./*.jar 'org/bytedeco/openblas/linux-x86_64/include/*')
# Headers are copied to fixed relative paths so nothing machine-specific
# reaches the generated sources.
mkdir -p "$work/h"
cp "$root/native/include/t4j.h" "$root/native/include/t4j_cuda.h" "$work/h/"
cp -r "$cuda_include" "$work/cuda"
cp "$cublas_include"/cublas_api.h "$work/cuda/"
cp "$work"/org/bytedeco/openblas/linux-x86_64/include/{cblas.h,openblas_config.h} "$work/h/"

out="$here/src/main/java"
rm -rf "$out/org/transformers4j/bindings"
cd "$work/h"
# clang's own stdint.h (freestanding) keeps the output independent of the system libc headers.
"$jextract" -D__STDC_HOSTED__=0 --output "$out" -t org.transformers4j.bindings.cpu \
    --header-class-name t4j_h @"$here/t4j.includes" t4j.h 2> "$work/t4j.log" \
    || { cat "$work/t4j.log" >&2; exit 1; }
"$jextract" -D__STDC_HOSTED__=0 --output "$out" -t org.transformers4j.bindings.openblas \
    --header-class-name cblas_h @"$here/cblas.includes" cblas.h 2> "$work/cblas.log" \
    || { cat "$work/cblas.log" >&2; exit 1; }
run() { # package header-class header
    "$jextract" -D__STDC_HOSTED__=0 -I "$work/cuda" --output "$out" -t "org.transformers4j.bindings.$1" \
        --header-class-name "$2" @"$here/$4.includes" "$3" 2> "$work/$4.log" \
        || { cat "$work/$4.log" >&2; exit 1; }
}
run cuda t4j_cuda_h t4j_cuda.h t4j_cuda
(cd "$work/cuda" && run cudart cudart_h cuda_runtime_api.h cudart)
(cd "$work/cuda" && run cublas cublas_h cublas_api.h cublas)
echo "bindings regenerated under $out"
