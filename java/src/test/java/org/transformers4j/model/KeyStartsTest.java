package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.TensorArena;

/**
 * DecoderInput.keyStarts, what a generation session hands instead of a growing mask: the same
 * logits, bit for bit, as the left-padding mask it stands for; bad starts refused by name.
 */
class KeyStartsTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @Test
    void keyStartsGiveTheLogitsOfTheEquivalentMask() {
        int b = 2, s = 5;
        long[] ids = {11, 12, 13, 14, 15, 0, 0, 21, 22, 23};
        long[] mask = {1, 1, 1, 1, 1, 0, 0, 1, 1, 1};
        long[] next = {7, 9};
        long[] nextMask = {1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1};
        long[] positions = DecoderInput.positionsFromMask(nextMask, b, 1);
        try (DecoderModel model = ModelRegistry.loadDecoder(Fixtures.model("gpt2"), cpu);
             KvCache withMask = model.newCache(b, s + 1); KvCache withStarts = model.newCache(b, s + 1);
             TensorArena arena = TensorArena.confined()) {
            DecoderInput prompt = new DecoderInput(b, s, ids, mask, DecoderInput.positionsFromMask(mask, b, s));
            model.forward(prompt, withMask, false, true, arena);
            model.forward(prompt, withStarts, false, true, arena);
            float[] want = model.decodeStep(new DecoderInput(b, 1, next, nextMask, positions), withMask, arena)
                    .toFloatArray();
            float[] got = model.decodeStep(new DecoderInput(b, 1, next, null, positions, new int[] {0, 2}), withStarts,
                    arena).toFloatArray();
            assertArrayEquals(want, got);
        }
    }

    @Test
    void badKeyStartsAreRefusedByName() {
        long[] ids = {1, 2};
        var both = assertThrows(IllegalArgumentException.class,
                () -> new DecoderInput(2, 1, ids, new long[] {1, 1}, null, new int[] {0, 0}));
        assertTrue(both.getMessage().contains("replaces the attention mask"), both.getMessage());
        var count = assertThrows(IllegalArgumentException.class,
                () -> new DecoderInput(2, 1, ids, null, null, new int[] {0}));
        assertTrue(count.getMessage().contains("keyStarts must have one entry per row (2), has 1"), count.getMessage());
        try (DecoderModel model = ModelRegistry.loadDecoder(Fixtures.model("gpt2"), cpu);
             KvCache cache = model.newCache(2, 4); TensorArena arena = TensorArena.confined()) {
            var range = assertThrows(IllegalArgumentException.class,
                    () -> model.decodeStep(new DecoderInput(2, 1, ids, null, null, new int[] {0, 1}), cache, arena));
            assertTrue(range.getMessage().contains("keyStarts[1] = 1 is outside the 1 keys"), range.getMessage());
        }
    }
}
