/**
 * One class per task, the simple way to run a model from one thread:
 * {@link org.transformers4j.pipeline.SentenceEmbedder}, {@link org.transformers4j.pipeline.TextClassifier},
 * {@link org.transformers4j.pipeline.TokenClassifier}, {@link org.transformers4j.pipeline.FillMask},
 * {@link org.transformers4j.pipeline.QuestionAnswerer}, {@link org.transformers4j.pipeline.TextGenerator}
 * and {@link org.transformers4j.pipeline.Text2TextGenerator}.
 *
 * <p>{@link org.transformers4j.pipeline.DefaultModels} loads all-MiniLM-L6-v2 from the class path
 * (the {@code transformers4j-minilm} artifact brings it); {@link org.transformers4j.pipeline.EmbeddingModels}
 * loads sentence-transformers folders. A pipeline owns its model and tokenizer: close it.
 */
package org.transformers4j.pipeline;
