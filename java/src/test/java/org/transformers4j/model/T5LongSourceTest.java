package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.nn.RelativePositionBias;
import org.transformers4j.tensor.TensorArena;

/**
 * T5 has no length limit, so its position bias must not grow as S x T on the heap: a source of
 * thousands of tokens on the small fixture runs with the bias built per tile (the heap this thread
 * allocates stays far below the S x T x H values a whole bias would take), and a source too long
 * for one query row of bias per tile is refused with a message before anything is allocated.
 */
class T5LongSourceTest {
    static CpuBackend cpu;
    static Seq2SeqModel t5;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
        t5 = ModelRegistry.loadSeq2Seq(Fixtures.model("t5"), cpu);
    }

    @AfterAll
    static void close() {
        t5.close();
        cpu.close();
    }

    @Test
    void aSourceOfThousandsOfTokensRunsInBoundedHeap() {
        int s = 3000, heads = 4;
        long[] ids = new long[s], mask = new long[s];
        for (int i = 0; i < s; i++) {
            ids[i] = 3 + (i * 37L) % 990;
            mask[i] = 1;
        }
        var in = new EncoderInput(1, s, ids, mask, null);
        var threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (TensorArena out = TensorArena.confined()) {
            t5.encode(in, false, out); // warm up: classes loaded, code compiled
            long before = threads.getCurrentThreadAllocatedBytes();
            float[] hidden = t5.encode(in, false, out).lastHiddenState().toFloatArray();
            long allocated = threads.getCurrentThreadAllocatedBytes() - before - 4L * hidden.length;
            long wholeBias = 4L * heads * s * s;
            System.out.printf("T5 source of %d tokens: %.1f MiB allocated on the heap; a whole bias is %.1f MiB%n", s,
                    allocated / 1048576.0, wholeBias / 1048576.0);
            assertTrue(allocated < 3 * 4 * RelativePositionBias.TILE_VALUES, "allocated " + allocated + " bytes");
            assertTrue(allocated < wholeBias / 4, "allocated " + allocated + " bytes");
            assertEquals(s * 48, hidden.length);
            for (float h : hidden) {
                assertTrue(Float.isFinite(h), "non-finite hidden state");
            }
        }
    }

    @Test
    void aSourceBeyondWhatATileHoldsIsRefusedBeforeAnythingRuns() {
        int max = t5.maxSourcePositions();
        assertEquals(RelativePositionBias.TILE_VALUES / 4, max); // one query row of 4 heads per tile
        long[] ids = new long[max + 1], mask = new long[max + 1];
        Arrays.fill(mask, 1);
        var in = new EncoderInput(1, max + 1, ids, mask, null);
        try (TensorArena out = TensorArena.confined()) {
            var e = assertThrows(IllegalArgumentException.class, () -> t5.encode(in, false, out));
            assertTrue(e.getMessage().contains("a source of " + (max + 1) + " tokens is longer than the " + max
                    + " positions the encoder"), e.getMessage());
        }
        var target = assertThrows(IllegalArgumentException.class, () -> t5.encodeToCache(
                new EncoderInput(1, 1, new long[] {5}, new long[] {1}, null), max + 1));
        assertTrue(target.getMessage().contains("exceeds the " + max + " positions the decoder"), target.getMessage());
    }
}
