package org.transformers4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.transformers4j.backend.Backend;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.util.ResourceCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * t4j attention: one layer's and head's attention probabilities over the tokens of a text (what
 * transformers returns with output_attentions), drawn as a standalone SVG picture.
 */
@Command(name = "attention", sortOptions = false, description = {"Draws the attention of one layer and head over the"
        + " tokens of a text as an SVG picture (rows: queries, columns: keys).",
    "The probabilities are transformers' output_attentions with eager attention; of an encoder-decoder model, its"
        + " encoder's over the text."})
final class AttentionCommand extends CliCommand {
    /** Side of one cell, in pixels. */
    private static final int CELL = 24;
    /**
     * The most tokens drawn: 512 x 512 cells is already a 12,000-pixel picture of some 50 MB, and
     * every layer's probabilities of a longer text would take gigabytes before anything is drawn.
     */
    static final int MAX_TOKENS = 512;
    /** Estimated width of a label character at the labels' font size, in pixels. */
    private static final double CHAR = 7.2;
    private static final SecureRandom RANDOM = new SecureRandom();

    @Mixin
    ModelOption.Required model;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--layer", paramLabel = "L", defaultValue = "0", description = "the layer, from 0 (default 0)")
    int layer;

    @Option(names = "--head", paramLabel = "H", defaultValue = "0", description = "the head, from 0 (default 0)")
    int head;

    @Option(names = "--out", required = true, paramLabel = "FILE.svg", description = "the picture to write (replaced"
            + " whole: written beside it, then moved over it)")
    Path out;

    @Mixin
    JsonOption output;

    @Parameters(arity = "1", paramLabel = "TEXT", description = "the text")
    String text;

    @Override
    public Integer call() {
        model.check(this);
        check(layer >= 0, "--layer must be 0 or more, got " + layer);
        check(head >= 0, "--head must be 0 or more, got " + head);
        check(!text.isEmpty(), "TEXT is empty");
        check(!Files.isDirectory(out), "--out " + out + " is a folder; give the picture's file name");
        // the picture replaces the file whole (a rename over it): a device, pipe or link would be replaced too
        check(!Files.exists(out, LinkOption.NOFOLLOW_LINKS) || Files.isRegularFile(out, LinkOption.NOFOLLOW_LINKS),
                "--out " + out + " is not a regular file (a link, device or pipe); give the picture's file name");
        Path dir = model.dir();
        try (Tokenizer tokenizer = Tokenizer.inDirectory(dir); Backend backend = backendOptions.create();
             TensorArena arena = TensorArena.confined()) {
            Encoding enc = tokenizer.encode(text);
            check(enc.length() > 0, "TEXT \"" + text + "\" gives no tokens");
            check(enc.length() <= MAX_TOKENS, "TEXT gives " + enc.length() + " tokens; the picture is drawn for at most "
                    + MAX_TOKENS + " (a cell for each query and key)");
            List<Tensor> maps = attentions(dir, backend, enc, arena);
            inRange("--layer", layer, 0, maps.size() - 1);
            Tensor p = maps.get(layer);
            int heads = (int) p.dim(1), t = enc.length();
            inRange("--head", head, 0, heads - 1);
            float[] all = p.toFloatArray();
            float[] map = new float[t * t];
            System.arraycopy(all, head * t * t, map, 0, t * t);
            String title = String.format(Locale.ROOT, "%s: layer %d of %d, head %d of %d", dir.getFileName(), layer,
                    maps.size(), head, heads);
            write(out, svg(List.of(enc.tokens()), map, title));
            report(enc, map, maps.size(), heads);
            return 0;
        }
    }

    /** Every layer's probabilities [1, H, T, T] for the text: an encoder's, a decoder's, an encoder-decoder's encoder's. */
    private List<Tensor> attentions(Path dir, Backend backend, Encoding enc, TensorArena arena) {
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        int t = enc.length();
        return switch (ModelRegistry.kind(config)) {
            case ENCODER -> {
                try (EncoderModel m = Models.encoder(io, dir, backend)) {
                    yield m.forward(new EncoderInput(1, t, enc.ids(), null, enc.typeIds()), false, true, arena)
                            .attentions();
                }
            }
            case DECODER -> {
                try (DecoderModel m = load(dir, backend); KvCache cache = m.newCache(1, t)) {
                    yield m.forward(DecoderInput.of(1, t, enc.ids()), cache, false, true, true, arena).attentions();
                }
            }
            case SEQ2SEQ -> { // the text is a source: its encoder's self-attention
                try (Seq2SeqModel m = loadSeq2Seq(dir, backend)) {
                    yield m.encode(new EncoderInput(1, t, enc.ids(), null, null), false, true, arena).attentions();
                }
            }
        };
    }

    private DecoderModel load(Path dir, Backend backend) {
        try (Progress p = Progress.start(io, "loading " + dir)) {
            return p.done(ModelRegistry.loadDecoder(dir, backend));
        }
    }

    private Seq2SeqModel loadSeq2Seq(Path dir, Backend backend) {
        try (Progress p = Progress.start(io, "loading " + dir)) {
            return p.done(ModelRegistry.loadSeq2Seq(dir, backend));
        }
    }

    private void report(Encoding enc, float[] map, int layers, int heads) {
        if (!output.json) {
            io.out().printf(Locale.ROOT, "wrote %s: layer %d of %d, head %d of %d, %d tokens%n", out, layer, layers,
                    head, heads, enc.length());
            return;
        }
        int t = enc.length();
        float[][] rows = new float[t][];
        for (int i = 0; i < t; i++) {
            rows[i] = new float[t];
            System.arraycopy(map, i * t, rows[i], 0, t);
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("out", out.toString());
        line.put("layer", layer);
        line.put("head", head);
        line.put("tokens", List.of(enc.tokens()));
        line.put("attention", rows);
        Format.jsonLine(io.out(), line);
    }

    /** Writes the picture beside the target, then moves it over the target: no half-written file is left. */
    static void write(Path target, String svg) {
        Path abs = target.toAbsolutePath();
        Path parent = abs.getParent();
        Path tmp = null;
        try {
            // not createTempFile: its owner-only permissions would stay on the picture
            tmp = parent.resolve("." + abs.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
            Files.writeString(tmp, svg, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            ResourceCache.moveIntoPlace(tmp, abs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the move failed and so did the clean-up: the error above says what happened
                }
            }
        }
    }

    /**
     * The map [T, T] (row: query, column: key) as an SVG picture: the tokens along both axes, a
     * white-to-blue cell per probability with its value as a tooltip, a colour scale from 0 to 1.
     */
    static String svg(List<String> tokens, float[] map, String title) {
        int t = tokens.size();
        int longest = tokens.stream().mapToInt(String::length).max().orElse(1);
        int label = (int) Math.ceil(Math.min(longest, 24) * CHAR) + 8;
        int left = label, top = 40 + label, side = t * CELL;
        int width = Math.max(left + side + 90, (int) Math.ceil(16 + title.length() * 1.25 * CHAR));
        int height = top + side + 20;
        StringBuilder s = new StringBuilder();
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width,
                height));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", 8, escape(title)));
        for (int i = 0; i < t; i++) {
            String tok = escape(shortened(tokens.get(i)));
            int c = i * CELL + CELL / 2;
            s.append(String.format(Locale.ROOT, "<text class=\"query\" x=\"%d\" y=\"%d\" text-anchor=\"end\""
                    + " dominant-baseline=\"middle\">%s</text>%n", left - 6, top + c, tok));
            s.append(String.format(Locale.ROOT, "<text class=\"key\" transform=\"translate(%d,%d) rotate(-90)\""
                    + " dominant-baseline=\"middle\">%s</text>%n", left + c, top - 6, tok));
        }
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
                float p = map[i * t + j];
                s.append(String.format(Locale.ROOT, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\""
                        + " fill=\"%s\"><title>%s \u2192 %s: %.4f</title></rect>%n", left + j * CELL, top + i * CELL,
                        CELL, CELL, colour(p), escape(tokens.get(i)), escape(tokens.get(j)), p));
            }
        }
        scale(s, left + side + 24, top, side);
        s.append("</svg>\n");
        return s.toString();
    }

    /** The colour scale: a gradient from 0 (bottom) to 1 (top) with both ends labelled. */
    private static void scale(StringBuilder s, int x, int y, int h) {
        int height = Math.max(h, 60);
        s.append("<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
        for (int k = 0; k <= 4; k++) {
            s.append(String.format(Locale.ROOT, "<stop offset=\"%.2f\" stop-color=\"%s\"/>", k / 4.0, colour(k / 4f)));
        }
        s.append("</linearGradient></defs>\n");
        s.append(String.format(Locale.ROOT, "<rect class=\"scale\" x=\"%d\" y=\"%d\" width=\"14\" height=\"%d\""
                + " fill=\"url(#scale)\" stroke=\"#888\"/>%n", x, y, height));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" dominant-baseline=\"middle\">1</text>%n", x + 20,
                y));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" dominant-baseline=\"middle\">0</text>%n", x + 20,
                y + height));
    }

    /** White for 0 to dark blue for 1 (values outside [0, 1] clamped). */
    static String colour(float p) {
        double v = Float.isNaN(p) ? 0 : Math.max(0, Math.min(1, p));
        int r = (int) Math.round(255 - v * (255 - 8)), g = (int) Math.round(255 - v * (255 - 48));
        int b = (int) Math.round(255 - v * (255 - 107));
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
    }

    /** A label of at most 24 characters. */
    private static String shortened(String token) {
        return token.length() <= 24 ? token : token.substring(0, 23) + "\u2026";
    }

    /**
     * Text as XML character data or an attribute value: markup characters as entities, and
     * characters XML 1.0 does not allow (control characters, lone surrogates) as U+FFFD.
     */
    static String escape(String text) {
        StringBuilder s = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> s.append("&amp;");
                case '<' -> s.append("&lt;");
                case '>' -> s.append("&gt;");
                case '"' -> s.append("&quot;");
                case '\'' -> s.append("&apos;");
                default -> {
                    boolean pair = Character.isHighSurrogate(c) && i + 1 < text.length()
                            && Character.isLowSurrogate(text.charAt(i + 1));
                    if (pair) {
                        s.append(c).append(text.charAt(++i));
                    } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || Character.isSurrogate(c)
                            || c == 0xFFFE || c == 0xFFFF) {
                        s.append('\uFFFD');
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        return s.toString();
    }
}
