package org.transformers4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.verify.ParityCheck;

/** Reading, writing and rejecting checkpoints. */
class CheckpointTest {
    @TempDir
    Path tmp;

    /** A safetensors file with the given header JSON and data bytes; headerLength overrides the length field. */
    Path file(String header, int dataBytes, Long headerLength) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength != null ? headerLength : h.length).put(h);
        Path f = Files.createTempFile(tmp, "bad", ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    static void rejects(String expected, Path f) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.open(f).close());
        assertTrue(e.getMessage().contains(expected), "message should mention '" + expected + "': " + e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), "message should name the file: " + e.getMessage());
    }

    @Test
    void corruptFilesAreRejectedWithTheirFault() throws IOException {
        String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        try (SafeTensors s = SafeTensors.open(file(ok, 8, null))) {
            assertEquals(List.of("a"), List.copyOf(s.names()));
        }
        rejects("runs past the end", file(ok, 8, 1_000_000L));
        rejects("too short", Files.write(tmp.resolve("short.safetensors"), new byte[3]));
        rejects("past the 8 bytes of data", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, null));
        rejects("unknown dtype F8_E9", file("{\"a\":{\"dtype\":\"F8_E9\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, null));
        rejects("overlap", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, null));
        rejects("span 4 bytes", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8, null));
        rejects("not valid JSON", file("{not json", 0, null));
        rejects("has no data_offsets", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, null));
    }

    @Test
    void halfPrecisionIsConvertedToFloat() throws IOException {
        // F16 1.5 = 0x3E00, BF16 -2.0 = 0xC000
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[2,4]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).putShort((short) 0x3E00).putShort((short) 0xC000);
        Path f = tmp.resolve("half.safetensors");
        Files.write(f, buf.array());
        try (SafeTensors s = SafeTensors.open(f); TensorArena a = TensorArena.confined()) {
            assertEquals(1.5f, s.load("h", a).getFloat(0));
            assertEquals(-2.0f, s.load("b", a).getFloat(0));
        }
    }

    @Test
    void missingOrMisshapenParametersAndUnknownModelTypesAreNamed() throws IOException {
        Path src = Fixtures.model("bert-mlm");
        try (SafeTensors s = SafeTensors.open(src.resolve("model.safetensors")); TensorArena a = TensorArena.confined();
             CpuBackend cpu = CpuBackend.create()) {
            Map<String, Tensor> all = new LinkedHashMap<>();
            for (String n : s.names()) {
                all.put(n, s.load(n, a));
            }
            Path missing = Files.createDirectories(tmp.resolve("missing"));
            Files.copy(src.resolve("config.json"), missing.resolve("config.json"));
            Map<String, Tensor> fewer = new LinkedHashMap<>(all);
            fewer.remove("bert.encoder.layer.1.output.dense.weight");
            SafeTensorsWriter.write(missing.resolve("model.safetensors"), fewer, Map.of());
            CheckpointException e = assertThrows(CheckpointException.class, () -> ModelRegistry.loadEncoder(missing, cpu));
            assertTrue(e.getMessage().contains("missing parameter bert.encoder.layer.1.output.dense.weight"), e.getMessage());

            Path misshapen = Files.createDirectories(tmp.resolve("misshapen"));
            Files.copy(src.resolve("config.json"), misshapen.resolve("config.json"));
            Map<String, Tensor> wrong = new LinkedHashMap<>(all);
            wrong.put("bert.encoder.layer.0.intermediate.dense.weight", a.zeros(99, 48));
            SafeTensorsWriter.write(misshapen.resolve("model.safetensors"), wrong, Map.of());
            e = assertThrows(CheckpointException.class, () -> ModelRegistry.loadEncoder(misshapen, cpu));
            assertTrue(e.getMessage().contains("bert.encoder.layer.0.intermediate.dense.weight has shape [99, 48]"),
                    e.getMessage());

            Path unknown = Files.createDirectories(tmp.resolve("unknown"));
            Files.writeString(unknown.resolve("config.json"), Files.readString(src.resolve("config.json"))
                    .replace("\"model_type\": \"bert\"", "\"model_type\": \"transformer-xl-9000\""));
            Files.copy(src.resolve("model.safetensors"), unknown.resolve("model.safetensors"));
            e = assertThrows(CheckpointException.class, () -> ModelRegistry.loadEncoder(unknown, cpu));
            assertTrue(e.getMessage().contains("unknown model_type transformer-xl-9000"), e.getMessage());
        }
    }

    @Test
    void badModelInputIsRejectedBeforeAnyKernel() {
        try (CpuBackend cpu = CpuBackend.create(); EncoderModel m = ModelRegistry.loadEncoder(Fixtures.model("bert-mlm"), cpu);
             TensorArena a = TensorArena.confined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(new EncoderInput(1, 3, new long[] {1, 1000, 2}, null, null), false, a));
            assertTrue(e.getMessage().contains("ids[1] = 1000 is outside the vocabulary [0, 1000)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(new EncoderInput(1, 65, new long[65], null, null), false, a));
            assertTrue(e.getMessage().contains("sequence of 65 tokens is longer than the 64 positions"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(new EncoderInput(1, 3, new long[3], new long[] {1, 2, 0}, null), false, a));
            assertTrue(e.getMessage().contains("attention mask[0, 1] = 2"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new EncoderInput(2, 3, new long[5], null, null));
            assertTrue(e.getMessage().contains("ids must have batch x seq = 6 entries"), e.getMessage());
        }
    }

    @Test
    void writtenCheckpointsReadBackAndStillMatchTheReference() throws IOException {
        Path src = Fixtures.model("roberta-mlm"), out = tmp.resolve("copy"); // a folder that does not exist yet
        try (Checkpoint c = Checkpoints.open(src)) {
            SafeTensorsWriter.writeCheckpoint(out, ModelConfig.read(src.resolve("config.json")).json(), c);
        }
        try (CpuBackend cpu = CpuBackend.create(); EncoderModel m = ModelRegistry.loadEncoder(out, cpu)) {
            for (ParityCheck.Result r : ParityCheck.encoder(m, src.resolve("reference.safetensors"))) {
                assertTrue(r.relativeError() <= 1e-4, r.toString());
            }
        }
        try (SafeTensors a = SafeTensors.open(src.resolve("model.safetensors"));
             SafeTensors b = SafeTensors.open(out.resolve("model.safetensors")); TensorArena arena = TensorArena.confined()) {
            assertEquals(a.names(), b.names());
            for (String n : a.names()) {
                assertArrayEquals(a.load(n, arena).toFloatArray(), b.load(n, arena).toFloatArray(), n);
            }
        }
    }

    @Test
    void aFailedWriteLeavesNothingBehind() throws IOException {
        Path target = tmp.resolve("never.safetensors");
        TensorArena closed = TensorArena.shared();
        Tensor t = closed.zeros(4);
        closed.close();
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(target, Map.of("t", t), Map.of()));
        assertFalse(Files.exists(target));
        try (Stream<Path> files = Files.list(tmp)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    @Test
    void shardedCheckpointsFollowTheIndex() throws IOException {
        Path src = Fixtures.model("distilbert-mlm"), dir = Files.createDirectories(tmp.resolve("sharded"));
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        try (SafeTensors s = SafeTensors.open(src.resolve("model.safetensors")); TensorArena a = TensorArena.confined()) {
            Map<String, Tensor> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
            StringBuilder map = new StringBuilder();
            for (String n : s.names()) {
                boolean one = n.contains("layer.0") || n.contains("embeddings");
                (one ? first : second).put(n, s.load(n, a));
                map.append(map.isEmpty() ? "" : ",").append('"').append(n).append("\":\"")
                        .append(one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors").append('"');
            }
            SafeTensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), first, Map.of());
            SafeTensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), second, Map.of());
            Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{" + map + "}}");
        }
        try (CpuBackend cpu = CpuBackend.create(); EncoderModel m = ModelRegistry.loadEncoder(dir, cpu)) {
            for (ParityCheck.Result r : ParityCheck.encoder(m, src.resolve("reference.safetensors"))) {
                assertTrue(r.relativeError() <= 1e-4, r.toString());
            }
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"vocab_projector.bias\":\"../elsewhere.safetensors\"}}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("not a file name in the checkpoint folder"), e.getMessage());
    }
}
