package org.transformers4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.transformers4j.tensor.internal.TensorMemory;

class TensorTest {
    @Test
    void viewsShareMemoryAndKeepStrides() {
        try (TensorArena a = TensorArena.confined()) {
            float[] v = new float[24];
            for (int i = 0; i < v.length; i++) {
                v[i] = i;
            }
            Tensor t = a.of(v, 2, 3, 4);
            assertTrue(t.isContiguous());
            Tensor n = t.narrow(2, 1, 2);
            assertFalse(n.isContiguous());
            assertArrayEquals(new long[] {12, 4, 1}, n.strides());
            assertArrayEquals(new float[] {1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22}, n.toFloatArray());
            n.setFloat(-1f, 1, 2, 1);
            assertEquals(-1f, t.getFloat(1, 2, 2));
            assertEquals(Shape.of(6, 4), t.reshape(6, 4).shape());
            assertEquals(4 * 24, TensorMemory.host(t).byteSize());
            assertEquals(10 * 4, TensorMemory.host(n.narrow(0, 1, 1)).byteSize()); // [1, 3, 2] over strides [12, 4, 1]
        }
    }

    @Test
    void closingTheArenaEndsTheTensors() {
        TensorArena a = TensorArena.shared();
        Tensor t = a.zeros(5);
        assertTrue(t.isAlive());
        a.close();
        assertFalse(t.isAlive());
        assertFalse(a.isOpen());
    }

    /** Device memory is never read on the host: every host accessor refuses a GPU tensor by name. */
    @Test
    void deviceTensorsRefuseHostAccess() {
        try (SimulatedGpuBackend gpu = SimulatedGpuBackend.create(); TensorArena dev = gpu.longLived();
             TensorArena host = TensorArena.confined()) {
            Tensor t = dev.zeros(3, 4);
            assertEquals(SimulatedGpuBackend.DEVICE, t.device());
            for (Runnable r : new Runnable[] {() -> t.getFloat(0, 0), t::toFloatArray, () -> TensorMemory.host(t),
                () -> t.setFloat(1f, 0, 0), () -> t.copyFrom(new float[12])}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
                assertTrue(e.getMessage().contains("is on cuda:9"), e.getMessage());
            }
            assertThrows(IllegalArgumentException.class, () -> dev.of(new float[] {1f}, 1));
            assertThrows(IllegalArgumentException.class, () -> dev.ofLongs(new long[] {1}, 1));
            Tensor back = gpu.toHost(gpu.floats(new float[] {1, 2, 3}, dev, 3), host);
            assertArrayEquals(new float[] {1, 2, 3}, back.toFloatArray());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> gpu.add(host.zeros(3), t.reshape(12).narrow(0, 0, 3), dev.empty(3)));
            assertTrue(e.getMessage().contains("reached the simulated GPU"), e.getMessage());
        }
    }
    /**
     * A closed arena refuses to allocate with a message saying so, before anything is taken: a
     * pooled arena used to lease a slab of the pool first and strand it (64 MiB a call), and one
     * used from another thread than its own would do the same.
     */
    @Test
    void aClosedOrForeignArenaRefusesToAllocateAndKeepsNoMemory() throws Exception {
        for (TensorArena dead : new TensorArena[] {TensorArena.pooled(), TensorArena.confined(), TensorArena.shared()}) {
            dead.close();
            long before = TensorArena.poolBytes();
            for (int i = 0; i < 4; i++) {
                var e = assertThrows(IllegalStateException.class, () -> dead.empty(1 << 20));
                assertTrue(e.getMessage().contains("is closed"), e.getMessage());
                assertThrows(IllegalStateException.class, () -> dead.zeros(3));
            }
            assertTrue(TensorArena.poolBytes() <= before, "the pool grew from " + before + " to "
                    + TensorArena.poolBytes() + " bytes");
        }
        try (TensorArena mine = TensorArena.pooled()) {
            long before = TensorArena.poolBytes();
            var thrown = new java.util.concurrent.atomic.AtomicReference<Throwable>();
            Thread other = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 4; i++) {
                    try {
                        mine.empty(1 << 20);
                    } catch (Throwable t) {
                        thrown.set(t);
                    }
                }
            });
            other.join();
            assertTrue(thrown.get() instanceof WrongThreadException, "from another thread: " + thrown.get());
            assertTrue(TensorArena.poolBytes() <= before, "the pool grew from " + before + " to "
                    + TensorArena.poolBytes() + " bytes");
        }
    }
}
