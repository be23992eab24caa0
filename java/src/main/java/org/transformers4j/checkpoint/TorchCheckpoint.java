package org.transformers4j.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.transformers4j.checkpoint.TorchPickle.StorageType;
import org.transformers4j.checkpoint.TorchPickle.TensorSpec;
import org.transformers4j.checkpoint.files.SafeFiles;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * PyTorch weights as torch.save writes them since PyTorch 1.6 ({@code pytorch_model.bin}), or
 * several such files mapped by {@code pytorch_model.bin.index.json}. The file is a zip whose
 * entries are stored uncompressed: {@code ARCHIVE/data.pkl} pickles the state dict,
 * {@code ARCHIVE/data/KEY} holds the raw little-endian bytes of storage KEY. The file is
 * memory-mapped; the pickle is read by a restricted reader that executes nothing and accepts only
 * what torch.save writes for a state dict ({@link TorchPickle}). Each tensor is a view of a
 * storage (offset, size, stride, all checked against the storage when the file opens): a
 * contiguous aligned float32 view is used in place, anything else (float16, bfloat16, strided
 * views such as a saved transpose) is copied to float32. Tied weights share one storage.
 */
public final class TorchCheckpoint implements Checkpoint {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** The cap on data.pkl: torch.save writes about 90 bytes a tensor, so this is over 700,000 tensors. */
    private static final long MAX_PICKLE_BYTES = 64L << 20;
    private static final int MAX_RANK = 64;

    /** One tensor: where it came from (for messages), its view and the bytes of its storage. */
    private record Entry(Path file, String storageEntry, TensorSpec spec, Shape shape, MemorySegment storage) {
        StorageType type() {
            return spec.storage().type();
        }
    }

    private final Path source;
    private final List<Arena> arenas;
    private final Map<String, Entry> entries;

    private TorchCheckpoint(Path source, List<Arena> arenas, Map<String, Entry> entries) {
        this.source = source;
        this.arenas = arenas;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /**
     * {@return {@link #open(Path, LoadMode)} in the default mode ({@link LoadMode#byDefault()})}
     *
     * @param file the .bin file
     */
    public static TorchCheckpoint open(Path file) {
        return open(file, LoadMode.byDefault());
    }

    /**
     * Reads a torch.save file (copied into owned memory or mapped, as mode says) and its state
     * dict; throws {@link CheckpointException} naming the file (and the zip entry, tensor or pickle
     * byte) when it is not one or is damaged.
     *
     * @param file the .bin file
     * @param mode how the bytes are held
     * @return the checkpoint
     */
    public static TorchCheckpoint open(Path file, LoadMode mode) {
        Arena arena = Arena.ofShared();
        try {
            return new TorchCheckpoint(file, List.of(arena), read(file, mode, arena));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Opens every file that a {@code pytorch_model.bin.index.json} weight_map names (file names
     * in the index's folder) and checks that each mapped tensor is in its file.
     *
     * @param index the index file
     * @return the checkpoint
     */
    public static TorchCheckpoint openIndex(Path index) {
        return openIndex(index, LoadMode.byDefault());
    }

    /**
     * {@return {@link #openIndex(Path)}, each shard held as mode says}
     *
     * @param index the index file
     * @param mode how each shard is held
     */
    public static TorchCheckpoint openIndex(Path index, LoadMode mode) {
        List<Arena> arenas = new ArrayList<>();
        try {
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, Map<String, Entry>> shards = new LinkedHashMap<>();
            for (var e : weightMap(index).entrySet()) {
                String file = shardName(index, e.getKey(), e.getValue());
                Map<String, Entry> shard = shards.get(file);
                if (shard == null) {
                    Arena arena = Arena.ofShared();
                    arenas.add(arena);
                    shard = read(index.resolveSibling(file), mode, arena);
                    shards.put(file, shard);
                }
                Entry entry = shard.get(e.getKey());
                if (entry == null) {
                    throw new CheckpointException(index + ": tensor " + e.getKey() + " is mapped to " + file
                            + ", which does not contain it");
                }
                entries.put(e.getKey(), entry);
            }
            return new TorchCheckpoint(index, List.copyOf(arenas), entries);
        } catch (RuntimeException e) {
            arenas.forEach(Arena::close);
            throw e;
        }
    }

    private static JsonObject weightMap(Path index) {
        String text = SafeFiles.readText(index, "weights index", SafeFiles.MAX_JSON_BYTES);
        try {
            JsonElement map = JsonParser.parseString(text).getAsJsonObject().get("weight_map");
            if (map == null || !map.isJsonObject()) {
                throw new CheckpointException(index + ": no weight_map object");
            }
            return map.getAsJsonObject();
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CheckpointException(index + ": malformed index: " + e.getMessage(), e);
        }
    }

    private static String shardName(Path index, String tensor, JsonElement value) {
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            throw new CheckpointException(index + ": tensor " + tensor + " is mapped to " + value + ", not a file name");
        }
        String file = value.getAsString();
        if (file.isEmpty() || file.contains("/") || file.contains("\\") || file.startsWith(".") || file.indexOf(0) >= 0) {
            throw new CheckpointException(index + ": shard " + TorchPickle.printable(file)
                    + " is not a file name in the checkpoint folder");
        }
        return file;
    }

    /** Reads the file into arena (copied or mapped) and every tensor of its state dict. */
    private static Map<String, Entry> read(Path file, LoadMode mode, Arena arena) {
        MemorySegment all = FileBytes.load(file, "PyTorch weights file", mode, arena);
        if (!StoredZip.looksLikeZip(all)) {
            boolean pickle = all.byteSize() > 0 && all.get(ValueLayout.JAVA_BYTE, 0) == (byte) 0x80;
            throw new CheckpointException(file + ": not a zip archive" + (pickle
                    ? ": this is torch.save's legacy format (PyTorch before 1.6), which is not read; re-save it "
                    + "with a newer PyTorch or convert it to safetensors" : " (torch.save writes a zip since PyTorch 1.6)"));
        }
        StoredZip zip = StoredZip.read(file, all);
        String prefix = archivePrefix(zip);
        checkByteOrder(zip, prefix);
        MemorySegment pkl = zip.find(prefix + "data.pkl");
        if (pkl.byteSize() > MAX_PICKLE_BYTES) {
            throw new CheckpointException(file + ": " + prefix + "data.pkl is " + pkl.byteSize()
                    + " bytes, more than the " + MAX_PICKLE_BYTES + " a state dict's pickle takes");
        }
        Map<String, TensorSpec> specs = TorchPickle.read(pkl.toArray(ValueLayout.JAVA_BYTE), file + ": " + prefix + "data.pkl");
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (var e : specs.entrySet()) {
            entries.put(e.getKey(), entry(zip, prefix, e.getKey(), e.getValue()));
        }
        return entries;
    }

    /** The folder inside the zip holding data.pkl ("archive/" or the saved file's name). */
    private static String archivePrefix(StoredZip zip) {
        List<String> found = new ArrayList<>();
        boolean script = false;
        for (String name : zip.names()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.indexOf('/', slash + 1) < 0 && name.endsWith("/data.pkl")) {
                found.add(name.substring(0, slash + 1));
            }
            script |= name.endsWith("/constants.pkl") || name.contains("/code/");
        }
        if (found.size() == 1) {
            return found.get(0);
        }
        if (found.isEmpty()) {
            throw new CheckpointException(zip.file() + ": no ARCHIVE/data.pkl entry in the zip: not a torch.save file"
                    + (script ? " (this looks like a TorchScript archive, which is not read)" : ""));
        }
        throw new CheckpointException(zip.file() + ": several data.pkl entries in the zip (" + found + ")");
    }

    /** torch.save writes "little" into ARCHIVE/byteorder since PyTorch 2.1 (and nothing before, meaning little). */
    private static void checkByteOrder(StoredZip zip, String prefix) {
        MemorySegment order = zip.find(prefix + "byteorder");
        if (order == null) {
            return;
        }
        String text = order.byteSize() > 16 ? "(" + order.byteSize() + " bytes)"
                : new String(order.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1).strip();
        if (!text.equals("little")) {
            throw new CheckpointException(zip.file() + ": " + prefix + "byteorder is '" + TorchPickle.printable(text)
                    + "'; only little-endian storages are read");
        }
    }

    /** Finds the tensor's storage in the zip and checks its size and the view against it. */
    private static Entry entry(StoredZip zip, String prefix, String name, TensorSpec spec) {
        var storage = spec.storage();
        String entryName = prefix + "data/" + storage.key();
        String where = zip.file() + ": tensor " + TorchPickle.printable(name) + " (storage entry "
                + TorchPickle.printable(entryName) + ")";
        MemorySegment bytes = zip.find(entryName);
        if (bytes == null) {
            throw new CheckpointException(where + ": the entry is missing from the zip");
        }
        long want;
        try {
            want = Math.multiplyExact(storage.numel(), (long) storage.type().bytes);
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + ": element count " + storage.numel() + " overflows");
        }
        if (bytes.byteSize() != want) {
            throw new CheckpointException(where + ": holds " + bytes.byteSize() + " bytes but " + storage.numel()
                    + " elements of torch." + storage.type().className + " take " + want);
        }
        return new Entry(zip.file(), entryName, spec, checkView(where, spec), bytes);
    }

    /**
     * The view's shape, after checking (without overflow) that every element it reaches lies in
     * its storage and that it reaches no more elements than the storage holds.
     */
    static Shape checkView(String where, TensorSpec spec) {
        long[] size = spec.size(), stride = spec.stride();
        long numel = spec.storage().numel();
        String view = "the view (offset " + spec.offset() + ", size " + Arrays.toString(size) + ", stride "
                + Arrays.toString(stride) + ")";
        if (size.length != stride.length || size.length > MAX_RANK) {
            throw new CheckpointException(where + ": " + view + " has " + size.length + " sizes and "
                    + stride.length + " strides (at most " + MAX_RANK + ")");
        }
        try {
            long elements = 1, last = spec.offset();
            for (int i = 0; i < size.length; i++) {
                if (size[i] < 0 || stride[i] < 0) {
                    throw new CheckpointException(where + ": " + view + " has a negative size or stride");
                }
                elements = Math.multiplyExact(elements, size[i]);
                last = Math.addExact(last, Math.multiplyExact(Math.max(size[i] - 1, 0), stride[i]));
            }
            boolean fits = spec.offset() >= 0 && (elements == 0 ? spec.offset() <= numel : last < numel);
            if (!fits) {
                throw new CheckpointException(where + ": " + view + " reaches element " + last + " of a storage of "
                        + numel + " elements");
            }
            if (elements > numel) {
                throw new CheckpointException(where + ": " + view + " has " + elements + " elements, more than its "
                        + "storage's " + numel + " (a broadcast view, which state dicts do not hold)");
            }
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + ": " + view + " overflows a 64-bit element index");
        }
        return Shape.of(size);
    }

    @Override
    public Set<String> names() {
        return entries.keySet();
    }

    @Override
    public Shape shape(String name) {
        return entry(name).shape();
    }

    /**
     * {@return the dtype of a parameter, named as safetensors names it (F32, F16, BF16, I64, ...)}
     *
     * @param name the parameter's name
     */
    public String dtype(String name) {
        return entry(name).type().dtype;
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new CheckpointException(source + ": no tensor named " + name);
        }
        return e;
    }

    @Override
    public Tensor load(String name, TensorArena into) {
        Entry e = entry(name);
        StorageType type = e.type();
        if (type != StorageType.FLOAT && type != StorageType.HALF && type != StorageType.BFLOAT16) {
            throw new CheckpointException(e.file() + ": tensor " + name + " is " + type.dtype
                    + ", which cannot be loaded as float32 parameters");
        }
        long[] dims = e.shape().toArray();
        if (type == StorageType.FLOAT && isContiguous(e)) {
            long n = e.shape().elements();
            return LittleEndianFloats.load(e.storage().asSlice(e.spec().offset() * 4, n * 4), dims, into);
        }
        Tensor t = into.allocate(DType.F32, dims);
        gather(e, TensorMemory.host(t));
        return t;
    }

    /** Contiguous tensors stored in the type wanted are viewed in place (bfloat16 matrices for a bfloat16 backend). */
    @Override
    public StoredTensor view(String name) {
        return new StoredParameter(this, name, (type, arena) -> inPlace(name, type, arena));
    }

    /** A contiguous tensor's bytes stored as type, where aligned on a little-endian host. */
    private Optional<Tensor> inPlace(String name, DType type, TensorArena into) {
        Entry e = entry(name);
        boolean littleEndian = type.byteSize() == 1 || ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        if (!e.type().dtype.equals(type.name()) || !isContiguous(e) || !littleEndian) {
            return Optional.empty();
        }
        long bytes = type.byteSize();
        MemorySegment src = e.storage().asSlice(e.spec().offset() * bytes, e.shape().elements() * bytes);
        return src.address() % bytes != 0 ? Optional.empty() : Optional.of(into.wrap(src, type, e.shape().toArray()));
    }

    /** Row-major without gaps (dimensions of size 1 may have any stride). */
    private static boolean isContiguous(Entry e) {
        long[] size = e.spec().size(), stride = e.spec().stride();
        long want = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] == 0) {
                return true;
            }
            if (size[i] != 1 && stride[i] != want) {
                return false;
            }
            want *= size[i];
        }
        return true;
    }

    /** Copies the view element by element in row-major order, converting to float32. */
    private static void gather(Entry e, MemorySegment dst) {
        long[] size = e.spec().size(), stride = e.spec().stride();
        long n = e.shape().elements();
        int rank = size.length;
        long[] idx = new long[rank];
        long src = e.spec().offset();
        MemorySegment s = e.storage();
        StorageType type = e.type();
        for (long i = 0; i < n; i++) {
            dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, switch (type) {
                case FLOAT -> s.get(LittleEndianFloats.FLOAT_LE, src * 4);
                case HALF -> Float.float16ToFloat(s.get(SHORT_LE, src * 2));
                default -> Float.intBitsToFloat((s.get(SHORT_LE, src * 2) & 0xffff) << 16);
            });
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                src += stride[d];
                if (idx[d] < size[d]) {
                    break;
                }
                src -= stride[d] * size[d];
                idx[d] = 0;
            }
        }
    }

    @Override
    public String source() {
        return source.toString();
    }

    @Override
    public void close() {
        arenas.forEach(Arena::close);
    }
}
