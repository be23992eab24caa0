/**
 * Models and their configuration: {@link org.transformers4j.model.ModelConfig} (config.json),
 * the three shapes of model ({@link org.transformers4j.model.EncoderModel},
 * {@link org.transformers4j.model.DecoderModel}, {@link org.transformers4j.model.Seq2SeqModel}) and
 * {@link org.transformers4j.model.ModelRegistry}, which loads a checkpoint into the right family.
 * The families live in the subpackages, one each, with their typed config records.
 */
package org.transformers4j.model;
