package org.transformers4j.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * One {@code .safetensors} file, memory-mapped: an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets}}, then the data. Every entry is checked when the
 * file opens (dtype known, offsets inside the data, sizes matching shapes, no overlaps); float32
 * tensors are viewed in place, F16 and BF16 are converted to float32 (or BF16 viewed in place, for
 * a backend that keeps weights in bfloat16: {@link #viewBf16}).
 */
public final class SafeTensors implements Checkpoint {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One stored tensor: dtype name as in the file, shape, and its byte range in the data. */
    record Entry(String dtype, Shape shape, long begin, long end) {
    }

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, Arena arena, MemorySegment data, Map<String, Entry> entries,
                        Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Maps and checks the file; throws {@link CheckpointException} naming the file and the fault. */
    public static SafeTensors open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(file + ": " + size + " bytes is too short for a safetensors header");
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = all.get(LONG_LE, 0);
            if (headerLen < 2 || headerLen > size - 8) {
                throw new CheckpointException(file + ": header length " + headerLen + " runs past the end of the "
                        + size + "-byte file (truncated or not a safetensors file)");
            }
            byte[] header = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = all.asSlice(8 + headerLen);
            Map<String, String> meta = new LinkedHashMap<>();
            Map<String, Entry> entries = parseHeader(file, new String(header, StandardCharsets.UTF_8), data.byteSize(), meta);
            return new SafeTensors(file, arena, data, entries, meta);
        } catch (IOException e) {
            arena.close();
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, Entry> parseHeader(Path file, String json, long dataSize, Map<String, String> meta) {
        JsonObject root;
        try {
            root = JsonParser.parseString(json).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new CheckpointException(file + ": the header is not a JSON object: " + e.getMessage(), e);
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : root.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                e.getValue().getAsJsonObject().entrySet().forEach(m -> meta.put(m.getKey(), m.getValue().getAsString()));
                continue;
            }
            entries.put(e.getKey(), parseEntry(file, e.getKey(), e.getValue(), dataSize));
        }
        checkNoOverlap(file, entries);
        return Collections.unmodifiableMap(entries);
    }

    private static Entry parseEntry(Path file, String name, JsonElement value, long dataSize) {
        try {
            JsonObject o = value.getAsJsonObject();
            String dtype = o.get("dtype").getAsString();
            int bytes = dtypeBytes(file, name, dtype);
            var dims = o.getAsJsonArray("shape");
            long[] shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.get(i).getAsLong();
            }
            var off = o.getAsJsonArray("data_offsets");
            long begin = off.get(0).getAsLong(), end = off.get(1).getAsLong();
            Shape s;
            try {
                s = Shape.of(shape);
            } catch (IllegalArgumentException ex) {
                throw new CheckpointException(file + ": tensor " + name + " has a negative dimension");
            }
            if (begin < 0 || end < begin || end > dataSize) {
                throw new CheckpointException(file + ": tensor " + name + " has data_offsets [" + begin + ", " + end
                        + "] outside the " + dataSize + " bytes of data");
            }
            if (Math.multiplyExact(s.elements(), (long) bytes) != end - begin) {
                throw new CheckpointException(file + ": tensor " + name + " is " + dtype + s + " ("
                        + s.elements() * bytes + " bytes) but its data_offsets span " + (end - begin) + " bytes");
            }
            return new Entry(dtype, s, begin, end);
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CheckpointException(file + ": tensor " + name + " has a malformed header entry: " + e.getMessage(), e);
        }
    }

    private static int dtypeBytes(Path file, String name, String dtype) {
        return switch (dtype) {
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "F64", "I64", "U64" -> 8;
            case "I8", "U8", "BOOL" -> 1;
            default -> throw new CheckpointException(file + ": tensor " + name + " has unknown dtype " + dtype);
        };
    }

    private static void checkNoOverlap(Path file, Map<String, Entry> entries) {
        List<Map.Entry<String, Entry>> sorted = new ArrayList<>(entries.entrySet());
        sorted.sort((a, b) -> Long.compare(a.getValue().begin(), b.getValue().begin()));
        for (int i = 1; i < sorted.size(); i++) {
            var prev = sorted.get(i - 1);
            var cur = sorted.get(i);
            if (cur.getValue().begin() < prev.getValue().end() && cur.getValue().end() > cur.getValue().begin()) {
                throw new CheckpointException(file + ": tensors " + prev.getKey() + " and " + cur.getKey()
                        + " overlap in the data");
            }
        }
    }

    @Override
    public Set<String> names() {
        return entries.keySet();
    }

    @Override
    public Shape shape(String name) {
        return entry(name).shape();
    }

    /** The dtype of a parameter as the file names it (F32, F16, BF16, I64, ...). */
    public String dtype(String name) {
        return entry(name).dtype();
    }

    /** The file's {@code __metadata__} strings. */
    public Map<String, String> metadata() {
        return metadata;
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new CheckpointException(file + ": no tensor named " + name);
        }
        return e;
    }

    @Override
    public Tensor load(String name, TensorArena into) {
        Entry e = entry(name);
        long[] dims = e.shape().toArray();
        MemorySegment src = data.asSlice(e.begin(), e.end() - e.begin());
        long n = e.shape().elements();
        switch (e.dtype()) {
            case "F32" -> {
                return LittleEndianFloats.load(src, dims, into);
            }
            case "F16", "BF16" -> {
                Tensor t = into.allocate(DType.F32, dims);
                MemorySegment dst = t.segment();
                boolean bf16 = e.dtype().equals("BF16");
                for (long i = 0; i < n; i++) {
                    short h = src.get(SHORT_LE, i * 2);
                    dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, bf16 ? Float.intBitsToFloat((h & 0xffff) << 16)
                            : Float.float16ToFloat(h));
                }
                return t;
            }
            default -> throw new CheckpointException(file + ": tensor " + name + " is " + e.dtype()
                    + ", which cannot be loaded as float32 parameters");
        }
    }

    @Override
    public Tensor viewBf16(String name, TensorArena into) {
        Entry e = entry(name);
        MemorySegment src = data.asSlice(e.begin(), e.end() - e.begin());
        if (!e.dtype().equals("BF16") || src.address() % 2 != 0 || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return null;
        }
        return into.wrap(src, DType.BF16, e.shape().toArray());
    }

    /** An integer tensor (I64 or I32) as a long array, for reference inputs such as token ids. */
    public long[] loadLongs(String name) {
        Entry e = entry(name);
        MemorySegment src = data.asSlice(e.begin(), e.end() - e.begin());
        long[] out = new long[Math.toIntExact(e.shape().elements())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (e.dtype()) {
                case "I64" -> src.get(LONG_LE, i * 8L);
                case "I32" -> src.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 4L);
                default -> throw new CheckpointException(file + ": tensor " + name + " is " + e.dtype() + ", not an integer type");
            };
        }
        return out;
    }

    @Override
    public String source() {
        return file.toString();
    }

    @Override
    public void close() {
        arena.close();
    }
}
