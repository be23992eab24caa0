/**
 * Tensors: {@link org.transformers4j.tensor.Tensor} (a shape, an element type and memory on a
 * device), {@link org.transformers4j.tensor.Shape}, {@link org.transformers4j.tensor.DType},
 * {@link org.transformers4j.tensor.Device} and {@link org.transformers4j.tensor.TensorArena}, which
 * owns the memory of the tensors made in it and frees it when closed.
 */
package org.transformers4j.tensor;
