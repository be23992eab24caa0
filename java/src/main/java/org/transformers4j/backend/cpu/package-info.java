/**
 * The CPU backend: {@link org.transformers4j.backend.cpu.CpuBackend} runs the library's native
 * kernels (vectorised C, picked for the processor when loaded) and OpenBLAS for matrix products,
 * both loaded from the jars on the class path; options for int8 weights and bf16 compute.
 */
package org.transformers4j.backend.cpu;
