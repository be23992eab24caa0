package org.transformers4j.generation;

import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The logits processors and warpers of Hugging Face generate, on one row of scores, in place.
 * Removed tokens get -infinity.
 */
public final class LogitsProcessing {
    private LogitsProcessing() {
    }

    /**
     * The processors Hugging Face applies before choosing (greedy and beam search, and before the
     * sampling warpers), in its order: repetition penalty, no-repeat n-grams, minimum length,
     * forced first and last tokens, suppressed tokens.
     *
     * @param scores the logits of one row [V], changed in place
     * @param sequence the row so far: prompt (with its padding) and generated tokens
     * @param generated how many tokens were generated so far
     * @param cfg the generation settings
     */
    public static void process(float[] scores, long[] sequence, int generated, GenerationConfig cfg) {
        repetitionPenalty(scores, sequence, cfg.repetitionPenalty());
        noRepeatNgram(scores, sequence, cfg.noRepeatNgramSize());
        minNewTokens(scores, generated, cfg.minNewTokens(), cfg.eosTokenIds());
        if (cfg.forcedBosTokenId() >= 0 && sequence.length == 1) {
            force(scores, cfg.forcedBosTokenId());
        }
        if (cfg.forcedEosTokenId() >= 0 && generated == cfg.maxNewTokens() - 1) {
            force(scores, cfg.forcedEosTokenId());
        }
        for (long t : cfg.suppressTokens()) {
            if (t >= 0 && t < scores.length) {
                scores[(int) t] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Every token but one gets -infinity, that one 0. */
    static void force(float[] scores, long token) {
        Arrays.fill(scores, Float.NEGATIVE_INFINITY);
        if (token >= 0 && token < scores.length) {
            scores[(int) token] = 0f;
        }
    }

    /**
     * Bans each token that would repeat an n-gram the sequence already holds.
     *
     * @param scores the logits of one row [V], changed in place
     * @param sequence the row so far
     * @param n the n-gram size
     */
    public static void noRepeatNgram(float[] scores, long[] sequence, int n) {
        int len = sequence.length;
        if (n <= 0 || len + 1 < n) {
            return;
        }
        for (int i = 0; i + n <= len; i++) {
            boolean same = true;
            for (int j = 0; j < n - 1 && same; j++) {
                same = sequence[i + j] == sequence[len - n + 1 + j];
            }
            long banned = sequence[i + n - 1];
            if (same && banned >= 0 && banned < scores.length) {
                scores[(int) banned] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Repetition penalty over every token of the sequence so far (prompt included): a positive
     * score is divided by the penalty, a negative one multiplied.
     *
     * @param scores the logits of one row [V], changed in place
     * @param sequence the row so far
     * @param penalty the penalty, above 0
     */
    public static void repetitionPenalty(float[] scores, long[] sequence, double penalty) {
        if (penalty == 1.0) {
            return;
        }
        boolean[] seen = new boolean[scores.length];
        for (long t : sequence) {
            int i = (int) t;
            if (i >= 0 && i < scores.length && !seen[i]) {
                seen[i] = true;
                scores[i] = (float) (scores[i] < 0 ? scores[i] * penalty : scores[i] / penalty);
            }
        }
    }

    /**
     * End-of-sequence tokens get -infinity while fewer than minNewTokens are generated.
     *
     * @param scores the logits of one row [V], changed in place
     * @param generated how many tokens were generated so far
     * @param minNewTokens the fewest new tokens
     * @param eos the end-of-sequence tokens
     */
    public static void minNewTokens(float[] scores, int generated, int minNewTokens, List<Long> eos) {
        if (generated < minNewTokens) {
            for (long e : eos) {
                if (e >= 0 && e < scores.length) {
                    scores[(int) e] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }

    /**
     * scores / temperature (temperature &gt; 0).
     *
     * @param scores the logits of one row [V], changed in place
     * @param temperature the temperature, above 0
     */
    public static void temperature(float[] scores, double temperature) {
        if (temperature != 1.0) {
            for (int i = 0; i < scores.length; i++) {
                scores[i] = (float) (scores[i] / temperature);
            }
        }
    }

    /**
     * Keeps the k highest scores (all those equal to the k-th too); k = 0 keeps everything.
     *
     * @param scores the logits of one row [V], changed in place
     * @param k how many scores are kept
     */
    public static void topK(float[] scores, int k) {
        if (k <= 0 || k >= scores.length) {
            return;
        }
        float[] sorted = scores.clone();
        Arrays.sort(sorted);
        float kth = sorted[sorted.length - k];
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] < kth) {
                scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Nucleus filtering: keeps the smallest set of highest-probability tokens whose probability
     * reaches p, at least one. As Hugging Face: sorted ascending, a token goes when the cumulative
     * probability up to it is at most 1 - p.
     *
     * @param scores the logits of one row [V], changed in place
     * @param p the probability the kept tokens reach
     */
    public static void topP(float[] scores, double p) {
        if (p >= 1.0) {
            return;
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(scores[a], scores[b]));
        double[] probs = softmax(scores);
        double cumulative = 0;
        for (int r = 0; r < order.length - 1; r++) {
            cumulative += probs[order[r]];
            if (cumulative <= 1 - p) {
                scores[order[r]] = Float.NEGATIVE_INFINITY;
            } else {
                break;
            }
        }
    }

    /**
     * Probabilities of the scores (computed in double).
     *
     * @param scores the logits of one row [V]
     * @return the probabilities
     */
    public static double[] softmax(float[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double[] p = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            p[i] = scores[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(scores[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /**
     * log softmax in place (computed in double, stored as float like Hugging Face's float32).
     *
     * @param scores the logits of one row [V], changed in place
     */
    public static void logSoftmax(float[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double sum = 0;
        for (float s : scores) {
            sum += Math.exp(s - max);
        }
        double log = max + Math.log(sum);
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (float) (scores[i] - log);
        }
    }

    /**
     * {@return the index of the highest score (the first of equals)}
     *
     * @param scores the scores
     */
    public static int argmax(float[] scores) {
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * {@return a token drawn from softmax(scores)}
     *
     * @param scores the logits of one row [V]
     * @param random the random source
     */
    public static int sample(float[] scores, RandomGenerator random) {
        double[] p = softmax(scores);
        double u = random.nextDouble(), cumulative = 0;
        int last = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                cumulative += p[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last;
    }
}
