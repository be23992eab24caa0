package org.transformers4j.pipeline;

import org.transformers4j.generation.FinishReason;

/**
 * One generated output: its text (without the prompt), its tokens, why it ended, and its beam
 * score (NaN outside beam search).
 *
 * @param input the prompt or source text it answers
 * @param text the generated text, without the prompt
 * @param tokens the generated token ids
 * @param finishReason why generation stopped
 * @param score the beam score, NaN outside beam search
 */
public record Generation(String input, String text, long[] tokens, FinishReason finishReason, double score) {
}
