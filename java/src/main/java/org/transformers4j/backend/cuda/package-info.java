/**
 * The CUDA backend: {@link org.transformers4j.backend.cuda.CudaBackend} runs the library's
 * CUDA kernels and cuBLAS on one GPU; {@link org.transformers4j.backend.cuda.CudaException} reports a
 * CUDA error with the call that failed.
 */
package org.transformers4j.backend.cuda;
