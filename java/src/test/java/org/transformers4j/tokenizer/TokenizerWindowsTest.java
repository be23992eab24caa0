package org.transformers4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;

/**
 * A question with a long context cut into windows as transformers' question-answering
 * preprocessing asks the tokenizers library to (truncation only_second, max_length, stride,
 * overflowing tokens): each window the question and the template's special tokens around the
 * next stretch of context, consecutive stretches sharing exactly stride tokens, together the whole
 * context with its offsets and word ids; and the limits refused with a message, never reaching
 * the native assertion that would end the process.
 */
class TokenizerWindowsTest {
    static final String QUESTION = "Where did the explorers camp?";
    static final String CONTEXT = "The explorers left the harbour at dawn and walked along the river for three"
            + " days. On the fourth day they reached the foothills, where they camped beside a frozen lake under the"
            + " northern ridge, waiting for the weather to clear before climbing further.";

    @ParameterizedTest
    @ValueSource(strings = {"bert-wordpiece-uncased", "roberta-bpe"})
    void windowsCoverTheContextWithTheStrideShared(String name) {
        try (Tokenizer tok = Tokenizer.load(Fixtures.tokenizer(name).resolve("tokenizer.json"))) {
            Encoding full = tok.encode(QUESTION, CONTEXT);
            int[] context = part(full, 1);
            int maxLength = 32, stride = 5;
            List<Encoding> windows = tok.encodeWindows(QUESTION, CONTEXT, maxLength, stride);
            assertTrue(windows.size() >= 3, "windows: " + windows.size());
            int fixed = full.length() - context.length, room = maxLength - fixed;
            List<Integer> covered = new ArrayList<>();
            for (int w = 0; w < windows.size(); w++) {
                Encoding e = windows.get(w);
                assertTrue(e.length() <= maxLength);
                assertArrayEquals(part(full, 0), part(e, 0), "the whole question in window " + w);
                int[] stretch = part(e, 1);
                assertTrue(w == windows.size() - 1 ? stretch.length <= room : stretch.length == room);
                int start = w * (room - stride); // each window starts room - stride context tokens after the last
                for (int i = 0; i < stretch.length; i++) {
                    int token = context[start + i];
                    assertEquals(full.ids()[token], e.ids()[stretch[i]], "window " + w + " token " + i);
                    assertEquals(full.starts()[token], e.starts()[stretch[i]]);
                    assertEquals(full.ends()[token], e.ends()[stretch[i]]);
                    assertEquals(full.wordIds()[token], e.wordIds()[stretch[i]]);
                    if (i >= (w == 0 ? 0 : stride)) {
                        covered.add(token);
                    }
                }
                assertEquals(1, e.typeIds()[stretch[0]] + (name.startsWith("roberta") ? 1 : 0),
                        "the context has type id 1 (RoBERTa: 0)");
            }
            assertEquals(Arrays.stream(context).boxed().toList(), covered, "every context token once");
        }
    }

    @Test
    void aPairThatFitsIsOneWindowAsEncodeMakesIt() {
        try (Tokenizer tok = Tokenizer.load(Fixtures.tokenizer("bert-wordpiece-uncased").resolve("tokenizer.json"))) {
            Encoding full = tok.encode(QUESTION, CONTEXT);
            List<Encoding> windows = tok.encodeWindows(QUESTION, CONTEXT, 384, 128);
            assertEquals(1, windows.size());
            assertArrayEquals(full.ids(), windows.get(0).ids());
            assertArrayEquals(full.wordIds(), windows.get(0).wordIds());
            assertEquals(tok.encode("[CLS]").ids()[1], tok.clsId());
        }
    }

    @Test
    void limitsAreRefusedBeforeTheNativeLibrarySeesThem() {
        try (Tokenizer tok = Tokenizer.load(Fixtures.tokenizer("bert-wordpiece-uncased").resolve("tokenizer.json"))) {
            int fixed = tok.encode(QUESTION, "x").length() - 1;
            var none = assertThrows(IllegalArgumentException.class, () -> tok.encodeWindows(QUESTION, CONTEXT, fixed,
                    0));
            assertTrue(none.getMessage().contains("leaving none of the " + fixed), none.getMessage());
            var stride = assertThrows(IllegalArgumentException.class, () -> tok.encodeWindows(QUESTION, CONTEXT,
                    fixed + 4, 4));
            assertTrue(stride.getMessage().contains("stride 4 must be less than the 4 tokens"), stride.getMessage());
            assertThrows(IllegalArgumentException.class, () -> tok.encodeWindows(QUESTION, CONTEXT, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> tok.encodeWindows(QUESTION, CONTEXT, 32, -1));
            // the tokenizer still works
            assertEquals(tok.encodeWindows(QUESTION, CONTEXT, fixed + 5, 4).get(0).length(), fixed + 5);
        }
    }

    @Test
    void aTruncatingTokenizerStillCutsTheWholeContext() {
        try (Tokenizer base = Tokenizer.load(Fixtures.tokenizer("bert-wordpiece-uncased").resolve("tokenizer.json"));
             Tokenizer tok = base.withTruncation(16)) {
            assertEquals(base.encodeWindows(QUESTION, CONTEXT, 32, 5).size(),
                    tok.encodeWindows(QUESTION, CONTEXT, 32, 5).size());
        }
    }

    @Test
    void closedTokenizerRefusesWindows() {
        Tokenizer tok = Tokenizer.load(Fixtures.tokenizer("bert-wordpiece-uncased").resolve("tokenizer.json"));
        tok.encodeWindows(QUESTION, CONTEXT, 32, 5);
        tok.close();
        assertThrows(IllegalStateException.class, () -> tok.encodeWindows(QUESTION, CONTEXT, 32, 5));
    }

    /** Indices of the tokens of sequence 0 (the question) or 1 (the context). */
    private static int[] part(Encoding e, int sequence) {
        return java.util.stream.IntStream.range(0, e.length()).filter(i -> e.sequence()[i] == sequence).toArray();
    }
}
