package org.transformers4j.checkpoint;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Map;
import java.util.TreeMap;
import org.transformers4j.tensor.BFloat16;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;
import org.transformers4j.util.ResourceCache;

/**
 * Writes float32 tensors (bfloat16 and int8 ones too) as a .safetensors file, and whole checkpoints
 * as config.json + model.safetensors (float32, bfloat16 matrices, or the int8 layout of
 * {@link Int8Layout}). Nothing is left half-written: each file is written under a temporary name
 * beside its target (with the permissions a new file gets, 0644 under the usual umask) and moved
 * into place only when complete; a checkpoint's two files are moved only when both are complete,
 * and the previous model.safetensors is put back if config.json cannot be moved after it. On
 * failure the temporary files are removed, and so is an output folder this created.
 */
public final class SafeTensorsWriter {
    private static final SecureRandom RANDOM = new SecureRandom();

    private SafeTensorsWriter() {
    }

    /**
     * Writes the tensors (sorted by name) with the given metadata; throws
     * {@link IllegalArgumentException} for a tensor that cannot be written and
     * {@link UncheckedIOException} naming the file and the reason when writing fails.
     *
     * @param file the file to write
     * @param tensors the tensors by name
     * @param metadata the header's __metadata__ (empty for none)
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Map<String, Tensor> sorted = new TreeMap<>(tensors);
        byte[] header = header(sorted, metadata);
        Path tmp = null;
        try {
            Path dir = createFolder(file.toAbsolutePath().getParent());
            tmp = temporary(dir, file.getFileName().toString());
            fill(tmp, header, sorted);
            ResourceCache.moveIntoPlace(tmp, file);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException(describe(file, e), e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** The length-prefixed JSON header, padded with spaces so that the data starts 8-byte aligned. */
    private static byte[] header(Map<String, Tensor> sorted, Map<String, String> metadata) {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (var e : sorted.entrySet()) {
            Tensor t = e.getValue();
            boolean bf16 = t.dtype() == DType.BF16, i8 = t.dtype() == DType.I8;
            if (t.dtype() != DType.F32 && !((bf16 || i8) && t.isContiguous())) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " is " + t.dtype()
                        + "; F32, and contiguous BF16 and I8, are written");
            }
            if (!t.isAlive()) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " belongs to a closed arena");
            }
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", bf16 ? "BF16" : i8 ? "I8" : "F32");
            JsonArray shape = new JsonArray();
            for (long d : t.shape().toArray()) {
                shape.add(d);
            }
            entry.add("shape", shape);
            long bytes = Math.multiplyExact(t.shape().elements(), (long) t.dtype().byteSize());
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + bytes);
            entry.add("data_offsets", offsets);
            header.add(e.getKey(), entry);
            offset = Math.addExact(offset, bytes);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // data starts 8-byte aligned, as the Hub's files do
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        return head.array();
    }

    private static void fill(Path tmp, byte[] header, Map<String, Tensor> sorted) throws IOException {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            writeFully(ch, ByteBuffer.wrap(header));
            for (Tensor t : sorted.values()) {
                writeTensor(ch, t);
            }
        }
    }

    private static void writeTensor(FileChannel ch, Tensor t) throws IOException {
        if (t.isContiguous() && (t.dtype() == DType.I8 || ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN)) {
            writeFully(ch, TensorMemory.host(t).asByteBuffer());
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

    /**
     * Writes config.json and model.safetensors (every parameter as float32) into dir.
     *
     * @param dir the folder to write
     * @param config the config.json to write
     * @param checkpoint the parameters
     * @throws IOException when a file cannot be written
     */
    public static void writeCheckpoint(Path dir, JsonObject config, Checkpoint checkpoint) throws IOException {
        writeCheckpoint(dir, config, checkpoint, DType.F32);
    }

    /**
     * Writes config (as config.json) and the checkpoint (as model.safetensors) into dir, creating
     * it if needed: matrices (2-D parameters) as matrixType, F32 or BF16 (rounded to nearest even,
     * as torch rounds), everything else as float32. With I8, the matrices {@link Int8Layout#quantizes}
     * chooses are written in the int8 layout (quantized per output channel as the CPU backend's
     * t4j_quantize_weights_int8 does, GPT-2's Conv1D weights turned output channels first), others
     * as float32, and parameters the checkpoint stores in int8 as they are; with F32 or BF16 those
     * are dequantized. Both files appear together or not at all; an {@link IOException} names the
     * file and the reason (dir is a file, permission denied, no space left on the device).
     *
     * @param dir the folder to write
     * @param config the config.json to write
     * @param checkpoint the parameters
     * @param matrixType the type weight matrices are stored in
     * @throws IOException when a file cannot be written
     */
    public static void writeCheckpoint(Path dir, JsonObject config, Checkpoint checkpoint, DType matrixType)
            throws IOException {
        if (matrixType != DType.F32 && matrixType != DType.BF16 && matrixType != DType.I8) {
            throw new IllegalArgumentException("matrices are written as F32, BF16 or I8, not " + matrixType);
        }
        boolean created = !Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
        Path folder = null, tmpModel = null, tmpConfig = null;
        boolean done = false;
        try (TensorArena arena = TensorArena.confined()) {
            folder = createFolder(dir);
            Map<String, Tensor> tensors = new TreeMap<>();
            String modelType = config.has("model_type") && config.get("model_type").isJsonPrimitive()
                    ? config.get("model_type").getAsString() : "";
            for (String name : checkpoint.names()) {
                if (isScaleOfInt8(checkpoint, name)) {
                    continue; // written with its matrix, or not at all
                }
                if (matrixType == DType.I8) {
                    Int8Writing.put(tensors, checkpoint, name, modelType, arena);
                    continue;
                }
                Tensor t = checkpoint.load(name, arena);
                tensors.put(name, matrixType == DType.BF16 && t.rank() == 2 ? BFloat16.rounded(t, arena) : t);
            }
            Map<String, String> metadata = new TreeMap<>(Map.of("format", "pt"));
            if (tensors.values().stream().anyMatch(t -> t.dtype() == DType.I8)) {
                metadata.put(Int8Layout.QUANTIZATION, Int8Layout.INT8);
                metadata.put(Int8Layout.ACTIVATIONS, checkpoint.int8PerTensorActivations() ? Int8Layout.PER_TENSOR
                        : Int8Layout.PER_ROW);
            }
            tmpModel = temporary(folder, "model.safetensors");
            fill(tmpModel, header(tensors, metadata), tensors);
            tmpConfig = temporary(folder, "config.json");
            Files.writeString(tmpConfig, new GsonBuilder().setPrettyPrinting().create().toJson(config) + "\n");
            moveBoth(tmpModel, folder.resolve("model.safetensors"), tmpConfig, folder.resolve("config.json"));
            done = true;
        } catch (IOException e) {
            throw new IOException(describe(dir, e), e);
        } finally {
            if (!done) {
                deleteQuietly(tmpModel);
                deleteQuietly(tmpConfig);
                if (created && folder != null) {
                    deleteQuietly(folder); // removed only while empty: a folder this made for a failed write
                }
            }
        }
    }

    /** NAME_scale beside a NAME stored in int8. */
    private static boolean isScaleOfInt8(Checkpoint checkpoint, String name) {
        if (!name.endsWith(Checkpoint.INT8_SCALE_SUFFIX)) {
            return false;
        }
        String base = name.substring(0, name.length() - Checkpoint.INT8_SCALE_SUFFIX.length());
        return checkpoint.has(base) && checkpoint.isInt8(base);
    }

    /** Moves both files into place; if the second cannot follow the first, the first target is restored. */
    private static void moveBoth(Path tmpModel, Path model, Path tmpConfig, Path config) throws IOException {
        Path backup = null;
        if (Files.exists(model, LinkOption.NOFOLLOW_LINKS)) {
            backup = temporary(model.getParent(), "model.safetensors.previous");
            ResourceCache.moveIntoPlace(model, backup);
        }
        try {
            ResourceCache.moveIntoPlace(tmpModel, model);
            try {
                ResourceCache.moveIntoPlace(tmpConfig, config);
            } catch (IOException e) {
                Files.deleteIfExists(model);
                throw new IOException(describe(config, e), e);
            }
        } catch (IOException e) {
            if (backup != null) {
                ResourceCache.moveIntoPlace(backup, model);
                backup = null;
            }
            throw e;
        } finally {
            deleteQuietly(backup);
        }
    }

    /** The folder, created if missing; a clear message when it is a file or cannot be made. */
    private static Path createFolder(Path dir) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new FileSystemException(dir.toString(), null, "exists and is not a folder");
        }
        return Files.createDirectories(dir);
    }

    /** A new, empty, hidden file beside the target, with the permissions any new file gets (umask applied). */
    private static Path temporary(Path dir, String target) throws IOException {
        while (true) {
            Path tmp = dir.resolve("." + target + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                // another name
            }
        }
    }

    /** "cannot write FILE: reason", with the reason in words where Java gives only a path. */
    static String describe(Path file, IOException e) {
        String message = e.getMessage();
        if (message != null && message.startsWith("cannot write ")) {
            return message;
        }
        String reason = switch (e) {
            case AccessDeniedException a -> (a.getFile() != null ? a.getFile() + ": " : "") + "permission denied";
            case NoSuchFileException n -> n.getFile() + ": no such file or folder";
            case NotDirectoryException n -> n.getFile() + ": not a folder";
            case FileSystemException f when f.getReason() != null -> (f.getFile() != null ? f.getFile() + ": " : "")
                    + f.getReason();
            default -> message;
        };
        return "cannot write " + file + ": " + reason;
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // nothing more to do: a temporary file (or a non-empty folder) is all that is left
            }
        }
    }
}
