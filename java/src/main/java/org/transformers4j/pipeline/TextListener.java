package org.transformers4j.pipeline;

/** Receives text as it is generated: the next piece of output number sequence. */
@FunctionalInterface
public interface TextListener {
    void onText(int sequence, String piece);
}
