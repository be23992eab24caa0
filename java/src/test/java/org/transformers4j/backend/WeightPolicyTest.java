package org.transformers4j.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.checkpoint.StoredTensor;
import org.transformers4j.tensor.BFloat16;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.SimulatedGpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * The weight type policy, {@link Backend#weightMatrix(StoredTensor, TensorArena)}: which form each
 * backend takes a stored matrix in, and whether it copies it.
 */
class WeightPolicyTest {
    static CpuBackend f32;
    static CpuBackend bf16;
    @TempDir
    static Path dir;
    static Path file;
    static Path floats;

    @BeforeAll
    static void write() {
        f32 = CpuBackend.create();
        bf16 = CpuBackend.withBf16Weights();
        file = dir.resolve("w.safetensors");
        try (TensorArena a = TensorArena.confined()) {
            Tensor w = a.of(new float[] {1.5f, -2f, 0.25f, 3f, 4f, -0.5f}, 2, 3); // exact in bfloat16
            Tensor v = a.of(new float[] {7f, 8f, 9f}, 1, 3);
            SafeTensorsWriter.write(file, Map.of("w", w, "w16", BFloat16.rounded(w, a), "v16", BFloat16.rounded(v, a),
                    "v", v), Map.of());
            floats = dir.resolve("f32.safetensors"); // float32 only: every tensor aligned, so viewed in place
            SafeTensorsWriter.write(floats, Map.of("w", w), Map.of());
        }
    }

    @AfterAll
    static void close() {
        f32.close();
        bf16.close();
    }

    @Test
    void aFloat32BackendViewsFloat32MatricesInPlace() {
        try (SafeTensors aligned = SafeTensors.open(floats); TensorArena a = TensorArena.shared()) {
            Tensor w = f32.weightMatrix(aligned.view("w"), a);
            assertEquals(DType.F32, w.dtype());
            assertEquals(TensorMemory.host(aligned.load("w", a)).address(), TensorMemory.host(w).address(), "no copy");
        }
        try (SafeTensors c = SafeTensors.open(file); TensorArena a = TensorArena.shared()) {
            Tensor w = f32.weightMatrix(c.view("w"), a);
            Tensor widened = f32.weightMatrix(c.view("w16"), a);
            assertEquals(DType.F32, widened.dtype());
            assertArrayEquals(w.toFloatArray(), widened.toFloatArray());
        }
    }

    @Test
    void aBfloat16BackendViewsBfloat16MatricesInPlaceAndRoundsFloat32Ones() {
        try (SafeTensors c = SafeTensors.open(file); TensorArena a = TensorArena.shared()) {
            Tensor inPlace = bf16.weightMatrix(c.view("w16"), a);
            assertEquals(DType.BF16, inPlace.dtype());
            assertEquals(TensorMemory.host(c.view("w16").inPlace(DType.BF16, a).orElseThrow()).address(),
                    TensorMemory.host(inPlace).address(), "the file's bytes, no copy");
            Tensor rounded = bf16.weightMatrix(c.view("w"), a);
            assertEquals(DType.BF16, rounded.dtype());
            assertEquals(TensorMemory.host(inPlace).asByteBuffer(), TensorMemory.host(rounded).asByteBuffer());
            assertTrue(c.view("w").inPlace(DType.BF16, a).isEmpty(), "float32 is not bfloat16");
        }
    }

    @Test
    void stackedRowsKeepTheFormAllPartsShare() {
        try (SafeTensors c = SafeTensors.open(file); TensorArena a = TensorArena.shared()) {
            Tensor both16 = bf16.weightMatrix(StoredTensor.stackRows(List.of(c.view("w16"), c.view("v16"))), a);
            assertEquals(DType.BF16, both16.dtype());
            assertArrayEquals(new long[] {3, 3}, both16.shape().toArray());
            Tensor mixed = bf16.weightMatrix(StoredTensor.stackRows(List.of(c.view("w16"), c.view("v"))), a);
            assertEquals(TensorMemory.host(both16).asByteBuffer(), TensorMemory.host(mixed).asByteBuffer(),
                    "a float32 part makes the stack go through float32, rounded to the same values");
            Tensor stacked = f32.weightMatrix(StoredTensor.stackRows(List.of(c.view("w"), c.view("v"))), a);
            assertArrayEquals(new float[] {1.5f, -2f, 0.25f, 3f, 4f, -0.5f, 7f, 8f, 9f}, stacked.toFloatArray());
            var e = assertThrows(IllegalArgumentException.class,
                    () -> StoredTensor.stackRows(List.of(c.view("w"), StoredTensor.ofValues("x", new float[2], 1, 2))));
            assertTrue(e.getMessage().contains("cannot stack x of shape [1, 2]"), e.getMessage());
        }
    }

    @Test
    void computedValuesTakeTheWeightType() {
        try (TensorArena a = TensorArena.shared()) {
            StoredTensor values = StoredTensor.ofValues("t", new float[] {1f, 2f, 3f, 4f}, 2, 2);
            assertEquals(DType.F32, f32.weightMatrix(values, a).dtype());
            assertEquals(DType.BF16, bf16.weightMatrix(values, a).dtype());
            var e = assertThrows(IllegalArgumentException.class, () -> StoredTensor.ofValues("t", new float[3], 2, 2));
            assertTrue(e.getMessage().contains("3 values for shape [2, 2]"), e.getMessage());
        }
    }

    @Test
    void aDeviceBackendGetsOneCopyOnTheDevice() {
        try (SafeTensors c = SafeTensors.open(file); SimulatedGpuBackend gpu = SimulatedGpuBackend.create();
             TensorArena dev = gpu.longLived(); TensorArena host = TensorArena.confined()) {
            long before = gpu.bytesAllocated();
            Tensor w = gpu.weightMatrix(c.view("w16"), dev);
            assertEquals(SimulatedGpuBackend.DEVICE, w.device());
            assertNotEquals(before, gpu.bytesAllocated());
            assertArrayEquals(new float[] {1.5f, -2f, 0.25f, 3f, 4f, -0.5f}, gpu.toHost(w, host).toFloatArray());
            Tensor v = gpu.parameter(c.view("v"), dev);
            assertArrayEquals(new float[] {7f, 8f, 9f}, gpu.toHost(v, host).toFloatArray());
        }
    }
}
