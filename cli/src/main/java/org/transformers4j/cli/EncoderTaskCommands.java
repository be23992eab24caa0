package org.transformers4j.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.transformers4j.backend.Backend;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.pipeline.FillMask;
import org.transformers4j.pipeline.QuestionAnswerer;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.pipeline.TokenClassifier;
import org.transformers4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The encoder pipelines: fill-mask, classify, ner and answer, on a checkpoint folder with its tokenizer.json. */
final class EncoderTaskCommands {
    private EncoderTaskCommands() {
    }

    private static Map<String, Object> label(TextClassifier.Label l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", l.label());
        m.put("score", l.score());
        return m;
    }

    /** What they share: the model folder, the backend and --json. */
    abstract static class EncoderTask extends CliCommand {
        @Mixin
        ModelOption.Required model;

        @Mixin
        BackendOptions backendOptions;

        @Mixin
        JsonOption output;

        /** Writes a JSON line or, without --json, the text line. */
        void emit(Map<String, Object> json, String text) {
            if (output.json) {
                Format.jsonLine(io.out(), json);
            } else {
                io.out().println(text);
            }
        }
    }

    @Command(name = "fill-mask", sortOptions = false,
            description = "The most likely tokens at each mask ([MASK] or <mask>) of the text.")
    static final class FillMaskCommand extends EncoderTask {
        @Option(names = "--top", paramLabel = "K", defaultValue = "5", description = "predictions per mask (default 5)")
        int top;

        @Parameters(arity = "1", paramLabel = "TEXT", description = "a text with one or more masks")
        String text;

        @Override
        public Integer call() {
            inRange("--top", top, 1, 1000);
            try (Backend backend = backendOptions.create();
                 FillMask fm = new FillMask(Models.encoder(io, model.dir(), backend), Tokenizer.inDirectory(model.dir()),
                         text.contains("<mask>") ? "<mask>" : "[MASK]")) {
                int mask = 0;
                for (List<FillMask.Prediction> predictions : fm.fill(text, top)) {
                    for (FillMask.Prediction p : predictions) {
                        Map<String, Object> line = new LinkedHashMap<>();
                        line.put("mask", mask);
                        line.put("score", p.score());
                        line.put("token", p.token());
                        line.put("sequence", p.sequence());
                        emit(line, String.format(Locale.ROOT, "%.4f  %-15s %s", p.score(), p.token(), p.sequence()));
                    }
                    if (!output.json) {
                        io.out().println();
                    }
                    mask++;
                }
                return 0;
            }
        }
    }

    @Command(name = "classify", sortOptions = false, description = "Label probabilities of each text.")
    static final class ClassifyCommand extends EncoderTask {
        @Parameters(arity = "1..*", paramLabel = "TEXT", description = "the texts to classify")
        List<String> texts;

        @Override
        public Integer call() {
            try (Backend backend = backendOptions.create();
                 TextClassifier tc = new TextClassifier(Models.encoder(io, model.dir(), backend), Tokenizer.inDirectory(model.dir()))) {
                List<List<TextClassifier.Label>> all = tc.classify(texts);
                for (int i = 0; i < all.size(); i++) {
                    if (output.json) {
                        Map<String, Object> line = new LinkedHashMap<>();
                        line.put("text", texts.get(i));
                        line.put("labels", all.get(i).stream().map(EncoderTaskCommands::label).toList());
                        Format.jsonLine(io.out(), line);
                        continue;
                    }
                    io.out().println(texts.get(i));
                    for (TextClassifier.Label l : all.get(i)) {
                        io.out().printf(Locale.ROOT, "  %.4f  %s%n", l.score(), l.label());
                    }
                }
                return 0;
            }
        }
    }

    @Command(name = "ner", sortOptions = false, description = "Named entities of the text, with character offsets.")
    static final class NerCommand extends EncoderTask {
        @Parameters(arity = "1", paramLabel = "TEXT", description = "the text")
        String text;

        @Override
        public Integer call() {
            try (Backend backend = backendOptions.create();
                 TokenClassifier tc = new TokenClassifier(Models.encoder(io, model.dir(), backend), Tokenizer.inDirectory(model.dir()))) {
                for (TokenClassifier.Entity e : tc.entities(text)) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("type", e.type());
                    line.put("score", e.score());
                    line.put("start", e.start());
                    line.put("end", e.end());
                    line.put("word", e.word());
                    emit(line, String.format(Locale.ROOT, "%-6s %.4f  [%d, %d)  %s", e.type(), e.score(), e.start(),
                            e.end(), e.word()));
                }
                return 0;
            }
        }
    }

    @Command(name = "answer", sortOptions = false, description = {"The answer to a question found in a context, with"
            + " character offsets (extractive question answering).",
        "As transformers' question-answering pipeline: the context read in overlapping windows of --max-seq-len tokens,"
            + " answers scored by their start and end probabilities, [start, end) indexing the context."})
    static final class AnswerCommand extends EncoderTask {
        @Option(names = "--question", required = true, paramLabel = "Q", description = "the question")
        String question;

        @Option(names = "--context", required = true, paramLabel = "C", description = "the text holding the answer")
        String context;

        @Option(names = "--top-k", paramLabel = "K", defaultValue = "1", description = "answers to print (default 1)")
        int topK;

        @Option(names = "--max-answer-len", paramLabel = "N", defaultValue = "15",
                description = "longest answer in tokens (default 15)")
        int maxAnswerLength;

        @Option(names = "--handle-impossible-answer", description = "let \"no answer\" (printed as an empty answer)"
                + " compete")
        boolean impossible;

        @Option(names = "--max-seq-len", paramLabel = "N", description = "tokens of a window (default: 384 or the"
                + " model's positions if fewer)")
        Integer maxSeqLength;

        @Option(names = "--doc-stride", paramLabel = "N", description = "context tokens consecutive windows share"
                + " (default: half a window, at most 128)")
        Integer docStride;

        @Override
        public Integer call() {
            inRange("--top-k", topK, 1, 1000);
            inRange("--max-answer-len", maxAnswerLength, 1, 100_000);
            check(!question.isEmpty() && !context.isEmpty(), "--question and --context must not be empty");
            var options = new QuestionAnswerer.Options(topK, maxAnswerLength, impossible);
            try (Backend backend = backendOptions.create(); QuestionAnswerer qa = open(backend)) {
                for (QuestionAnswerer.Answer a : qa.answer(question, context, options)) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("score", a.score());
                    line.put("start", a.start());
                    line.put("end", a.end());
                    line.put("answer", a.answer());
                    emit(line, String.format(Locale.ROOT, "%.4f  [%d, %d)  %s", a.score(), a.start(), a.end(),
                            a.answer()));
                }
                return 0;
            }
        }

        private QuestionAnswerer open(Backend backend) {
            EncoderModel m = Models.encoder(io, model.dir(), backend);
            Tokenizer tokenizer = null;
            try {
                tokenizer = Tokenizer.inDirectory(model.dir());
                int seq = maxSeqLength != null ? inRange("--max-seq-len", maxSeqLength, 1, m.maxPositions())
                        : Math.min(384, m.maxPositions());
                int stride = docStride != null ? inRange("--doc-stride", docStride, 0, seq) : Math.min(seq / 2, 128);
                return new QuestionAnswerer(m, tokenizer, seq, stride);
            } catch (RuntimeException e) {
                m.close();
                if (tokenizer != null) {
                    tokenizer.close();
                }
                throw e;
            }
        }
    }
}
