package org.transformers4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** libgomp sees a bounded spin count once the CPU backend has loaded, unless the user chose one. */
class OpenMpSettingsTest {
    @Test
    void spinningIsBoundedUnlessTheUserChose() {
        try (CpuBackend backend = CpuBackend.create()) {
            String user = System.getenv("GOMP_SPINCOUNT"), policy = System.getenv("OMP_WAIT_POLICY");
            String seen = OpenMpSettings.cEnvironment("GOMP_SPINCOUNT");
            if (user == null && policy == null) {
                assertEquals(OpenMpSettings.SPIN_COUNT, seen, backend.kernelProvider());
            } else {
                assertEquals(user, seen, "the user's setting is left as it is");
            }
        }
    }

    /** setThreads holds for kernels called from any thread, not only the one that set it. */
    @Test
    void theThreadCountHoldsForEveryCallingThread() throws Exception {
        try (CpuBackend backend = CpuBackend.create()) {
            int before = backend.threads();
            try {
                backend.setThreads(1);
                int[] seen = new int[1];
                Thread other = Thread.ofPlatform().start(() -> seen[0] = backend.threads());
                other.join();
                assertEquals(1, seen[0], "a thread that did not call setThreads");
            } finally {
                backend.setThreads(before);
            }
        }
    }
}
