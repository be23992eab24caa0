package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.cli.MainTest.run;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.cli.MainTest.Run;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.Encoding;
import org.transformers4j.tokenizer.Tokenizer;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * t4j attention: an SVG that parses as XML with T x T cells holding the model's probabilities, the
 * tokens on both axes and layer and head in the title; tokens escaped; the file replaced whole;
 * a bad layer or head refused naming the option and the range.
 */
class AttentionCommandTest {
    static final String TEXT = "w428 w603 w230 w127 w522";

    @Test
    void drawsTheEncodersProbabilitiesAsAnSvgOfTxTCells(@TempDir Path tmp) throws Exception {
        Path dir = JsonOutputTest.withBertTokenizer(tmp, "bert-mlm");
        Path svg = tmp.resolve("map.svg");
        Run r = run("attention", "--model", dir.toString(), "--layer", "1", "--head", "2", "--out", svg.toString(),
                TEXT);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("layer 1 of 2, head 2 of 4"), r.out());
        float[] want;
        String[] tokens;
        try (CpuBackend cpu = CpuBackend.create(); Tokenizer tok = Tokenizer.inDirectory(dir);
             EncoderModel m = ModelRegistry.loadEncoder(dir, cpu); TensorArena arena = TensorArena.confined()) {
            Encoding e = tok.encode(TEXT);
            tokens = e.tokens();
            int t = e.length();
            float[] all = m.forward(new EncoderInput(1, t, e.ids(), null, e.typeIds()), false, true, arena).attentions()
                    .get(1).toFloatArray();
            want = new float[t * t];
            System.arraycopy(all, 2 * t * t, want, 0, t * t);
        }
        int t = tokens.length;
        assertEquals(7, t, "[CLS] + 5 words + [SEP]");
        Document doc = parse(Files.readString(svg));
        NodeList rects = doc.getElementsByTagName("rect");
        int cells = 0;
        for (int i = 0; i < rects.getLength(); i++) {
            Element e = (Element) rects.item(i);
            if (!e.getAttribute("class").equals("cell")) {
                continue;
            }
            String title = e.getElementsByTagName("title").item(0).getTextContent();
            float p = Float.parseFloat(title.substring(title.lastIndexOf(": ") + 2));
            assertEquals(want[cells], p, 1e-4, title);
            assertTrue(title.startsWith(tokens[cells / t] + " \u2192 " + tokens[cells % t]), title);
            cells++;
        }
        assertEquals(t * t, cells);
        String text = doc.getDocumentElement().getTextContent();
        assertTrue(text.contains("layer 1 of 2, head 2 of 4"), text);
        assertEquals(t, count(doc, "query"));
        assertEquals(t, count(doc, "key"));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of("bert-mlm", "map.svg"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file left");
        }
        JsonObject json = JsonOutputTest.json("attention", "--json", "--model", dir.toString(), "--out",
                svg.toString(), TEXT).get(0);
        assertEquals(t, json.getAsJsonArray("tokens").size());
        JsonArray first = json.getAsJsonArray("attention").get(0).getAsJsonArray();
        assertEquals(t, first.size());
    }

    @Test
    void aDecoderIsDrawnCausal(@TempDir Path tmp) throws Exception {
        Path dir = MainTest.gpt2WithTokenizer(tmp);
        Path svg = tmp.resolve("gpt2.svg");
        Run r = run("attention", "--model", dir.toString(), "--out", svg.toString(), TEXT);
        assertEquals(0, r.status(), r.err());
        Document doc = parse(Files.readString(svg));
        NodeList rects = doc.getElementsByTagName("rect");
        int cells = 0;
        for (int i = 0; i < rects.getLength(); i++) {
            Element e = (Element) rects.item(i);
            if (e.getAttribute("class").equals("cell")) {
                String title = e.getElementsByTagName("title").item(0).getTextContent();
                float p = Float.parseFloat(title.substring(title.lastIndexOf(": ") + 2));
                if (cells % 5 > cells / 5) {
                    assertEquals(0f, p, title + ": a later key");
                }
                cells++;
            }
        }
        assertEquals(25, cells);
    }

    @Test
    void aBadLayerOrHeadIsRefusedNamingTheOptionAndTheRange(@TempDir Path tmp) throws IOException {
        Path dir = JsonOutputTest.withBertTokenizer(tmp, "bert-mlm");
        Path svg = tmp.resolve("map.svg");
        String[][] bad = {{"--layer", "2"}, {"--head", "4"}, {"--layer", "-1"}, {"--head", "-3"}};
        String[] messages = {"--layer must be between 0 and 1, got 2", "--head must be between 0 and 3, got 4",
            "--layer must be 0 or more, got -1", "--head must be 0 or more, got -3"};
        for (int i = 0; i < bad.length; i++) {
            Run r = run("attention", "--model", dir.toString(), bad[i][0], bad[i][1], "--out", svg.toString(), TEXT);
            assertEquals(2, r.status(), String.join(" ", bad[i]) + ": " + r.err());
            CliTest.assertMessageOnly(r);
            assertTrue(r.err().contains(messages[i]), r.err());
            assertFalse(Files.exists(svg), "nothing written after " + String.join(" ", bad[i]));
        }
        Run folder = run("attention", "--model", dir.toString(), "--out", tmp.toString(), TEXT);
        assertEquals(2, folder.status(), folder.err());
        assertTrue(folder.err().contains("is a folder"), folder.err());
    }

    /**
     * --out that is a link, a pipe or a device is refused (the picture replaces a file whole, by a
     * rename), the thing left as it was; a text with no tokens is refused naming TEXT.
     */
    @Test
    void anOutThatIsNotARegularFileATextWithoutTokensAndAnOverlongOneAreRefused(@TempDir Path tmp) throws Exception {
        Path dir = JsonOutputTest.withBertTokenizer(tmp, "bert-mlm");
        Path target = Files.writeString(tmp.resolve("target.svg"), "kept");
        Path link = Files.createSymbolicLink(tmp.resolve("link.svg"), target);
        Path fifo = tmp.resolve("pipe.svg");
        boolean made = new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0;
        for (Path out : made ? List.of(link, fifo) : List.of(link)) {
            Run r = run("attention", "--model", dir.toString(), "--out", out.toString(), TEXT);
            assertEquals(2, r.status(), r.err());
            assertTrue(r.err().contains("is not a regular file"), r.err());
            assertFalse(Files.isRegularFile(out, java.nio.file.LinkOption.NOFOLLOW_LINKS), out + " was replaced");
        }
        assertEquals("kept", Files.readString(target));
        Path bart = MainTest.withWordTokenizer(tmp, "bart");
        Run blank = run("attention", "--model", bart.toString(), "--out", tmp.resolve("blank.svg").toString(), "   ");
        assertEquals(2, blank.status(), blank.err());
        assertTrue(blank.err().contains("gives no tokens"), blank.err());
        Path tooLong = tmp.resolve("long.svg");
        Run longText = run("attention", "--model", bart.toString(), "--out", tooLong.toString(),
                "w5 ".repeat(AttentionCommand.MAX_TOKENS + 1));
        assertEquals(2, longText.status(), longText.err());
        assertTrue(longText.err().contains("at most " + AttentionCommand.MAX_TOKENS), longText.err());
        assertFalse(Files.exists(tooLong));
    }

    /** An encoder-decoder model: its encoder's self-attention over the text, as encode returns it. */
    @Test
    void drawsAnEncoderDecodersEncoderAttention(@TempDir Path tmp) throws Exception {
        Path dir = MainTest.withWordTokenizer(tmp, "bart");
        Path svg = tmp.resolve("bart.svg");
        Run r = run("attention", "--model", dir.toString(), "--layer", "1", "--head", "1", "--out", svg.toString(),
                "--json", TEXT);
        assertEquals(0, r.status(), r.err());
        JsonObject line = com.google.gson.JsonParser.parseString(r.out().strip()).getAsJsonObject();
        JsonArray rows = line.getAsJsonArray("attention");
        try (CpuBackend cpu = CpuBackend.create(); Tokenizer tok = Tokenizer.inDirectory(dir);
             Seq2SeqModel m = ModelRegistry.loadSeq2Seq(dir, cpu); TensorArena arena = TensorArena.confined()) {
            Encoding e = tok.encode(TEXT);
            int t = e.length();
            float[] all = m.encode(new EncoderInput(1, t, e.ids(), null, null), false, true, arena).attentions().get(1)
                    .toFloatArray();
            assertEquals(t, rows.size());
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    assertEquals(all[(t + i) * t + j], rows.get(i).getAsJsonArray().get(j).getAsFloat(), 1e-6f,
                            "query " + i + ", key " + j);
                }
            }
        }
        Document doc = parse(Files.readString(svg));
        assertEquals(rows.size(), count(doc, "query"));
    }

    @Test
    void tokensAreEscapedAndAnExistingFileIsReplacedWhole(@TempDir Path tmp) throws Exception {
        List<String> tokens = List.of("<s>", "a&b", "\"q'", "\u0001ctl", "\ud83d\ude00", "\ud800");
        float[] map = new float[36];
        for (int i = 0; i < 6; i++) {
            map[i * 6 + i] = 1f;
        }
        String svg = AttentionCommand.svg(tokens, map, "<layer> & head");
        Document doc = parse(svg);
        assertEquals(6, count(doc, "query"));
        String text = doc.getDocumentElement().getTextContent();
        assertTrue(text.contains("<s>") && text.contains("a&b") && text.contains("\"q'"), text);
        assertTrue(text.contains("\ud83d\ude00") && text.contains("<layer> & head"), text);
        assertFalse(text.contains("\u0001") || text.contains("\ud800\""), "characters XML does not allow");
        Path file = Files.writeString(tmp.resolve("old.svg"), "an older picture, longer than nothing");
        AttentionCommand.write(file, svg);
        assertEquals(svg, Files.readString(file));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(1, files.count());
        }
        assertEquals("#ffffff", AttentionCommand.colour(0f));
        assertEquals("#08306b", AttentionCommand.colour(1f));
    }

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new InputSource(new StringReader(svg)));
    }

    private static int count(Document doc, String cls) {
        NodeList texts = doc.getElementsByTagName("text");
        int n = 0;
        for (int i = 0; i < texts.getLength(); i++) {
            n += ((Element) texts.item(i)).getAttribute("class").equals(cls) ? 1 : 0;
        }
        return n;
    }
}
