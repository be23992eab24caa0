package org.transformers4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.transformers4j.bindings.cpu.t4j_h.T4J_ERR_NULL;
import static org.transformers4j.bindings.cpu.t4j_h.T4J_ERR_SIZE;
import static org.transformers4j.bindings.cuda.t4j_cuda_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.Backends;
import org.transformers4j.bindings.cpu.t4j_attention_params;
import org.transformers4j.tensor.Device;

class CudaTest {

    @Test
    void availabilitySaysWhatIsMissing() {
        Cuda.Availability a = Cuda.availability();
        if (a.usable()) {
            assertTrue(a.devices() > 0, a.detail());
        } else {
            assertTrue(a.detail().matches("(?s).*(CUDA runtime|GPU|cuBLAS|libt4j_cuda).*"), a.detail());
        }
    }

    @Test
    void aGpuDeviceWithoutAGpuBackendRunsOnTheCpu() {
        try (Backend b = Backends.create(Device.parse("cuda:0"))) {
            assertEquals(Device.CPU, b.device());
            assertEquals("cpu", b.name());
        }
    }

    @Test
    void searchPathHoldsOnlyFolders() {
        for (var dir : Cuda.searchPath()) {
            assertTrue(java.nio.file.Files.isDirectory(dir), dir.toString());
        }
    }

    /**
     * Where the CUDA runtime and libt4j_cuda load (CI builds the library wherever nvcc is), the
     * kernels' argument checks answer before anything touches a GPU: this binding works without one.
     */
    @Test
    void kernelArgumentChecksAnswerWithoutAGpu() {
        Cuda.availability(); // loads libcudart where there is one
        assumeTrue(Cuda.find(Cuda.searchPath(), "libcudart.so") != null, "no CUDA runtime here");
        assumeTrue(Cuda.loadKernels() == null, "this build has no libt4j_cuda");
        assertTrue(t4j_cuda_version() >= 10000);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = t4j_attention_params.allocate(arena);
            t4j_attention_params.batch(p, 1);
            t4j_attention_params.q_len(p, 4);
            t4j_attention_params.kv_len(p, 4);
            t4j_attention_params.heads(p, 2);
            t4j_attention_params.kv_heads(p, 2);
            t4j_attention_params.head_dim(p, 300);
            MemorySegment fake = MemorySegment.ofAddress(4096); // never dereferenced: the checks come first
            assertEquals(T4J_ERR_SIZE(), t4j_cuda_attention(T4J_F16(), p, fake, fake, fake, fake,
                    MemorySegment.NULL, 0, MemorySegment.NULL));
            t4j_attention_params.head_dim(p, 64);
            assertEquals(T4J_ERR_NULL(), t4j_cuda_attention(T4J_F16(), p, MemorySegment.NULL, fake, fake, fake,
                    MemorySegment.NULL, 0, MemorySegment.NULL));
            assertEquals(T4J_ERR_SIZE(), t4j_cuda_layer_norm(T4J_F32(), fake, MemorySegment.NULL,
                    MemorySegment.NULL, fake, fake, MemorySegment.NULL, 3, 0, 1e-5f, MemorySegment.NULL));
            MemorySegment dims = arena.allocateFrom(ValueLayout.JAVA_LONG, 2, 3, 4, 5); // host arrays, read
            MemorySegment strides = arena.allocateFrom(ValueLayout.JAVA_LONG, 60, 20, 5, 1);
            assertEquals(T4J_ERR_DTYPE(), t4j_cuda_copy(3, fake, strides, fake, strides, dims, MemorySegment.NULL));
        }
    }
}
