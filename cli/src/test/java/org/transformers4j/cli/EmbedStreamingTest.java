package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.transformers4j.backend.Backend;

/** embed reads standard input in batches and writes each batch when it is ready. */
class EmbedStreamingTest {
    static final int DIM = 384;

    /** Lines "line 0" .. "line n-1", made as they are read: the input itself takes no memory. */
    static InputStream lines(int n) {
        return new InputStream() {
            int next;
            byte[] line = new byte[0];
            int pos;

            @Override
            public int read() {
                if (pos == line.length) {
                    if (next == n) {
                        return -1;
                    }
                    line = ("line " + next++ + "\n").getBytes(StandardCharsets.UTF_8);
                    pos = 0;
                }
                return line[pos++];
            }
        };
    }

    /** Counts output lines and, at chosen counts, the heap in use after a collection. */
    static final class HeapProbe extends OutputStream {
        final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        final List<Long> heapAfterGc = new ArrayList<>();
        long lines;

        @Override
        public void write(int b) {
            if (b == '\n' && ++lines % 10_000 == 0) {
                System.gc();
                heapAfterGc.add(memory.getHeapMemoryUsage().getUsed());
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }
    }

    /** A stand-in of the model's width: each text's vector from its hash, as fast as the output can be written. */
    static final BiFunction<Io, Backend, EmbedCommand.Embedder> STAND_IN = (io, backend) -> new EmbedCommand.Embedder() {
        @Override
        public float[][] embed(List<String> texts) {
            float[][] v = new float[texts.size()][DIM];
            for (int i = 0; i < v.length; i++) {
                java.util.Arrays.fill(v[i], texts.get(i).hashCode() * 1e-9f);
            }
            return v;
        }

        @Override
        public void close() {
        }
    };

    /**
     * 100,000 lines (about 460 MB of JSON out): the heap in use after a collection, sampled every
     * 10,000 lines, may not grow by more than 4 MB from the first sample to the last. Reading all
     * lines first, or keeping the vectors, would hold over 150 MB.
     */
    @Test
    void aHundredThousandLinesRunInFlatMemory() {
        BiFunction<Io, Backend, EmbedCommand.Embedder> saved = EmbedCommand.embedders;
        EmbedCommand.embedders = STAND_IN;
        try {
            HeapProbe probe = new HeapProbe();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.run(new String[] {"embed"}, lines(100_000), new PrintStream(probe, false, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
            assertEquals(100_000, probe.lines);
            List<Long> heap = probe.heapAfterGc;
            assertEquals(10, heap.size());
            long growth = heap.stream().mapToLong(Long::longValue).max().orElseThrow() - heap.get(0);
            assertTrue(growth < 4 << 20, "heap after GC every 10,000 lines grew by " + growth + " bytes: " + heap);
        } finally {
            EmbedCommand.embedders = saved;
        }
    }

    /** With the real model: the first batch comes out while standard input is still open. */
    @Test
    void theFirstBatchIsWrittenBeforeTheInputEnds() throws Exception {
        PipedOutputStream feed = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(feed, 1 << 16);
        PipedInputStream outRead = new PipedInputStream(1 << 20);
        PrintStream out = new PrintStream(new PipedOutputStream(outRead), false, StandardCharsets.UTF_8);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
            try (out) {
                return Main.run(new String[] {"embed", "--batch-size", "4"}, in, out,
                        new PrintStream(err, true, StandardCharsets.UTF_8));
            }
        });
        feed.write("first\nsecond\nthird\nfourth\nfifth\n".getBytes(StandardCharsets.UTF_8));
        feed.flush();
        var reader = new java.io.BufferedReader(new java.io.InputStreamReader(outRead, StandardCharsets.UTF_8));
        for (String want : new String[] {"first", "second", "third", "fourth"}) {
            String line = reader.readLine(); // blocks until the batch is written: the input is still open
            assertEquals(want, JsonParser.parseString(line).getAsJsonObject().get("text").getAsString());
        }
        feed.close();
        assertEquals("fifth", JsonParser.parseString(reader.readLine()).getAsJsonObject().get("text").getAsString());
        assertEquals(0, run.get(5, TimeUnit.MINUTES), err.toString(StandardCharsets.UTF_8));
    }
}
