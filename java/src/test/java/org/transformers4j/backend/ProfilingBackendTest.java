package org.transformers4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** The profiling decorator: every op counted under its name and family, everything else passed through. */
class ProfilingBackendTest {

    @Test
    void countsEachOpAndPassesResultsAndErrorsThrough() {
        try (CpuBackend cpu = CpuBackend.create(); TensorArena a = TensorArena.confined()) {
            ProfilingBackend prof = new ProfilingBackend(cpu);
            Backend b = prof.backend();
            assertEquals(cpu.name() + "+profiling", b.name());
            assertEquals(cpu.device(), b.device());
            assertEquals(cpu.kernelProvider(), b.kernelProvider());

            Tensor x = a.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), w = a.of(new float[] {1, 0, 0, 0, 1, 0}, 2, 3);
            Tensor y = a.zeros(2, 2), g = a.of(new float[] {1, 1, 1}, 3), n = a.zeros(2, 3);
            b.linear(x, w, null, Activation.NONE, y);
            b.linear(x, w, null, Activation.RELU, y);
            b.layerNorm(x, null, null, g, null, 1e-5f, n);
            b.add(x, x, n);
            assertEquals(5f, y.getFloat(1, 1), "the op ran on the inner backend"); // x[1, 1]
            assertEquals(Map.of("add", 1L, "layerNorm", 1L, "linear", 2L), prof.callsByOperation());
            assertEquals(prof.nanosByOperation().keySet(), prof.callsByOperation().keySet());
            assertEquals(java.util.Set.of("gemm", "norm", "other"), prof.nanosByFamily().keySet());
            assertTrue(prof.report().contains("gemm"));

            // a bad argument fails as it does on the inner backend, and the call is still counted
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.add(x, a.zeros(3, 2), n));
            assertFalse(e.getMessage().isEmpty());
            assertEquals(2L, prof.callsByOperation().get("add"));

            prof.reset();
            assertTrue(prof.callsByOperation().isEmpty());
        }
    }

    @Test
    void familiesComeFromTheOpTable() {
        assertEquals("gemm", ProfilingBackend.family("matmul"));
        assertEquals("attention", ProfilingBackend.family("softmax"));
        assertEquals("norm", ProfilingBackend.family("rmsNorm"));
        assertEquals("other", ProfilingBackend.family("gatedActivation"));
        for (Op op : Op.values()) {
            assertEquals(op.family().name().toLowerCase(java.util.Locale.ROOT), ProfilingBackend.family(op.method()));
        }
    }
}
