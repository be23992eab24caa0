/**
 * Reading model weights: safetensors files (single or sharded), ONNX exports and PyTorch
 * {@code .bin} files, through {@link org.transformers4j.checkpoint.Checkpoints} and
 * {@link org.transformers4j.checkpoint.Checkpoint}; {@link org.transformers4j.checkpoint.HubCache}
 * finds a model in the local Hugging Face cache by its {@code ORG/NAME}, offline. A malformed file
 * fails with a {@link org.transformers4j.checkpoint.CheckpointException} naming the file and what was wrong.
 */
package org.transformers4j.checkpoint;
