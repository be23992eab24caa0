package org.transformers4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer.json checks alone (no native code runs: every refusal happens before the
 * library is called, so these are safe in the test JVM); {@link TokenizerJsonForkedTest} runs the
 * same cases through the library in a JVM of its own.
 */
class TokenizerJsonTest {

    @Test
    void theSixteenByteDecoderCaseIsRefusedNamingThePath() {
        String json = "{\"decoder\": {x}}";
        assertEquals(16, json.length());
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromJson(json));
        assertEquals("tokenizer.json: not valid JSON: syntax error at line 1 column 15 path $.decoder", e.getMessage());
    }

    @Test
    void everyMalformedCaseIsRefusedBeforeTheLibrarySeesIt() {
        for (TokenizerJsonCases.Case c : TokenizerJsonCases.refused()) {
            var e = assertThrows(IllegalArgumentException.class, () -> TokenizerJson.check(c.json(), "tokenizer.json"),
                    c.name());
            assertTrue(e.getMessage().startsWith("tokenizer.json: ") && e.getMessage().contains(c.refusedAt()),
                    c.name() + ": " + e.getMessage());
        }
    }

    @Test
    void everyWellFormedCasePasses() {
        for (TokenizerJsonCases.Case c : TokenizerJsonCases.accepted()) {
            assertDoesNotThrow(() -> TokenizerJson.check(c.json(), "tokenizer.json"), c.name());
        }
    }

    @Test
    void aNonUtf8FileGetsAMessageNamingIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokenizer.json");
        Files.write(file, new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'});
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.inDirectory(dir));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("not valid UTF-8"), e.getMessage());
    }

    @Test
    void aNamedPipeIsRefusedWithoutBlocking(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("tokenizer.json");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mk.waitFor());
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.inDirectory(dir));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    /** A fuzzing finding: making a tokenizer let DJL send a request to the EC2 metadata address. */
    @Test
    void makingATokenizerMakesNoNetworkRequest() {
        try (Tokenizer t = Tokenizer.fromJson(TokenizerJsonCases.base().toString())) {
            assertEquals(System.getenv(Tokenizer.TRACKING) == null ? "true" : null,
                    System.getProperty(Tokenizer.TRACKING), "DJL's telemetry is off unless the environment sets it");
            assertEquals(1, t.encode("hello").length());
        }
    }

    /**
     * A fuzzing finding: post-processors chained in a Sequence number the parts of one text 1 and
     * up, and the offsets of those tokens were looked up in a pair text that is not there.
     */
    @Test
    void aSingleTextWhosePartsAreNumberedAsAPairGetsOffsetsIntoItself() {
        var template = TokenizerJsonCases.template(List.of(TokenizerJsonCases.special("[CLS]", 0),
                TokenizerJsonCases.seq("A", 0)), List.of(TokenizerJsonCases.seq("A", 0), TokenizerJsonCases.seq("B", 1)),
                TokenizerJsonCases.clsSep());
        var chain = TokenizerJsonCases.obj("type", "Sequence", "processors", List.of(template,
                TokenizerJsonCases.obj("type", "BertProcessing", "sep", List.of("[SEP]", 2), "cls", List.of("[CLS]", 1))));
        try (Tokenizer t = Tokenizer.fromJson(TokenizerJsonCases.base("post_processor", chain).toString())) {
            Encoding e = t.encode("hello world");
            for (int i = 0; i < e.length(); i++) {
                assertTrue(e.starts()[i] >= 0 && e.ends()[i] <= "hello world".length(), e.toString());
            }
            assertTrue(java.util.Arrays.stream(e.sequence()).anyMatch(s -> s == 1), "the case needs a part numbered 1");
        }
    }

    @Test
    void aMissingFileNamesTheFolder(@TempDir Path dir) {
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.inDirectory(dir));
        assertEquals(dir + " has no tokenizer.json", e.getMessage());
    }

    @Test
    void aFileIsNamedByItsPath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, TokenizerJsonCases.base("decoder", TokenizerJsonCases.obj("type", "Strip",
                "content", " ", "start", 0, "stop", 2)).toString());
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(file));
        assertTrue(e.getMessage().startsWith(file + ": $.decoder.stop: must be 0"), e.getMessage());
    }
}
