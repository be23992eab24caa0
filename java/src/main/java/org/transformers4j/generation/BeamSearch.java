package org.transformers4j.generation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Function;

/**
 * Beam search as Hugging Face's generate does it (transformers 4.50 and later): each step keeps
 * the best max(2, 1 + eos count) x beams continuations of all beams; the best beams of those that
 * did not stop run on, and those among the first numBeams that stopped (end-of-sequence, stop
 * string, length limit) compete for the numBeams finished slots with score sum(log p) / (new
 * tokens)^lengthPenalty. The search ends when no beam can improve on the finished ones (by
 * Hugging Face's heuristic for each early_stopping setting) or every continuation stopped.
 */
final class BeamSearch {
    private static final double NEG = -1.0e9;

    /** One continuation: beam it extends, token, accumulated log-probability. */
    private record Candidate(int beam, int token, double score) {
    }

    private BeamSearch() {
    }

    static List<List<GeneratedSequence>> run(List<long[]> prompts, List<long[]> histories,
                                             Generator.SessionFactory factory, GenerationConfig cfg,
                                             Function<long[], String> decode, TokenListener listener) {
        int batch = prompts.size(), beams = cfg.numBeams(), rows = Generator.rows(batch, beams);
        int[] promptOfRow = new int[rows];
        Arrays.setAll(promptOfRow, r -> r / beams);
        try (DecodingSession session = factory.open(promptOfRow, cfg.maxNewTokens())) {
            float[][] logits = session.start();
            // as many continuations as there are (many end-of-sequence ids, a small vocabulary)
            int keep = (int) Math.min((long) Math.max(2, 1 + cfg.eosTokenIds().size()) * beams,
                    (long) beams * logits[0].length);
            int maxNew = Generator.producible(cfg, session);
            State[] states = new State[batch];
            Arrays.setAll(states, b -> new State(beams, maxNew));
            for (int n = 0; n < maxNew; n++) {
                int[] from = new int[rows];
                long[] next = new long[rows];
                boolean allStopped = true;
                for (int b = 0; b < batch; b++) {
                    List<Candidate> top = topContinuations(logits, b, states[b], histories.get(b), n, keep, cfg);
                    boolean[] stopped = new boolean[keep];
                    FinishReason[] reasons = new FinishReason[keep];
                    for (int c = 0; c < keep; c++) {
                        Candidate cand = top.get(c);
                        long[] seq = states[b].extended(cand.beam(), n, cand.token());
                        reasons[c] = Generator.stopReason(cand.token(), seq, cfg, decode);
                        if (reasons[c] == null && n + 1 >= maxNew) {
                            reasons[c] = maxNew < cfg.maxNewTokens() ? FinishReason.CONTEXT_LIMIT
                                    : FinishReason.MAX_NEW_TOKENS;
                        }
                        stopped[c] = reasons[c] != null;
                        allStopped &= stopped[c];
                    }
                    states[b].updateFinished(top, stopped, reasons, n, cfg);
                    int[] chosen = states[b].continueRunning(top, stopped, n);
                    for (int k = 0; k < beams; k++) {
                        from[b * beams + k] = b * beams + top.get(chosen[k]).beam();
                        next[b * beams + k] = top.get(chosen[k]).token();
                    }
                }
                boolean improvable = false, open = false;
                for (State s : states) {
                    improvable |= s.checkImprovable(n + 1, maxNew, cfg);
                    open |= !(s.allFinished() && cfg.earlyStopping() == GenerationConfig.EarlyStopping.TRUE);
                }
                if (!improvable || !open || allStopped || n + 1 >= maxNew) {
                    break;
                }
                session.reorder(from);
                logits = session.next(next);
            }
            return results(prompts, states, cfg, listener);
        }
    }

    /** log_softmax, processors, plus the running scores; the best keep of beams x vocabulary. */
    private static List<Candidate> topContinuations(float[][] logits, int b, State state, long[] history, int n,
                                                    int keep, GenerationConfig cfg) {
        PriorityQueue<Candidate> heap = new PriorityQueue<>(keep + 1, BeamSearch::worseFirst);
        int beams = state.scores.length;
        for (int k = 0; k < beams; k++) {
            float[] lp = logits[b * beams + k];
            LogitsProcessing.logSoftmax(lp);
            LogitsProcessing.process(lp, Generator.concat(history, state.running[k], n), n, cfg);
            for (int v = 0; v < lp.length; v++) {
                double score = (float) (lp[v] + state.scores[k]);
                if (heap.size() < keep || score > heap.peek().score()) {
                    heap.add(new Candidate(k, v, score));
                    if (heap.size() > keep) {
                        heap.poll();
                    }
                }
            }
        }
        List<Candidate> top = new ArrayList<>(heap);
        top.sort((x, y) -> worseFirst(y, x));
        return top;
    }

    /** Orders candidates worst first: lower score, then (for equal scores) later beam and token. */
    private static int worseFirst(Candidate x, Candidate y) {
        int c = Double.compare(x.score(), y.score());
        if (c != 0) {
            return c;
        }
        c = Integer.compare(y.beam(), x.beam());
        return c != 0 ? c : Integer.compare(y.token(), x.token());
    }

    private static List<List<GeneratedSequence>> results(List<long[]> prompts, State[] states, GenerationConfig cfg,
                                                         TokenListener listener) {
        List<List<GeneratedSequence>> out = new ArrayList<>();
        for (int b = 0; b < states.length; b++) {
            Integer[] order = states[b].finishedOrder();
            List<GeneratedSequence> seqs = new ArrayList<>();
            for (int i = 0; i < cfg.numReturnSequences(); i++) {
                int k = order[i];
                seqs.add(new GeneratedSequence(prompts.get(b), states[b].done[k], states[b].doneScores[k],
                        states[b].doneReasons[k]));
            }
            for (long t : seqs.get(0).tokens()) {
                listener.onToken(b, t);
            }
            out.add(List.copyOf(seqs));
        }
        return out;
    }

    /** The beams and finished hypotheses of one prompt. */
    private static final class State {
        final long[][] running;
        final double[] scores;
        final long[][] done;
        final double[] doneScores;
        final boolean[] doneFlags;
        final FinishReason[] doneReasons;
        boolean improvable = true;

        State(int beams, int maxNew) {
            running = new long[beams][maxNew];
            scores = new double[beams];
            Arrays.fill(scores, 1, beams, NEG); // only the first beam's continuations at the first step
            done = new long[beams][0];
            doneScores = new double[beams];
            Arrays.fill(doneScores, NEG);
            doneFlags = new boolean[beams];
            doneReasons = new FinishReason[beams];
        }

        long[] extended(int beam, int n, long token) {
            long[] seq = Arrays.copyOf(running[beam], n + 1);
            seq[n] = token;
            return seq;
        }

        boolean allFinished() {
            for (boolean f : doneFlags) {
                if (!f) {
                    return false;
                }
            }
            return true;
        }

        /** Stopped candidates among the first numBeams enter the finished slots if they score better. */
        void updateFinished(List<Candidate> top, boolean[] stopped, FinishReason[] reasons, int n,
                            GenerationConfig cfg) {
            int beams = scores.length, keep = top.size();
            boolean full = allFinished() && cfg.earlyStopping() == GenerationConfig.EarlyStopping.TRUE;
            double[] merged = new double[beams + keep];
            for (int k = 0; k < beams; k++) {
                merged[k] = doneScores[k];
            }
            for (int c = 0; c < keep; c++) {
                double s = top.get(c).score() / Math.pow(n + 1, cfg.lengthPenalty());
                s += full ? NEG : 0;
                s += improvable ? 0 : NEG;
                s += stopped[c] && c < beams ? 0 : NEG;
                merged[beams + c] = s;
            }
            Integer[] order = descending(merged);
            long[][] newDone = new long[beams][];
            double[] newScores = new double[beams];
            boolean[] newFlags = new boolean[beams];
            FinishReason[] newReasons = new FinishReason[beams];
            for (int k = 0; k < beams; k++) {
                int i = order[k];
                newScores[k] = merged[i];
                if (i < beams) {
                    newDone[k] = done[i];
                    newFlags[k] = doneFlags[i];
                    newReasons[k] = doneReasons[i];
                } else {
                    Candidate c = top.get(i - beams);
                    newDone[k] = extended(c.beam(), n, c.token());
                    newFlags[k] = stopped[i - beams] && i - beams < beams;
                    newReasons[k] = reasons[i - beams];
                }
            }
            System.arraycopy(newDone, 0, done, 0, beams);
            System.arraycopy(newScores, 0, doneScores, 0, beams);
            System.arraycopy(newFlags, 0, doneFlags, 0, beams);
            System.arraycopy(newReasons, 0, doneReasons, 0, beams);
        }

        /** The best numBeams candidates that did not stop run on; returns their indices in top. */
        int[] continueRunning(List<Candidate> top, boolean[] stopped, int n) {
            int beams = scores.length;
            double[] s = new double[top.size()];
            for (int c = 0; c < s.length; c++) {
                s[c] = top.get(c).score() + (stopped[c] ? NEG : 0);
            }
            Integer[] order = descending(s);
            int[] chosen = new int[beams];
            long[][] seqs = new long[beams][];
            for (int k = 0; k < beams; k++) {
                chosen[k] = order[k];
                Candidate c = top.get(order[k]);
                seqs[k] = Arrays.copyOf(extended(c.beam(), n, c.token()), running[k].length);
                scores[k] = s[order[k]];
            }
            for (int k = 0; k < beams; k++) {
                running[k] = seqs[k];
            }
            return chosen;
        }

        /** Whether the best running beam could still beat the worst finished one (sticky once false). */
        boolean checkImprovable(int generated, int maxNew, GenerationConfig cfg) {
            boolean never = cfg.earlyStopping() == GenerationConfig.EarlyStopping.NEVER && cfg.lengthPenalty() > 0;
            double best = scores[0] / Math.pow(never ? maxNew : generated, cfg.lengthPenalty());
            double worst = Double.POSITIVE_INFINITY;
            for (double d : doneScores) {
                worst = Math.min(worst, d);
            }
            boolean any = false;
            for (boolean f : doneFlags) {
                any |= best > (f ? worst : NEG);
            }
            improvable &= any;
            return improvable;
        }

        Integer[] finishedOrder() {
            return descending(doneScores);
        }

        private static Integer[] descending(double[] values) {
            Integer[] order = new Integer[values.length];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, (x, y) -> Double.compare(values[y], values[x])); // stable: equal scores keep order
            return order;
        }
    }
}
