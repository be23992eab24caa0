package org.transformers4j.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.BatchEncoding;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.util.CloseGuard;

/**
 * Extractive question answering with the semantics of transformers' QuestionAnsweringPipeline: the
 * question and its context are tokenized as a pair, the context cut into windows of at most
 * maxSeqLength tokens that overlap by docStride (transformers' defaults: min(384, the model's
 * positions) and min(maxSeqLength / 2, 128)); the model's start and end logits of every window
 * give answer spans by the rules {@link AnswerSpans} lists, with character offsets into the
 * context. Thread-safe.
 */
public final class QuestionAnswerer implements AutoCloseable {
    /** Windows run through the model in one pass at most, so a long context needs bounded memory. */
    public static final int MAX_WINDOWS_PER_PASS = 16;

    /**
     * An answer: its text, its score, and [start, end) in the context (indices of the Java string,
     * as String.substring takes them; for text without characters beyond the Basic Multilingual
     * Plane they equal transformers' character offsets). The impossible answer is "" at [0, 0).
     *
     * @param answer the answer's text
     * @param score its probability (start times end)
     * @param start its first character in the context
     * @param end the character after its last
     */
    public record Answer(String answer, double score, int start, int end) {
    }

    /**
     * transformers' answer-selection parameters.
     *
     * @param topK answers returned at most (fewer when the context holds fewer), best first
     * @param maxAnswerLength the longest answer, in tokens
     * @param handleImpossibleAnswer whether "no answer" (the empty answer) competes, scored by
     *     the classification token's start and end probabilities
     */
    public record Options(int topK, int maxAnswerLength, boolean handleImpossibleAnswer) {
        /** transformers' defaults: one answer, at most 15 tokens, always some answer. */
        public static final Options DEFAULTS = new Options(1, 15, false);

        /**
         * Checks the values; an IllegalArgumentException names the value out of range.
         */
        public Options {
            if (topK < 1) {
                throw new IllegalArgumentException("topK must be >= 1, got " + topK);
            }
            if (maxAnswerLength < 1) {
                throw new IllegalArgumentException("maxAnswerLength must be >= 1, got " + maxAnswerLength);
            }
        }
    }

    /**
     * A question and its context, tokenized into the windows the model reads.
     *
     * @param question the question
     * @param context the text the answer is looked for in
     * @param windows the question with each part of the context, as the model reads them
     */
    public record Question(String question, String context, List<Encoding> windows) {
        /**
         * Checks that there is a window and copies the list.
         */
        public Question {
            windows = List.copyOf(windows);
            if (windows.isEmpty()) {
                throw new IllegalArgumentException("a question needs at least one window");
            }
        }
    }

    private final EncoderModel model;
    private final Tokenizer tokenizer;
    private final int maxSeqLength;
    private final int docStride;
    private final CloseGuard guard;

    /**
     * With transformers' window settings: maxSeqLength min(384, the model's positions), docStride min(it / 2, 128).
     *
     * @param model an encoder with a question-answering head
     * @param tokenizer its tokenizer
     */
    public QuestionAnswerer(EncoderModel model, Tokenizer tokenizer) {
        this(model, tokenizer, Math.min(384, model.maxPositions()), Math.min(Math.min(384, model.maxPositions()) / 2,
                128));
    }

    /**
     * A question answerer whose long contexts are split into overlapping windows.
     *
     * @param model an encoder with a question-answering head
     * @param tokenizer the model's tokenizer
     * @param maxSeqLength tokens of a window (question, context and special tokens), at most the
     *     model's positions
     * @param docStride context tokens consecutive windows share, at most maxSeqLength
     */
    public QuestionAnswerer(EncoderModel model, Tokenizer tokenizer, int maxSeqLength, int docStride) {
        if (model.head() != EncoderModel.Head.QUESTION_ANSWERING) {
            throw new IllegalArgumentException("question answering needs a question-answering model, "
                    + model.config().source() + " has head " + model.head());
        }
        if (maxSeqLength < 1 || maxSeqLength > model.maxPositions()) {
            throw new IllegalArgumentException("maxSeqLength must be 1 to the model's " + model.maxPositions()
                    + " positions, got " + maxSeqLength);
        }
        if (docStride < 0 || docStride > maxSeqLength) {
            throw new IllegalArgumentException("docStride (" + docStride + ") must be 0 to maxSeqLength ("
                    + maxSeqLength + ")");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.maxSeqLength = maxSeqLength;
        this.docStride = docStride;
        this.guard = new CloseGuard("QuestionAnswerer", this::release);
    }

    /**
     * {@return the best answer to the question in the context, with transformers' defaults ({@link Options#DEFAULTS})}
     *
     * @param question the question
     * @param context the text the answer is looked for in
     */
    public List<Answer> answer(String question, String context) {
        return answer(question, context, Options.DEFAULTS);
    }

    /**
     * {@return the answers to the question in the context, best first}
     *
     * @param question the question
     * @param context the text the answer is looked for in
     * @param options how many answers, how long, and whether "no answer" competes
     */
    public List<Answer> answer(String question, String context, Options options) {
        guard.enter();
        try {
            return answerEncoded(List.of(encode(question, context)), options).get(0);
        } finally {
            guard.exit();
        }
    }

    /**
     * The question and context tokenized into windows: the whole question in each, the context
     * cut where it does not fit. Fails, naming the lengths, when the question leaves no room or
     * less than docStride + 1 tokens of context.
     *
     * @param question the question
     * @param context the text the answer is looked for in
     * @return the question with its windows
     */
    public Question encode(String question, String context) {
        require("question", question);
        require("context", context);
        guard.enter();
        try {
            return new Question(question, context, tokenizer.encodeWindows(question, context, maxSeqLength,
                    docStride));
        } finally {
            guard.exit();
        }
    }

    /**
     * The answers to questions this answerer {@link #encode encoded}: their windows run together,
     * {@link #MAX_WINDOWS_PER_PASS} at a time.
     *
     * @param questions questions from {@link #encode}
     * @param options how many answers, how long, and whether "no answer" competes
     * @return the answers to each question, best first
     */
    public List<List<Answer>> answerEncoded(List<Question> questions, Options options) {
        guard.enter();
        try {
            if (questions.isEmpty()) {
                throw new IllegalArgumentException("questions is empty");
            }
            List<Encoding> windows = new ArrayList<>();
            questions.forEach(q -> windows.addAll(q.windows()));
            List<float[]> starts = new ArrayList<>(), ends = new ArrayList<>();
            for (int from = 0; from < windows.size(); from += MAX_WINDOWS_PER_PASS) {
                logits(windows.subList(from, Math.min(windows.size(), from + MAX_WINDOWS_PER_PASS)), starts, ends);
            }
            List<List<Answer>> out = new ArrayList<>();
            int at = 0;
            for (Question q : questions) {
                int n = q.windows().size();
                out.add(AnswerSpans.decode(q.context(), q.windows(), starts.subList(at, at + n), ends.subList(at,
                        at + n), tokenizer.clsId(), options));
                at += n;
            }
            return out;
        } finally {
            guard.exit();
        }
    }

    /** One forward pass over the windows (padding skipped where the model can): each one's start and end logits. */
    private void logits(List<Encoding> windows, List<float[]> starts, List<float[]> ends) {
        BatchEncoding enc = BatchEncoding.pad(windows, tokenizer.padId());
        try (TensorArena arena = TensorArena.confined()) {
            float[] both = model.forwardUnpadded(new EncoderInput(enc.batch(), enc.seq(), enc.ids(), enc.attentionMask(),
                    enc.typeIds()), arena).logits().toFloatArray(); // [B, S, 2]
            for (int b = 0; b < enc.batch(); b++) {
                int n = windows.get(b).length();
                float[] start = new float[n], end = new float[n];
                for (int t = 0; t < n; t++) {
                    start[t] = both[(b * enc.seq() + t) * 2];
                    end[t] = both[(b * enc.seq() + t) * 2 + 1];
                }
                starts.add(start);
                ends.add(end);
            }
        }
    }

    private static void require(String what, String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be " + (text == null ? "null" : "empty"));
        }
    }

    /** {@return the model} */
    public EncoderModel model() {
        return model;
    }

    /** {@return the tokenizer, which {@link #encode} uses} */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Frees the model and the tokenizer once the calls in flight have finished; later calls fail
     * with IllegalStateException. A second close does nothing.
     */
    @Override
    public void close() {
        guard.close();
    }

    private void release() {
        try {
            model.close();
        } finally {
            tokenizer.close();
        }
    }
}
