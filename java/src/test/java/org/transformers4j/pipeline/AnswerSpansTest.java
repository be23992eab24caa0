package org.transformers4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.transformers4j.pipeline.QuestionAnswerer.Answer;
import org.transformers4j.pipeline.QuestionAnswerer.Options;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * The span rules of question answering on hand-made logits over real windows (the uncased BERT
 * WordPiece vocabulary), one case per rule of transformers' QuestionAnsweringPipeline, and the
 * whole of it against a literal transcription of transformers' numpy code on random logits.
 */
class AnswerSpansTest {
    static final String QUESTION = "Where did they camp?";
    static final String CONTEXT = "The explorers left the harbour at dawn and walked along the river for three days."
            + " On the fourth day they reached the foothills, where they camped beside a frozen lake under the"
            + " northern ridge.";
    static Tokenizer tok;

    @BeforeAll
    static void open() {
        tok = Tokenizer.load(Fixtures.tokenizer("bert-wordpiece-uncased").resolve("tokenizer.json"));
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    /** Logits of the windows of a question, zero everywhere until set. */
    private record Case(String context, List<Encoding> windows, List<float[]> start, List<float[]> end) {
        static Case of(String question, String context, int maxLength, int stride) {
            List<Encoding> windows = tok.encodeWindows(question, context, maxLength, stride);
            List<float[]> s = new ArrayList<>(), e = new ArrayList<>();
            windows.forEach(w -> {
                s.add(new float[w.length()]);
                e.add(new float[w.length()]);
            });
            return new Case(context, windows, s, e);
        }

        static Case of(String context) {
            return of(QUESTION, context, 384, 128);
        }

        /** The first token of window w in the given sequence (0 question, 1 context) whose text is token. */
        int token(int w, int sequence, String token) {
            Encoding e = windows.get(w);
            for (int i = 0; i < e.length(); i++) {
                if (e.sequence()[i] == sequence && e.tokens()[i].equals(token)) {
                    return i;
                }
            }
            throw new AssertionError("no token " + token + " in window " + w + ": " + List.of(e.tokens()));
        }

        Case start(int w, int i, float v) {
            start.get(w)[i] = v;
            return this;
        }

        Case end(int w, int i, float v) {
            end.get(w)[i] = v;
            return this;
        }

        List<Answer> decode(Options o) {
            return AnswerSpans.decode(context, windows, start, end, tok.clsId(), o);
        }
    }

    @Test
    void theBestSpanIsTheHighestProductOfStartAndEndProbabilities() {
        Case c = Case.of(CONTEXT);
        int frozen = c.token(0, 1, "frozen"), lake = c.token(0, 1, "lake");
        c.start(0, frozen, 6).end(0, lake, 5);
        Answer a = c.decode(Options.DEFAULTS).get(0);
        assertEquals("frozen lake", a.answer());
        assertEquals(CONTEXT.indexOf("frozen lake"), a.start());
        assertEquals(CONTEXT.indexOf("frozen lake") + "frozen lake".length(), a.end());
        assertEquals(probability(c, 0, c.start, frozen) * probability(c, 0, c.end, lake), a.score(), 1e-12);
    }

    @Test
    void questionAndSpecialTokensNeitherAnswerNorTakeProbability() {
        Case plain = Case.of(CONTEXT);
        int lake = plain.token(0, 1, "lake");
        plain.start(0, lake, 3).end(0, lake, 3);
        Answer without = plain.decode(Options.DEFAULTS).get(0);
        Case loud = Case.of(CONTEXT);
        loud.start(0, lake, 3).end(0, lake, 3);
        int camp = loud.token(0, 0, "camp");
        loud.start(0, camp, 40).end(0, camp, 40);
        Encoding w = loud.windows().get(0);
        for (int i = 1; i < w.length(); i++) { // every special token but [CLS]
            if (w.specialTokens()[i]) {
                loud.start(0, i, 40).end(0, i, 40);
            }
        }
        Answer with = loud.decode(Options.DEFAULTS).get(0);
        assertEquals("lake", with.answer());
        assertEquals(without.score(), with.score(), 1e-15, "masked logits take no probability from the context");
    }

    @Test
    void answersAreAtMostMaxAnswerLengthTokens() {
        Case c = Case.of(CONTEXT);
        int beside = c.token(0, 1, "beside"), ridge = c.token(0, 1, "ridge");
        c.start(0, beside, 8).end(0, ridge, 8);
        assertEquals("beside a frozen lake under the northern ridge", c.decode(Options.DEFAULTS).get(0).answer());
        for (int max : new int[] {1, 3, 7}) {
            Answer a = c.decode(new Options(1, max, false)).get(0);
            assertNotEquals("beside a frozen lake under the northern ridge", a.answer());
            assertTrue(tok.encode(a.answer()).length() - 2 <= max, max + ": " + a);
        }
        // within 3 tokens of "beside" every end is as likely: the first, as numpy's argmax takes it
        assertEquals("beside", c.decode(new Options(1, 3, false)).get(0).answer());
        assertEquals(literal(c, 1, 3, false), c.decode(new Options(1, 3, false)));
    }

    @Test
    void topKAnswersComeBestFirstWithTransformersScores() {
        Case c = Case.of(CONTEXT);
        c.start(0, c.token(0, 1, "frozen"), 5).end(0, c.token(0, 1, "lake"), 5);
        c.start(0, c.token(0, 1, "northern"), 4).end(0, c.token(0, 1, "ridge"), 4.5f);
        c.start(0, c.token(0, 1, "river"), 3).end(0, c.token(0, 1, "river"), 3);
        List<Answer> answers = c.decode(new Options(4, 15, false));
        assertEquals(4, answers.size());
        for (int i = 1; i < answers.size(); i++) {
            assertTrue(answers.get(i - 1).score() >= answers.get(i).score(), answers.toString());
        }
        assertEquals("frozen lake", answers.get(0).answer());
        assertEquals(literal(c, 4, 15, false), answers);
    }

    @Test
    void theImpossibleAnswerCompetesOnlyWhenAsked() {
        Case c = Case.of(CONTEXT);
        int lake = c.token(0, 1, "lake");
        c.start(0, 0, 8).end(0, 0, 8).start(0, lake, 2).end(0, lake, 2); // [CLS] says: no answer here
        Answer first = c.decode(new Options(2, 15, true)).get(0);
        assertEquals(new Answer("", probability(c, 0, c.start, 0) * probability(c, 0, c.end, 0), 0, 0), first);
        assertEquals("lake", c.decode(new Options(2, 15, true)).get(1).answer());
        assertEquals("lake", c.decode(Options.DEFAULTS).get(0).answer());
        // [CLS] counts in the softmax even without the impossible answer: the context shares what it leaves
        assertEquals(probability(c, 0, c.start, lake) * probability(c, 0, c.end, lake),
                c.decode(Options.DEFAULTS).get(0).score(), 1e-15);
        Case quiet = Case.of(CONTEXT);
        quiet.start(0, lake, 6).end(0, lake, 6);
        List<Answer> answers = quiet.decode(new Options(1000, 15, true));
        assertEquals("lake", answers.get(0).answer());
        assertTrue(answers.stream().anyMatch(a -> a.answer().isEmpty() && a.start() == 0 && a.end() == 0));
    }

    @Test
    void aLongContextIsReadInStrideWindowsWithOffsetsIntoTheWholeContext() {
        String context = CONTEXT + " Later the ice cracked and they moved north to a sheltered valley. There they"
                + " built a hut of stones and waited out the winter.";
        Case c = Case.of(QUESTION, context, 32, 8);
        assertTrue(c.windows().size() >= 3, "windows: " + c.windows().size());
        int last = c.windows().size() - 1;
        c.start(last, c.token(last, 1, "hut"), 7).end(last, c.token(last, 1, "stones"), 7);
        Answer a = c.decode(Options.DEFAULTS).get(0);
        assertEquals("hut of stones", a.answer());
        assertEquals(context.indexOf("hut of stones"), a.start());
        assertEquals(literal(c, 3, 15, true), c.decode(new Options(3, 15, true)));
    }

    @Test
    void theSameTextFromSeveralWindowsIsOneAnswerWithTheScoresSummedIgnoringCase() {
        String context = "Lake Ontario lies east. " + CONTEXT + " The lake froze.";
        Case c = Case.of(QUESTION, context, 24, 4);
        int first = 0, last = c.windows().size() - 1;
        assertTrue(last > 0);
        int a = c.token(first, 1, "lake"), b = c.token(last, 1, "lake");
        c.start(first, a, 6).end(first, a, 6).start(last, b, 6).end(last, b, 6);
        Answer answer = c.decode(Options.DEFAULTS).get(0);
        assertEquals("Lake", answer.answer(), "the first found keeps its text and offsets");
        assertEquals(0, answer.start());
        double sum = probability(c, first, c.start, a) * probability(c, first, c.end, a)
                + probability(c, last, c.start, b) * probability(c, last, c.end, b);
        assertEquals(sum, answer.score(), 1e-12);
    }

    @Test
    void aSpanCoversWholeWords() {
        String context = "They camped beside the glaciologists and their snowmobiles.";
        Case c = Case.of(QUESTION, context, 384, 128);
        Encoding w = c.windows().get(0);
        int piece = -1;
        for (int i = 0; i < w.length() && piece < 0; i++) {
            piece = w.tokens()[i].startsWith("##") && w.tokens()[i + 1].startsWith("##") ? i : -1;
        }
        assertTrue(piece > 0, "a word of three pieces or more: " + List.of(w.tokens()));
        c.start(0, piece, 7).end(0, piece, 7); // the middle of a word
        Answer a = c.decode(Options.DEFAULTS).get(0);
        assertTrue(a.start() < w.starts()[piece] && a.end() > w.ends()[piece], "the whole word around the piece: " + a);
        assertEquals(context.indexOf(a.answer()), a.start());
        assertTrue(a.answer().equals("glaciologists") || a.answer().equals("snowmobiles"), a.toString());
    }

    @Test
    void offsetsIndexTheContextStringBeyondAsciiAndTheBasicPlane() {
        String context = "Die Expedition erreichte Zürich 😀 und lagerte danach am Genfersee, 東京 ist weit.";
        Case c = Case.of("Wo lagerten sie?", context, 384, 128);
        Encoding w = c.windows().get(0);
        List<Integer> genf = new ArrayList<>();
        for (int i = 0; i < w.length(); i++) {
            if (w.sequence()[i] == 1 && context.substring(w.starts()[i], w.ends()[i]).contains("e")
                    && w.starts()[i] >= context.indexOf("Genfersee") && w.ends()[i] <= context.indexOf(",")) {
                genf.add(i);
            }
        }
        c.start(0, genf.get(0), 9).end(0, genf.get(genf.size() - 1), 9);
        Answer a = c.decode(Options.DEFAULTS).get(0);
        assertEquals("Genfersee", a.answer());
        assertEquals(context.indexOf("Genfersee"), a.start(), "UTF-16 index past the emoji's surrogate pair");
        assertEquals(context.substring(a.start(), a.end()), a.answer());
        int zurich = c.token(0, 1, "zurich"); // the uncased vocabulary strips the accent, the offsets keep it
        Case z = Case.of("Wo lagerten sie?", context, 384, 128).start(0, zurich, 9).end(0, zurich, 9);
        assertEquals("Zürich", z.decode(Options.DEFAULTS).get(0).answer());
        int kyo = c.token(0, 1, "京");
        Case k = Case.of("Wo lagerten sie?", context, 384, 128).start(0, kyo - 1, 9).end(0, kyo, 9);
        Answer tokyo = k.decode(Options.DEFAULTS).get(0);
        assertEquals("東京", tokyo.answer());
        assertEquals(context.indexOf("東京"), tokyo.start());
    }

    @Test
    void randomLogitsGiveWhatTransformersCodeGives() {
        String context = CONTEXT + " Later the ice cracked and they moved north to a sheltered valley.";
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 30; trial++) {
            Case c = Case.of(QUESTION, context, 20 + rnd.nextInt(30), rnd.nextInt(6));
            for (int w = 0; w < c.windows().size(); w++) {
                for (int i = 0; i < c.windows().get(w).length(); i++) {
                    c.start(w, i, (float) rnd.nextDouble(-4, 4)).end(w, i, (float) rnd.nextDouble(-4, 4));
                }
            }
            int topK = 1 + rnd.nextInt(5), maxLen = 1 + rnd.nextInt(15);
            boolean impossible = rnd.nextBoolean();
            assertEquals(literal(c, topK, maxLen, impossible), c.decode(new Options(topK, maxLen, impossible)),
                    "trial " + trial);
        }
    }

    /** The softmax probability of token i of window w, computed here as transformers does it (p_mask, -10000). */
    private static double probability(Case c, int w, List<float[]> logits, int i) {
        Encoding e = c.windows().get(w);
        double[] x = new double[e.length()];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int t = 0; t < x.length; t++) {
            boolean context = e.sequence()[t] == 1 || e.ids()[t] == tok.clsId();
            x[t] = context ? logits.get(w)[t] : -10000.0;
            max = Math.max(max, x[t]);
        }
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        return Math.exp(x[i] - max) / sum;
    }

    /**
     * transformers 4.53's select_starts_ends, decode_spans and postprocess transcribed as they are:
     * the full outer product of start and end, triu then tril(max_answer_len - 1), the flattened
     * top_k (ties by index), then the spans whose both ends are context tokens, word-aligned
     * characters, same-text merging and the final sort.
     */
    private static List<Answer> literal(Case c, int topK, int maxLen, boolean impossible) {
        double minNull = 1000000;
        List<Answer> answers = new ArrayList<>();
        for (int w = 0; w < c.windows().size(); w++) {
            Encoding e = c.windows().get(w);
            int n = e.length();
            double[] s = new double[n], en = new double[n];
            for (int i = 0; i < n; i++) {
                s[i] = probability(c, w, c.start(), i);
                en[i] = probability(c, w, c.end(), i);
            }
            if (impossible) {
                minNull = Math.min(minNull, s[0] * en[0]);
            }
            s[0] = 0;
            en[0] = 0;
            Integer[] flat = new Integer[n * n];
            double[] cand = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    cand[i * n + j] = j >= i && j - i <= maxLen - 1 ? s[i] * en[j] : 0;
                    flat[i * n + j] = i * n + j;
                }
            }
            java.util.Arrays.sort(flat, Comparator.comparingDouble((Integer k) -> -cand[k]));
            for (int r = 0; r < Math.min(topK, flat.length); r++) {
                int i = flat[r] / n, j = flat[r] % n;
                boolean desired = (e.sequence()[i] == 1 || e.ids()[i] == tok.clsId())
                        && (e.sequence()[j] == 1 || e.ids()[j] == tok.clsId());
                if (!desired) {
                    continue;
                }
                int from = wordChars(e, i)[0], to = wordChars(e, j)[1];
                String text = c.context().substring(from, to);
                Answer same = answers.stream().filter(a -> a.answer().toLowerCase(Locale.ROOT)
                        .equals(text.toLowerCase(Locale.ROOT))).findFirst().orElse(null);
                if (same != null) {
                    answers.set(answers.indexOf(same), new Answer(same.answer(), same.score() + cand[flat[r]],
                            same.start(), same.end()));
                } else {
                    answers.add(new Answer(text, cand[flat[r]], from, to));
                }
            }
        }
        if (impossible) {
            answers.add(new Answer("", minNull, 0, 0));
        }
        answers.sort(Comparator.comparingDouble(Answer::score).reversed());
        return answers.subList(0, Math.min(topK, answers.size()));
    }

    /** tokenizers' word_to_chars(token_to_word(i), sequence 1), or the token's own offsets without a word. */
    private static int[] wordChars(Encoding e, int i) {
        int word = e.wordIds()[i];
        if (word < 0) {
            return new int[] {e.starts()[i], e.ends()[i]};
        }
        int first = -1, last = -1;
        for (int t = 0; t < e.length(); t++) {
            if (e.sequence()[t] == 1 && e.wordIds()[t] == word) {
                first = first < 0 ? t : first;
                last = t;
            }
        }
        return new int[] {e.starts()[first], e.ends()[last]};
    }
}
