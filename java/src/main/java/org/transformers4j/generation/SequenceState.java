package org.transformers4j.generation;

import java.util.Arrays;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * One sequence of greedy search or sampling: what it has seen, what it generated, and why it
 * ended. Each step takes the model's logits for its next token and chooses it exactly as
 * {@link Generator} does (logits processors, then argmax or a draw), so a scheduler that moves
 * sequences between batches generates what a batch of one would.
 */
public final class SequenceState {
    private final long[] history;
    private final GenerationConfig config;
    private final Function<long[], String> decode;
    private long[] tokens = new long[16];
    private int length;
    private FinishReason finished;

    /**
     * The state of one sequence before its first generated token.
     *
     * @param history the tokens the repetition penalty and n-gram rules see before generation (the prompt)
     * @param config  settings made concrete for this prompt ({@link GenerationConfig#forPromptLength})
     * @param decode  token ids to text, for stop strings; may be null when there are none
     */
    public SequenceState(long[] history, GenerationConfig config, Function<long[], String> decode) {
        if (!config.stopStrings().isEmpty() && decode == null) {
            throw new IllegalArgumentException("stop strings need a tokenizer to decode the generated tokens");
        }
        this.history = history.clone();
        this.config = config;
        this.decode = decode;
    }

    /**
     * Chooses the next token from logits (which it modifies), appends it and decides whether the
     * sequence ends there; random is drawn from only when sampling.
     *
     * @param logits the row's logits [V], changed in place
     * @param random the random source of sampling
     * @return the chosen token
     */
    public long next(float[] logits, RandomGenerator random) {
        if (finished != null) {
            throw new IllegalStateException("the sequence has ended (" + finished + ")");
        }
        long[] seen = Arrays.copyOf(history, history.length + length);
        System.arraycopy(tokens, 0, seen, history.length, length);
        LogitsProcessing.process(logits, seen, length, config);
        long token;
        if (!config.doSample() || config.temperature() == 0) {
            token = LogitsProcessing.argmax(logits);
        } else {
            LogitsProcessing.temperature(logits, config.temperature());
            LogitsProcessing.topK(logits, config.topK());
            LogitsProcessing.topP(logits, config.topP());
            token = LogitsProcessing.sample(logits, random);
        }
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, (int) Math.min(Integer.MAX_VALUE - 8, 2L * tokens.length));
        }
        tokens[length++] = token;
        finished = Generator.stopReason(token, tokens(), config, decode);
        return token;
    }

    /**
     * Ends the sequence for a reason outside it (the context is full).
     *
     * @param reason why it ends
     */
    public void stop(FinishReason reason) {
        if (finished == null) {
            finished = reason;
        }
    }

    /**
     * Why the sequence ended, or null while it goes on.
     *
     * @return the reason, or null
     */
    public FinishReason finishReason() {
        return finished;
    }

    /** {@return the tokens generated so far} */
    public long[] tokens() {
        return Arrays.copyOf(tokens, length);
    }

    /**
     * {@return the generated tokens [from, to)}
     *
     * @param from the first index
     * @param to the index after the last
     */
    public long[] tokens(int from, int to) {
        if (from < 0 || from > to || to > length) {
            throw new IllegalArgumentException("tokens [" + from + ", " + to + ") are outside the " + length + " generated");
        }
        return Arrays.copyOfRange(tokens, from, to);
    }

    /** {@return how many tokens were generated} */
    public int length() {
        return length;
    }
}
