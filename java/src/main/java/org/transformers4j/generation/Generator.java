package org.transformers4j.generation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.model.SpecialTokens;

/**
 * Text generation with the semantics of Hugging Face generate: greedy search, sampling
 * (temperature, top-k, top-p, seeded) and beam search, with repetition penalty, min/max new
 * tokens, end-of-sequence tokens, stop strings and a per-token listener.
 */
public final class Generator {
    /** Opens a session whose row r continues prompt promptOfRow[r], with room for newTokens tokens. */
    @FunctionalInterface
    public interface SessionFactory {
        /**
         * Opens a session.
         *
         * @param promptOfRow for each row, which prompt it continues
         * @param newTokens tokens the session must be able to take
         * @return the session, whose cache holds the prompts
         */
        DecodingSession open(int[] promptOfRow, int newTokens);
    }

    private Generator() {
    }

    /**
     * Generates for each prompt (token ids; an empty prompt starts from the model's BOS token)
     * numReturnSequences sequences, best first for beam search. decode turns token ids into text
     * for stop strings and may be null when there are none.
     *
     * @param model the decoder
     * @param prompts the prompts
     * @param config how to generate
     * @param decode token ids to text, for stop strings; null when there are none
     * @param listener told of each token as it is generated ({@link TokenListener#NONE} for none)
     * @return for each prompt, its sequences (best first for beam search)
     */
    public static List<List<GeneratedSequence>> generate(DecoderModel model, List<long[]> prompts,
                                                         GenerationConfig config, Function<long[], String> decode,
                                                         TokenListener listener) {
        config.validate().requireVocabulary(model.vocabSize(), model.config().source());
        List<long[]> starts = new ArrayList<>();
        for (long[] p : prompts) {
            if (p.length == 0 && model.specialTokens().bos() < 0) {
                throw new IllegalArgumentException("a prompt is empty and " + model.config().source()
                        + " has no bos_token_id to start from");
            }
            starts.add(p.length == 0 ? new long[] {model.specialTokens().bos()} : p);
        }
        long pad = config.effectivePad();
        SessionFactory factory = (rows, n) -> {
            List<long[]> rowPrompts = new ArrayList<>();
            for (int r : rows) {
                rowPrompts.add(starts.get(r));
            }
            return new CausalSession(model, rowPrompts, pad, n);
        };
        return generate(starts, factory, config, decode, listener, true);
    }

    /**
     * Generates from an encoder-decoder model: for each source (token ids, not empty) the decoder
     * starts from the decoder start token (generation_config's, else the model's, else, as in
     * Hugging Face, the model's bos_token_id: mBART's config has no decoder start of its own) and
     * generates numReturnSequences sequences; GeneratedSequence.prompt() is that start token.
     *
     * @param model the encoder-decoder
     * @param sources the sources
     * @param config how to generate
     * @param decode token ids to text, for stop strings; null when there are none
     * @param listener told of each token as it is generated ({@link TokenListener#NONE} for none)
     * @return for each prompt, its sequences (best first for beam search)
     */
    public static List<List<GeneratedSequence>> generate(Seq2SeqModel model, List<long[]> sources,
                                                         GenerationConfig config, Function<long[], String> decode,
                                                         TokenListener listener) {
        config.validate().requireVocabulary(model.vocabSize(), model.config().source());
        long start = decoderStart(model, config);
        for (long[] s : sources) {
            if (s.length == 0) {
                throw new IllegalArgumentException("a source is empty");
            }
        }
        List<long[]> starts = new ArrayList<>();
        sources.forEach(s -> starts.add(new long[] {start}));
        long pad = config.effectivePad();
        SessionFactory factory = (rows, n) -> new Seq2SeqSession(model, sources, rows, pad, start, n);
        return generate(starts, factory, config, decode, listener, false);
    }

    private static long decoderStart(Seq2SeqModel model, GenerationConfig config) {
        SpecialTokens special = model.specialTokens();
        long start = config.decoderStartTokenId() >= 0 ? config.decoderStartTokenId()
                : special.decoderStart() >= 0 ? special.decoderStart() : special.bos();
        if (start < 0) {
            throw new IllegalArgumentException(model.config().source() + " has no decoder_start_token_id nor "
                    + "bos_token_id (in config.json or generation_config.json); generation cannot start");
        }
        return start;
    }

    /**
     * The search itself, for any model that can open sessions. prompts are the tokens the
     * sessions start from (the repetition penalty sees them); leftPadded says whether the session
     * pads them on the left (so that, as in Hugging Face, the padding counts as seen tokens).
     *
     * @param prompts the tokens the sessions start from
     * @param factory opens the sessions
     * @param config how to generate
     * @param decode token ids to text, for stop strings; null when there are none
     * @param listener told of each token as it is generated ({@link TokenListener#NONE} for none)
     * @param leftPadded whether the sessions pad the prompts on the left
     * @return for each prompt, its sequences (best first for beam search)
     */
    public static List<List<GeneratedSequence>> generate(List<long[]> prompts, SessionFactory factory,
                                                         GenerationConfig config, Function<long[], String> decode,
                                                         TokenListener listener, boolean leftPadded) {
        config.validate();
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts");
        }
        config = config.forPromptLength(prompts.stream().mapToInt(p -> p.length).max().orElse(0));
        if (!config.stopStrings().isEmpty() && decode == null) {
            throw new IllegalArgumentException("stop strings need a tokenizer to decode the generated tokens");
        }
        List<long[]> histories = histories(prompts, config.effectivePad(), leftPadded);
        if (config.numBeams() > 1) {
            return BeamSearch.run(prompts, histories, factory, config, decode, listener);
        }
        return sampleOrGreedy(prompts, histories, factory, config, decode, listener);
    }

    private static List<List<GeneratedSequence>> sampleOrGreedy(List<long[]> prompts, List<long[]> histories,
                                                                SessionFactory factory, GenerationConfig cfg,
                                                                Function<long[], String> decode,
                                                                TokenListener listener) {
        int copies = cfg.numReturnSequences(), rows = rows(prompts.size(), copies);
        int[] promptOfRow = new int[rows];
        for (int r = 0; r < rows; r++) {
            promptOfRow[r] = r / copies;
        }
        int[] lengths = new int[rows];
        FinishReason[] finished = new FinishReason[rows];
        SplittableRandom random = new SplittableRandom(cfg.seed());
        long[][] generated;
        try (DecodingSession session = factory.open(promptOfRow, cfg.maxNewTokens())) {
            float[][] logits = session.start();
            generated = new long[rows][producible(cfg, session)];
            while (true) {
                long[] tokens = new long[rows];
                for (int r = 0; r < rows; r++) {
                    if (finished[r] != null) {
                        tokens[r] = cfg.effectivePad();
                        continue;
                    }
                    long[] seen = concat(histories.get(promptOfRow[r]), generated[r], lengths[r]);
                    tokens[r] = choose(logits[r], seen, lengths[r], cfg, random);
                    generated[r][lengths[r]++] = tokens[r];
                    listener.onToken(r, tokens[r]);
                    finished[r] = stopReason(tokens[r], Arrays.copyOf(generated[r], lengths[r]), cfg, decode);
                }
                if (Arrays.stream(finished).allMatch(f -> f != null)) {
                    break;
                }
                if (session.room() < 1) {
                    Arrays.setAll(finished, r -> finished[r] != null ? finished[r] : FinishReason.CONTEXT_LIMIT);
                    break;
                }
                logits = session.next(tokens);
            }
        }
        return collect(prompts, generated, lengths, finished, copies);
    }

    /** Rows of a batch: prompts x copies each, refused when that does not fit an int. */
    static int rows(int prompts, int copies) {
        long rows = (long) prompts * copies;
        if (rows > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(prompts + " prompts x " + copies + " sequences each are too many rows");
        }
        return (int) rows;
    }

    /**
     * How many tokens a started session can produce: maxNewTokens, or fewer when the context
     * (the session's room, plus the token chosen from the last logits) ends first. Arrays are
     * sized by this, so a huge maxNewTokens costs nothing; minNewTokens beyond it cannot be met
     * and is refused.
     */
    static int producible(GenerationConfig cfg, DecodingSession session) {
        int n = (int) Math.min(cfg.maxNewTokens(), session.room() + 1L);
        if (cfg.minNewTokens() > n) {
            throw new IllegalArgumentException("minNewTokens " + cfg.minNewTokens() + " cannot be met: the context "
                    + "leaves room for " + n + " new tokens after the prompt");
        }
        return n;
    }

    /** The next token for one row: processors, then argmax or a draw. */
    private static long choose(float[] scores, long[] seen, int generated, GenerationConfig cfg, SplittableRandom rnd) {
        LogitsProcessing.process(scores, seen, generated, cfg);
        if (!cfg.doSample() || cfg.temperature() == 0) {
            return LogitsProcessing.argmax(scores);
        }
        LogitsProcessing.temperature(scores, cfg.temperature());
        LogitsProcessing.topK(scores, cfg.topK());
        LogitsProcessing.topP(scores, cfg.topP());
        return LogitsProcessing.sample(scores, rnd);
    }

    /** Why a sequence ends with this token, or null when it goes on. */
    static FinishReason stopReason(long token, long[] generated, GenerationConfig cfg, Function<long[], String> decode) {
        if (cfg.eosTokenIds().contains(token)) {
            return FinishReason.EOS;
        }
        if (!cfg.stopStrings().isEmpty()) {
            String text = decode.apply(generated);
            if (cfg.stopStrings().stream().anyMatch(text::contains)) {
                return FinishReason.STOP_STRING;
            }
        }
        return generated.length >= cfg.maxNewTokens() ? FinishReason.MAX_NEW_TOKENS : null;
    }

    private static List<List<GeneratedSequence>> collect(List<long[]> prompts, long[][] generated, int[] lengths,
                                                         FinishReason[] finished, int copies) {
        List<List<GeneratedSequence>> out = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            List<GeneratedSequence> seqs = new ArrayList<>();
            for (int c = 0; c < copies; c++) {
                int r = p * copies + c;
                seqs.add(new GeneratedSequence(prompts.get(p), Arrays.copyOf(generated[r], lengths[r]), Double.NaN,
                        finished[r]));
            }
            out.add(List.copyOf(seqs));
        }
        return out;
    }

    /** The tokens the repetition penalty sees before generation: the prompt, left-padded like the batch. */
    private static List<long[]> histories(List<long[]> prompts, long pad, boolean leftPadded) {
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        List<long[]> out = new ArrayList<>();
        for (long[] p : prompts) {
            long[] h = new long[leftPadded ? longest : p.length];
            Arrays.fill(h, pad);
            System.arraycopy(p, 0, h, h.length - p.length, p.length);
            out.add(h);
        }
        return out;
    }

    static long[] concat(long[] a, long[] b, int bLength) {
        long[] out = Arrays.copyOf(a, a.length + bLength);
        System.arraycopy(b, 0, out, a.length, bLength);
        return out;
    }
}
