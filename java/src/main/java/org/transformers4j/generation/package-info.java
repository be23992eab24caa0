/**
 * Text generation: {@link org.transformers4j.generation.GenerationConfig} (transformers'
 * generation settings and defaults, also read from generation_config.json),
 * {@link org.transformers4j.generation.Generator} (greedy, sampling and beam search over a model's
 * sessions) and the sessions that hold a batch's cache between steps.
 */
package org.transformers4j.generation;
