package org.transformers4j.checkpoint;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.transformers4j.checkpoint.SafeTensorsHeader.Entry;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header {name:
 * {dtype, shape, data_offsets}}, then the data. The header is checked strictly when the file opens
 * (see {@link SafeTensorsHeader}: known dtypes, sizes matching shapes, the tensors covering the data
 * exactly). The bytes are held as {@link LoadMode} says: by default copied into memory the
 * checkpoint owns, so that a file rewritten in place cannot reach the model; optionally mapped.
 * Float32 tensors are viewed in place, F16 and BF16 are converted to float32 (or BF16 viewed in
 * place, for a backend that keeps weights in bfloat16: {@link #view}). A file whose metadata
 * declares the int8 layout ({@link Int8Layout}) holds I8 matrices with their scales, viewed in place
 * by {@link #int8Values} or dequantized by {@link #load}.
 */
public final class SafeTensors implements Checkpoint {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String source;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SafeTensors(String source, Arena arena, MemorySegment all) {
        SafeTensorsHeader header = SafeTensorsHeader.parse(source, all);
        this.source = source;
        this.arena = arena;
        this.data = all.asSlice(header.dataStart());
        this.entries = header.entries();
        this.metadata = header.metadata();
    }

    /**
     * Opens and checks the file in the default {@link LoadMode} ({@link LoadMode#byDefault()});
     * throws {@link CheckpointException} naming the file and the fault.
     *
     * @param file the .safetensors file
     * @return the checkpoint
     */
    public static SafeTensors open(Path file) {
        return open(file, LoadMode.byDefault());
    }

    /**
     * Opens and checks the file, holding its bytes as mode says; throws {@link CheckpointException} naming the fault.
     *
     * @param file the .safetensors file
     * @param mode how the bytes are held
     * @return the checkpoint
     */
    public static SafeTensors open(Path file, LoadMode mode) {
        Arena arena = Arena.ofShared();
        try {
            return new SafeTensors(file.toString(), arena, FileBytes.load(file, "weights file", mode, arena));
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A safetensors file held in memory (copied from bytes); source names it in messages. Throws
     * {@link CheckpointException} as {@link #open(Path)} does.
     *
     * @param bytes the file's bytes
     * @param source what they came from, for messages
     * @return the checkpoint
     */
    public static SafeTensors fromBytes(byte[] bytes, String source) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment owned = arena.allocate(Math.max(bytes.length, 1), 64).asSlice(0, bytes.length);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, owned, 0, bytes.length);
            return new SafeTensors(source, arena, owned);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
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

    /**
     * {@return the dtype of a parameter as the file names it (F32, F16, BF16, I64, ...)}
     *
     * @param name the parameter's name
     */
    public String dtype(String name) {
        return entry(name).dtype();
    }

    /** {@return the file's {@code __metadata__} strings} */
    public Map<String, String> metadata() {
        return metadata;
    }

    private Entry entry(String name) {
        if (closed.get()) {
            throw new IllegalStateException(source + ": closed");
        }
        Entry e = entries.get(name);
        if (e == null) {
            throw new CheckpointException(source + ": no tensor named " + name);
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
                MemorySegment dst = TensorMemory.host(t);
                boolean bf16 = e.dtype().equals("BF16");
                for (long i = 0; i < n; i++) {
                    short h = src.get(SHORT_LE, i * 2);
                    dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, bf16 ? Float.intBitsToFloat((h & 0xffff) << 16)
                            : Float.float16ToFloat(h));
                }
                return t;
            }
            case "I8" -> {
                if (!isInt8(name)) {
                    throw new CheckpointException(source + ": tensor " + name + " is I8 and the metadata declares no "
                            + Int8Layout.QUANTIZATION + " = " + Int8Layout.INT8 + ": it cannot be loaded as float32");
                }
                return Int8Layout.dequantize(src, dims[0], dims[1], load(name + INT8_SCALE_SUFFIX, into), into);
            }
            default -> throw new CheckpointException(source + ": tensor " + name + " is " + e.dtype()
                    + ", which cannot be loaded as float32 parameters");
        }
    }

    @Override
    public boolean isInt8(String name) {
        Entry e = entry(name);
        if (!e.dtype().equals("I8") || !Int8Layout.declared(source, metadata)) {
            return false;
        }
        Entry scale = entries.get(name + INT8_SCALE_SUFFIX);
        Int8Layout.checkScales(source, name, e.shape(), scale == null ? null : scale.dtype(),
                scale == null ? null : scale.shape());
        return true;
    }

    @Override
    public Tensor int8Values(String name, TensorArena into) {
        if (!isInt8(name)) {
            return Checkpoint.super.int8Values(name, into);
        }
        Entry e = entry(name);
        return into.wrap(data.asSlice(e.begin(), e.end() - e.begin()), DType.I8, e.shape().toArray());
    }

    @Override
    public boolean int8PerTensorActivations() {
        return Int8Layout.declared(source, metadata) && Int8Layout.perTensor(source, metadata);
    }

    /** Tensors stored in the type wanted are viewed in place (bfloat16 matrices for a bfloat16 backend). */
    @Override
    public StoredTensor view(String name) {
        return new StoredParameter(this, name, (type, arena) -> inPlace(name, type, arena));
    }

    /** The bytes of a tensor stored as type (the file names dtypes as DType does), aligned, on a little-endian host. */
    Optional<Tensor> inPlace(String name, DType type, TensorArena into) {
        Entry e = entry(name);
        MemorySegment src = data.asSlice(e.begin(), e.end() - e.begin());
        boolean littleEndian = type.byteSize() == 1 || ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        if (!e.dtype().equals(type.name()) || src.address() % type.byteSize() != 0 || !littleEndian) {
            return Optional.empty();
        }
        return Optional.of(into.wrap(src, type, e.shape().toArray()));
    }

    /**
     * {@return an integer tensor (I64 or I32) as a long array, for reference inputs such as token ids}
     *
     * @param name the tensor's name
     */
    public long[] loadLongs(String name) {
        Entry e = entry(name);
        MemorySegment src = data.asSlice(e.begin(), e.end() - e.begin());
        if (!e.dtype().equals("I64") && !e.dtype().equals("I32")) {
            throw new CheckpointException(source + ": tensor " + name + " is " + e.dtype() + ", not an integer type");
        }
        if (e.shape().elements() > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(source + ": tensor " + name + " has " + e.shape().elements()
                    + " elements, too many for a long array");
        }
        long[] out = new long[(int) e.shape().elements()];
        for (int i = 0; i < out.length; i++) {
            out[i] = e.dtype().equals("I64") ? src.get(LONG_LE, i * 8L)
                    : src.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 4L);
        }
        return out;
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }
}
