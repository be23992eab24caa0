/*
 * kernels.c: the table of one instruction set's CPU kernels (kernels.h), compiled once per
 * instruction set (simd.h, CMakeLists.txt). The kernels themselves live one family a file,
 * each naming its reference in native/ref/t4j_ref.c:
 *
 * norms.c        layer norm, RMS norm
 * softmax.c      masked softmax
 * attention.c    fused (flash-style) attention
 * elementwise.c  activations with bias, gated activations, copy, add (act.h: one vector)
 * gemm.c         sgemm, few-row A B^T (float32 and bfloat16 weights), packed linear layers
 *
 * RoPE and the embedding gather are plain loops in t4j_cpu.c, the same for every instruction set;
 * the int8 and bfloat16-dot products are in int8.c and bf16dot.c (instruction sets of their own).
 */
#include "variant.h"

#define KERNEL_ENTRY(ret, name, params) .name = KFN(name),
const t4j_kernels KTABLE = {
    .name = STR(T4J_VARIANT),
    T4J_CPU_KERNELS(KERNEL_ENTRY)
};
