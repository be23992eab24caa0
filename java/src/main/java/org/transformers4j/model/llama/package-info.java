/**
 * The Llama family, a transformer decoder (with the rotary-embedding variants other decoder families reuse: RoPE scaling, YaRN, LongRoPE): {@link org.transformers4j.model.llama.LlamaConfig} binds
 * its config.json (the Hub's key names, transformers' defaults, checked when read) and
 * {@link org.transformers4j.model.llama.LlamaModel} assembles the model from a checkpoint.
 *
 * <p>Most callers load models through a pipeline or {@link org.transformers4j.model.ModelRegistry},
 * which picks the family from the config's {@code model_type}.
 */
package org.transformers4j.model.llama;
