package org.transformers4j.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.tensor.BFloat16;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.util.ResourceCache;

/**
 * Writes float32 tensors as a .safetensors file, and whole checkpoints as config.json +
 * model.safetensors. Each file is written under a temporary name beside its target and moved
 * into place only when complete, so a failure leaves no half-written file.
 */
public final class SafeTensorsWriter {
    private SafeTensorsWriter() {
    }

    /** Writes the tensors (sorted by name) with the given metadata. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Map<String, Tensor> sorted = new TreeMap<>(tensors);
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (var e : sorted.entrySet()) {
            Tensor t = e.getValue();
            boolean bf16 = t.dtype() == DType.BF16;
            if (t.dtype() != DType.F32 && !(bf16 && t.isContiguous())) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " is " + t.dtype()
                        + "; F32 and contiguous BF16 are written");
            }
            if (!t.isAlive()) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " belongs to a closed arena");
            }
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", bf16 ? "BF16" : "F32");
            JsonArray shape = new JsonArray();
            for (long d : t.shape().toArray()) {
                shape.add(d);
            }
            entry.add("shape", shape);
            long bytes = t.shape().elements() * t.dtype().byteSize();
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + bytes);
            entry.add("data_offsets", offsets);
            header.add(e.getKey(), entry);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // data starts 8-byte aligned, as the Hub's files do
        writeAtomically(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(padded).put(json);
                while (head.hasRemaining()) {
                    head.put((byte) ' ');
                }
                head.flip();
                writeFully(ch, head);
                for (Tensor t : sorted.values()) {
                    writeTensor(ch, t);
                }
            }
        });
    }

    /** What fills a temporary file. */
    @FunctionalInterface
    private interface FileFiller {
        void fill(Path tmp) throws IOException;
    }

    /** Fills a temporary file beside the target, then moves it into place; on failure removes it. */
    private static void writeAtomically(Path file, FileFiller filler) {
        Path tmp = null;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
            filler.fill(tmp);
            ResourceCache.moveIntoPlace(tmp, file);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    private static void writeTensor(FileChannel ch, Tensor t) throws IOException {
        if (t.isContiguous() && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            writeFully(ch, t.segment().asByteBuffer());
            return;
        }
        float[] v = t.toFloatArray();
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        writeFully(ch, b);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Writes config.json and model.safetensors (every parameter as float32) into dir. */
    public static void writeCheckpoint(Path dir, ModelConfig config, Checkpoint checkpoint) {
        writeCheckpoint(dir, config, checkpoint, DType.F32);
    }

    /**
     * Writes config.json and model.safetensors into dir: matrices (2-D parameters) as matrixType,
     * F32 or BF16 (rounded to nearest even, as torch rounds), everything else as float32.
     */
    public static void writeCheckpoint(Path dir, ModelConfig config, Checkpoint checkpoint, DType matrixType) {
        if (matrixType != DType.F32 && matrixType != DType.BF16) {
            throw new IllegalArgumentException("matrices are written as F32 or BF16, not " + matrixType);
        }
        try (TensorArena arena = TensorArena.confined()) {
            Map<String, Tensor> tensors = new TreeMap<>();
            for (String name : checkpoint.names()) {
                Tensor t = checkpoint.load(name, arena);
                tensors.put(name, matrixType == DType.BF16 && t.rank() == 2 ? BFloat16.rounded(t, arena) : t);
            }
            write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        }
        writeText(dir.resolve("config.json"), new com.google.gson.GsonBuilder().setPrettyPrinting().create()
                .toJson(config.json()) + "\n");
    }

    private static void writeText(Path file, String text) {
        writeAtomically(file, tmp -> Files.writeString(tmp, text));
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // nothing more to do: the temporary file is all that is left
            }
        }
    }
}
