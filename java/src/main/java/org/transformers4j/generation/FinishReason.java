package org.transformers4j.generation;

/** Why a generated sequence ended. */
public enum FinishReason {
    /** It produced an end-of-sequence token (included in its tokens). */
    EOS,
    /** Its generated text contains one of the stop strings. */
    STOP_STRING,
    /** It reached maxNewTokens. */
    MAX_NEW_TOKENS,
    /** The model's context (max positions) is full; maxNewTokens was not reached. */
    CONTEXT_LIMIT
}
