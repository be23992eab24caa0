package org.transformers4j.pipeline;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import org.transformers4j.pipeline.QuestionAnswerer.Answer;
import org.transformers4j.pipeline.QuestionAnswerer.Options;
import org.transformers4j.tokenizer.Encoding;

/**
 * Answer spans from start and end logits, by the rules of transformers' QuestionAnsweringPipeline
 * (its select_starts_ends, decode_spans and postprocess), per window of the context:
 * <ol>
 *   <li>only context tokens and the classification token may score (p_mask 0); every other
 *       logit becomes -10000 before a softmax over the window, for start and end apart;</li>
 *   <li>the null score, start[0] x end[0], is kept (its minimum over the windows), then position
 *       0 is zeroed;</li>
 *   <li>a span (s, e) scores start[s] x end[e], with s &lt;= e &lt; s + max_answer_len and both
 *       tokens in the context; a window gives its top_k;</li>
 *   <li>a span's characters run from its first token's word start to its last token's word end
 *       in the context (align_to_words), or the tokens' own offsets where they have no word;</li>
 *   <li>spans whose text is the same, ignoring case, across windows are one answer whose score
 *       is the sum (the first one's offsets kept);</li>
 *   <li>with handle_impossible_answer, the empty answer scores the least null score;</li>
 *   <li>the answers are ordered by score, ties in the order found, and the top_k kept.</li>
 * </ol>
 * Scores are computed in double precision (transformers: float32). One difference by design: a
 * span scoring exactly zero is never an answer; transformers' top-k draws zeros (spans touching
 * position 0, and the pairs outside the band) in an unspecified order once top_k exceeds the
 * spans with a positive score, and may return some of them. Among equal scores the span found
 * first (start, then end, ascending) ranks first, as numpy's argmax takes it for top_k 1.
 */
final class AnswerSpans {
    /** transformers' mask value for the logits of tokens that cannot be in an answer. */
    static final double MASKED = -10000.0;

    private AnswerSpans() {
    }

    /** One candidate span of a window. */
    private record Span(int start, int end, double score) {
    }

    /**
     * The answers in context from the windows' logits (start[w] and end[w] hold at least the
     * window's length of values).
     */
    static List<Answer> decode(String context, List<Encoding> windows, List<float[]> start, List<float[]> end,
                               long clsId, Options options) {
        double minNull = 1_000_000; // large and positive, as transformers starts it
        List<Answer> answers = new ArrayList<>();
        for (int w = 0; w < windows.size(); w++) {
            Encoding e = windows.get(w);
            boolean[] allowed = allowed(e, clsId);
            double[] ps = softmax(start.get(w), allowed), pe = softmax(end.get(w), allowed);
            minNull = Math.min(minNull, ps[0] * pe[0]);
            ps[0] = 0;
            pe[0] = 0;
            for (Span span : topSpans(ps, pe, allowed, options)) {
                int from = charStart(e, span.start()), to = charEnd(e, span.end());
                String text = context.substring(from, Math.max(from, to));
                Answer same = sameText(answers, text);
                if (same != null) {
                    answers.set(answers.indexOf(same), new Answer(same.answer(), same.score() + span.score(),
                            same.start(), same.end()));
                } else {
                    answers.add(new Answer(text, span.score(), from, Math.max(from, to)));
                }
            }
        }
        if (options.handleImpossibleAnswer()) {
            answers.add(new Answer("", minNull, 0, 0));
        }
        List<Answer> sorted = new ArrayList<>(answers);
        sorted.sort(Comparator.comparingDouble(Answer::score).reversed()); // stable: ties keep their order
        return List.copyOf(sorted.subList(0, Math.min(options.topK(), sorted.size())));
    }

    /** p_mask 0: tokens of the context (sequence 1) and the classification token. */
    static boolean[] allowed(Encoding e, long clsId) {
        boolean[] ok = new boolean[e.length()];
        for (int i = 0; i < ok.length; i++) {
            ok[i] = e.sequence()[i] == 1 || (clsId >= 0 && e.ids()[i] == clsId);
        }
        return ok;
    }

    /** softmax over the window of the logits, those not allowed replaced by -10000 first. */
    static double[] softmax(float[] logits, boolean[] allowed) {
        int n = allowed.length;
        double[] p = new double[n];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = allowed[i] ? logits[i] : MASKED;
            max = Math.max(max, p[i]);
        }
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(p[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /**
     * The top_k spans of positive score with s &lt;= e &lt; s + max_answer_len over allowed tokens,
     * best first, ties by (s, e) ascending; a bounded heap, so long windows cost n x
     * max_answer_len, not n squared log.
     */
    private static List<Span> topSpans(double[] ps, double[] pe, boolean[] allowed, Options options) {
        Comparator<Span> rank = Comparator.comparingDouble(Span::score).reversed()
                .thenComparingInt(Span::start).thenComparingInt(Span::end);
        PriorityQueue<Span> worstFirst = new PriorityQueue<>(rank.reversed());
        int n = ps.length;
        for (int s = 0; s < n; s++) {
            if (!allowed[s] || ps[s] == 0) {
                continue;
            }
            for (int e = s; e < n && e - s < options.maxAnswerLength(); e++) {
                double score = ps[s] * pe[e];
                if (!allowed[e] || score == 0) {
                    continue;
                }
                Span span = new Span(s, e, score);
                if (worstFirst.size() < options.topK()) {
                    worstFirst.add(span);
                } else if (rank.compare(span, worstFirst.peek()) < 0) {
                    worstFirst.poll();
                    worstFirst.add(span);
                }
            }
        }
        List<Span> best = new ArrayList<>(worstFirst);
        best.sort(rank);
        return best;
    }

    /** Where the word of token i starts in the context: its first token in the window; else i's own start. */
    private static int charStart(Encoding e, int i) {
        int word = e.wordIds()[i];
        if (word < 0) {
            return e.starts()[i];
        }
        for (int t = 0; t < e.length(); t++) {
            if (e.sequence()[t] == 1 && e.wordIds()[t] == word) {
                return e.starts()[t];
            }
        }
        return e.starts()[i];
    }

    /** Where the word of token i ends in the context: its last token in the window; else i's own end. */
    private static int charEnd(Encoding e, int i) {
        int word = e.wordIds()[i];
        if (word < 0) {
            return e.ends()[i];
        }
        for (int t = e.length() - 1; t >= 0; t--) {
            if (e.sequence()[t] == 1 && e.wordIds()[t] == word) {
                return e.ends()[t];
            }
        }
        return e.ends()[i];
    }

    private static Answer sameText(List<Answer> answers, String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        for (Answer a : answers) {
            if (a.answer().toLowerCase(Locale.ROOT).equals(lower)) {
                return a;
            }
        }
        return null;
    }
}
