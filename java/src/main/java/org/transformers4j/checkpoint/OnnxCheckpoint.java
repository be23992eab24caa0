package org.transformers4j.checkpoint;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * The weights of an ONNX export (a Hugging Face model through torch.onnx), read from the
 * protobuf directly: the graph's float initializers with raw_data. Initializers keep their names
 * where they are Hub parameter names; MatMul weights that the exporter renamed (onnx::MatMul_787)
 * get the Hub name of the layer whose MatMul node consumes them
 * (/encoder/layer.0/attention/self/query/MatMul becomes encoder.layer.0.attention.self.query.weight)
 * and are transposed from ONNX's [in, out] to the Hub's [out, in].
 */
public final class OnnxCheckpoint implements Checkpoint {
    private static final int FLOAT = 1;

    /** An initializer: its stored [dims], where its raw bytes are, and whether it is transposed on load. */
    private record Init(Shape stored, long offset, long bytes, boolean transpose) {
    }

    private final String source;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Init> inits;

    private final AtomicBoolean closed = new AtomicBoolean();

    private OnnxCheckpoint(String source, Arena arena, MemorySegment data, Map<String, Init> inits) {
        this.source = source;
        this.arena = arena;
        this.data = data;
        this.inits = inits;
    }

    /** {@link #open(Path, LoadMode)} in the default mode ({@link LoadMode#byDefault()}). */
    public static OnnxCheckpoint open(Path file) {
        return open(file, LoadMode.byDefault());
    }

    /**
     * Reads (or maps, as mode says) and parses the ONNX file; throws {@link CheckpointException}
     * naming the file and the fault.
     */
    public static OnnxCheckpoint open(Path file, LoadMode mode) {
        Arena arena = Arena.ofShared();
        try {
            return create(file.toString(), arena, FileBytes.load(file, "ONNX model", mode, arena));
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** An ONNX model held in memory (copied from bytes); source names it in messages. */
    public static OnnxCheckpoint fromBytes(byte[] bytes, String source) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment owned = arena.allocate(Math.max(bytes.length, 1), 64).asSlice(0, bytes.length);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, owned, 0, bytes.length);
            return create(source, arena, owned);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static OnnxCheckpoint create(String source, Arena arena, MemorySegment data) {
        return new OnnxCheckpoint(source, arena, data, parse(source, data));
    }

    private record RawInit(String name, long[] dims, int dataType, long offset, long bytes) {
    }

    private static Map<String, Init> parse(String src, MemorySegment data) {
        ProtoReader model = new ProtoReader(data, 0, data.byteSize(), src);
        ProtoReader graph = null;
        while (model.next()) {
            if (model.field == 7) {
                graph = model.message();
            }
        }
        if (graph == null) {
            throw new CheckpointException(src + ": no graph (not an ONNX model?)");
        }
        List<RawInit> raw = new ArrayList<>();
        Map<String, String> matmulConsumer = new HashMap<>();
        while (graph.next()) {
            if (graph.field == 1) {
                readNode(graph.message(), matmulConsumer);
            } else if (graph.field == 5) {
                raw.add(readTensor(graph.message(), src, data.byteSize()));
            }
        }
        Map<String, Init> out = new LinkedHashMap<>();
        for (RawInit r : raw) {
            if (r.dataType() != FLOAT) {
                continue; // position_ids and other integer constants are not parameters
            }
            String consumer = matmulConsumer.get(r.name());
            boolean renamed = r.name().startsWith("onnx::") && consumer != null && r.dims().length == 2;
            String name = renamed ? hubName(consumer) : r.name();
            long[] dims = renamed ? new long[] {r.dims()[1], r.dims()[0]} : r.dims();
            Shape shape = floatShape(src, r, dims);
            if (out.put(name, new Init(shape, r.offset(), r.bytes(), renamed)) != null) {
                throw new CheckpointException(src + ": two initializers map to " + name);
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** The shape of a float initializer, checked against its raw_data with overflow-safe sizes. */
    private static Shape floatShape(String src, RawInit r, long[] dims) {
        String where = src + ": initializer " + r.name();
        for (long d : r.dims()) {
            if (d < 0) {
                throw new CheckpointException(where + " has dims " + Arrays.toString(r.dims()) + ", one of them negative");
            }
        }
        Shape shape = Shape.of(dims);
        long bytes;
        try {
            bytes = Math.multiplyExact(shape.elements(), 4L);
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + " has dims " + Arrays.toString(r.dims())
                    + ", more float bytes than a 64-bit size");
        }
        if (bytes != r.bytes()) {
            throw new CheckpointException(where + " has " + r.bytes() + " bytes of raw_data for dims "
                    + Arrays.toString(r.dims()) + " (" + bytes + " bytes of float32)");
        }
        return shape;
    }

    /** /encoder/layer.0/attention/self/query/MatMul -> encoder.layer.0.attention.self.query.weight */
    static String hubName(String nodeName) {
        String n = nodeName.startsWith("/") ? nodeName.substring(1) : nodeName;
        int cut = n.lastIndexOf('/');
        if (cut >= 0) {
            n = n.substring(0, cut);
        }
        return n.replace('/', '.') + ".weight";
    }

    private static void readNode(ProtoReader node, Map<String, String> matmulConsumer) {
        List<String> inputs = new ArrayList<>();
        String name = "", op = "";
        while (node.next()) {
            switch (node.field) {
                case 1 -> inputs.add(node.string());
                case 3 -> name = node.string();
                case 4 -> op = node.string();
                default -> { }
            }
        }
        if (op.equals("MatMul") || op.equals("Gemm")) {
            for (String in : inputs) {
                matmulConsumer.putIfAbsent(in, name);
            }
        }
    }

    private static RawInit readTensor(ProtoReader t, String src, long fileSize) {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        long offset = -1, bytes = 0;
        while (t.next()) {
            switch (t.field) {
                case 1 -> {
                    for (long d : t.packedVarints()) {
                        dims.add(d);
                    }
                }
                case 2 -> dataType = (int) Math.clamp(t.varint(), -1, Integer.MAX_VALUE);
                case 8 -> name = t.string();
                case 9 -> {
                    t.message(); // checks that raw_data is length-delimited
                    offset = t.start;
                    bytes = t.length;
                }
                case 13, 14 -> throw new CheckpointException(src + ": initializer with external data is not supported");
                default -> { }
            }
        }
        if (dataType == FLOAT && offset < 0) {
            throw new CheckpointException(src + ": initializer " + name + " has no raw_data");
        }
        if (offset >= 0 && offset + bytes > fileSize) {
            throw new CheckpointException(src + ": initializer " + name + " runs past the end of the file");
        }
        return new RawInit(name, dims.stream().mapToLong(Long::longValue).toArray(), dataType, offset, bytes);
    }

    @Override
    public Set<String> names() {
        return inits.keySet();
    }

    private Init init(String name) {
        if (closed.get()) {
            throw new IllegalStateException(source + ": closed");
        }
        Init i = inits.get(name);
        if (i == null) {
            throw new CheckpointException(source + ": no initializer for " + name);
        }
        return i;
    }

    @Override
    public Shape shape(String name) {
        return init(name).stored();
    }

    @Override
    public Tensor load(String name, TensorArena into) {
        Init i = init(name);
        MemorySegment src = data.asSlice(i.offset(), i.bytes());
        long[] dims = i.stored().toArray();
        if (!i.transpose()) {
            return LittleEndianFloats.load(src, dims, into);
        }
        Tensor t = into.allocate(DType.F32, dims);
        MemorySegment dst = t.segment();
        long rows = dims[0], cols = dims[1]; // stored [in, out] = [cols, rows]
        for (long c = 0; c < cols; c++) {
            for (long r = 0; r < rows; r++) {
                dst.setAtIndex(ValueLayout.JAVA_FLOAT, r * cols + c, src.get(LittleEndianFloats.FLOAT_LE, (c * rows + r) * 4));
            }
        }
        return t;
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
