package org.transformers4j.pipeline;

/** Receives text as it is generated: the next piece of output number sequence. */
@FunctionalInterface
public interface TextListener {
    /**
     * Receives the next piece of an output.
     *
     * @param sequence the output's number
     * @param piece the text it adds
     */
    void onText(int sequence, String piece);
}
