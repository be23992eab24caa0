/**
 * Where the operations run: {@link org.transformers4j.backend.Backend} is the set of tensor
 * operations a model calls, {@link org.transformers4j.backend.Backends} makes one for a
 * {@link org.transformers4j.tensor.Device}. The implementations are in the subpackages
 * ({@code cpu}: native kernels and OpenBLAS; {@code cuda}: CUDA and cuBLAS).
 *
 * <p>This package also holds the argument checks and native parameter layouts the implementations
 * share ({@code Checks}, {@code NativeParams}, {@code NativeLibraries}, {@code StridedCopy}); they are
 * public only because the implementations live in other packages, and are not API.
 */
package org.transformers4j.backend;
