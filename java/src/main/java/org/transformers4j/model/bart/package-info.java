/**
 * The BART family, a transformer encoder-decoder (bart, and marian, mbart and pegasus, which share its layout): {@link org.transformers4j.model.bart.BartConfig} binds
 * its config.json (the Hub's key names, transformers' defaults, checked when read) and
 * {@link org.transformers4j.model.bart.BartModel} assembles the model from a checkpoint.
 *
 * <p>Most callers load models through a pipeline or {@link org.transformers4j.model.ModelRegistry},
 * which picks the family from the config's {@code model_type}.
 */
package org.transformers4j.model.bart;
