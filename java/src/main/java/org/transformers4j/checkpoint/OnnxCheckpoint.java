package org.transformers4j.checkpoint;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * The weights of an ONNX export (a Hugging Face model through torch.onnx), read from the
 * protobuf directly: the graph's float initializers with raw_data. Initializers keep their names
 * where they are Hub parameter names; MatMul weights that the exporter renamed (onnx::MatMul_787)
 * get the Hub name of the layer whose MatMul node consumes them
 * (/encoder/layer.0/attention/self/query/MatMul becomes encoder.layer.0.attention.self.query.weight)
 * and are transposed from ONNX's [in, out] to the Hub's [out, in].
 *
 * <p>Dynamically quantized graphs (ONNX Runtime's quantize_dynamic: MatMulInteger fed by
 * DynamicQuantizeLinear, weights as X_quantized with X_scale and X_zero_point) are read in the int8
 * layout of {@link Int8Layout}: each MatMulInteger weight under its layer's Hub name as I8 [out, in],
 * w - zero point per output channel (values outside int8 refused), beside NAME_scale; their
 * activations are quantized per tensor ({@link #int8PerTensorActivations}), as DynamicQuantizeLinear
 * does. Tables quantized per tensor and read through DequantizeLinear (embeddings) are dequantized
 * to float32 under their own names, as DequantizeLinear computes them: (q - zero point) * scale.
 */
public final class OnnxCheckpoint implements Checkpoint {
    private enum Kind { FLOAT, INT8, SCALES, DEQUANTIZED }

    private static final String QUANTIZED = "_quantized";

    /**
     * A parameter: its shape, how its values are made, the initializer holding them, whether that
     * is stored transposed ([in, out]), and the scales and zero points of quantized ones (one per
     * output channel, or one for a table).
     */
    private record Init(Kind kind, Shape shape, OnnxGraph.Initializer source, boolean transpose, float[] scales,
                        int[] zeroPoints) {
    }

    private final String source;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Init> inits;
    private final boolean quantized;

    private final AtomicBoolean closed = new AtomicBoolean();

    private OnnxCheckpoint(String source, Arena arena, MemorySegment data, Map<String, Init> inits) {
        this.source = source;
        this.arena = arena;
        this.data = data;
        this.inits = inits;
        this.quantized = inits.values().stream().anyMatch(i -> i.kind() == Kind.INT8);
    }

    /**
     * {@return {@link #open(Path, LoadMode)} in the default mode ({@link LoadMode#byDefault()})}
     *
     * @param file the .onnx file
     */
    public static OnnxCheckpoint open(Path file) {
        return open(file, LoadMode.byDefault());
    }

    /**
     * Reads (or maps, as mode says) and parses the ONNX file; throws {@link CheckpointException}
     * naming the file and the fault.
     *
     * @param file the .onnx file
     * @param mode how the weights are held
     * @return the checkpoint
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

    /**
     * {@return an ONNX model held in memory (copied from bytes); source names it in messages}
     *
     * @param bytes the file's bytes
     * @param source what they came from, for messages
     */
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
        return new OnnxCheckpoint(source, arena, data, parameters(source, data, OnnxGraph.parse(source, data)));
    }

    private static Map<String, Init> parameters(String src, MemorySegment data, OnnxGraph g) {
        Map<String, Init> out = new LinkedHashMap<>();
        Set<String> consumed = new HashSet<>(); // scales and zero points read into the parameters they serve
        for (OnnxGraph.Initializer r : g.initializerList) {
            String node = g.integerMatmulWeight.get(r.name());
            if (node != null) {
                int8Weight(src, data, g, r, node, out, consumed);
            } else if (isGatheredTable(g, r)) {
                String base = r.name().substring(0, r.name().length() - QUANTIZED.length());
                float[] scale = floats(src, data, g, base + "_scale", 1);
                int[] zero = zeroPoints(src, g, base + "_zero_point", 1, r.dataType());
                consumed.add(base + "_scale");
                consumed.add(base + "_zero_point");
                checkQuantizedBytes(src, r);
                put(src, out, base, new Init(Kind.DEQUANTIZED, checkedShape(src, r, r.dims(), BYTES), r, false, scale,
                        zero));
            }
        }
        for (OnnxGraph.Initializer r : g.initializerList) {
            if (r.dataType() != OnnxGraph.FLOAT || consumed.contains(r.name())) {
                continue; // position_ids and other integer constants are not parameters
            }
            String consumer = g.matmulConsumer.get(r.name());
            boolean renamed = r.name().startsWith("onnx::") && consumer != null && r.dims().length == 2;
            String name = renamed ? hubName(consumer) : r.name();
            long[] dims = renamed ? new long[] {r.dims()[1], r.dims()[0]} : r.dims();
            Shape shape = floatShape(src, r, dims);
            put(src, out, name, new Init(Kind.FLOAT, shape, r, renamed, null, null));
        }
        return Collections.unmodifiableMap(out);
    }

    /** A MatMulInteger weight [in, out] as the int8 parameter [out, in] of its layer, with its scales. */
    private static void int8Weight(String src, MemorySegment data, OnnxGraph g, OnnxGraph.Initializer r, String node, Map<String, Init> out,
                                   Set<String> consumed) {
        String where = src + ": MatMulInteger weight " + r.name();
        if (r.dims().length != 2) {
            throw new CheckpointException(where + " has dims " + Arrays.toString(r.dims()) + ", expected [in, out]");
        }
        checkQuantizedBytes(src, r);
        long in = r.dims()[0], outFeatures = r.dims()[1];
        Shape shape = checkedShape(src, r, new long[] {outFeatures, in}, BYTES);
        if (in < 1 || outFeatures < 1) { // else its scales' count would not be bounded by the file
            throw new CheckpointException(where + " has dims " + Arrays.toString(r.dims()) + ", an empty matrix");
        }
        if (outFeatures > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(where + " has " + outFeatures + " output channels");
        }
        if (!r.name().endsWith(QUANTIZED)) {
            throw new CheckpointException(where + " is not named X" + QUANTIZED + ", so its scales X_scale cannot be found");
        }
        String base = r.name().substring(0, r.name().length() - QUANTIZED.length());
        float[] scales = floats(src, data, g, base + "_scale", (int) outFeatures);
        String zeroName = g.integerMatmulZeroPoint.getOrDefault(r.name(), "");
        int[] zeros = zeroName.isEmpty() ? new int[(int) outFeatures]
                : zeroPoints(src, g, zeroName, (int) outFeatures, r.dataType());
        consumed.add(base + "_scale");
        consumed.add(zeroName);
        String name = base.startsWith("onnx::") ? hubName(node) : base;
        put(src, out, name, new Init(Kind.INT8, shape, r, true, scales, zeros));
        put(src, out, name + INT8_SCALE_SUFFIX, new Init(Kind.SCALES, Shape.of(outFeatures), null, false, scales, null));
    }

    /** X_quantized of 8-bit integers, read by a Gather whose result a DequantizeLinear with X_scale reads. */
    private static boolean isGatheredTable(OnnxGraph g, OnnxGraph.Initializer r) {
        if (!r.name().endsWith(QUANTIZED) || (r.dataType() != OnnxGraph.UINT8 && r.dataType() != OnnxGraph.INT8)) {
            return false;
        }
        String scale = r.name().substring(0, r.name().length() - QUANTIZED.length()) + "_scale";
        return g.dequantized.values().stream().anyMatch(sz -> sz[0].equals(scale));
    }

    private static void put(String src, Map<String, Init> out, String name, Init init) {
        if (out.put(name, init) != null) {
            throw new CheckpointException(src + ": two initializers map to " + name);
        }
    }

    private static void checkQuantizedBytes(String src, OnnxGraph.Initializer r) {
        if (r.dataType() != OnnxGraph.UINT8 && r.dataType() != OnnxGraph.INT8) {
            throw new CheckpointException(src + ": quantized initializer " + r.name() + " has data type " + r.dataType()
                    + ", expected uint8 (2) or int8 (3)");
        }
        if (r.offset() < 0) {
            throw new CheckpointException(src + ": quantized initializer " + r.name() + " has no raw_data");
        }
    }

    /** Count values of a float initializer (float_data or raw_data), all finite; one value is broadcast. */
    private static float[] floats(String src, MemorySegment data, OnnxGraph g, String name, int count) {
        OnnxGraph.Initializer r = g.initializers.get(name);
        if (r == null || r.dataType() != OnnxGraph.FLOAT) {
            throw new CheckpointException(src + ": " + (r == null ? "no initializer " + name : "initializer " + name
                    + " has data type " + r.dataType() + ", expected float (1)") + " for the scales of a quantized weight");
        }
        float[] v = r.floats() != null ? r.floats() : rawFloats(src, data, r);
        v = broadcast(src, name, v, count);
        for (float f : v) {
            if (!Float.isFinite(f)) {
                throw new CheckpointException(src + ": initializer " + name + " holds the scale " + f + ", not finite");
            }
        }
        return v;
    }

    private static float[] broadcast(String src, String name, float[] v, int count) {
        if (v.length == count) {
            return v;
        }
        if (v.length != 1) {
            throw new CheckpointException(src + ": initializer " + name + " has " + v.length + " values, expected 1 or "
                    + count);
        }
        float[] out = new float[count];
        Arrays.fill(out, v[0]);
        return out;
    }

    private static float[] rawFloats(String src, MemorySegment data, OnnxGraph.Initializer r) {
        if (r.offset() < 0 || r.bytes() % 4 != 0 || r.bytes() / 4 > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(src + ": initializer " + r.name() + " has " + (r.offset() < 0 ? "no values"
                    : r.bytes() + " bytes of raw_data") + ", expected float32 scales");
        }
        float[] v = new float[(int) (r.bytes() / 4)];
        for (int i = 0; i < v.length; i++) {
            v[i] = data.get(LittleEndianFloats.FLOAT_LE, r.offset() + 4L * i);
        }
        return v;
    }

    /** Zero points of the quantized values' type (uint8 0..255, int8 -128..127), one broadcast to count. */
    private static int[] zeroPoints(String src, OnnxGraph g, String name, int count, int valueType) {
        OnnxGraph.Initializer r = g.initializers.get(name);
        if (r == null) {
            throw new CheckpointException(src + ": no initializer " + name + " for the zero points of a quantized weight");
        }
        if (r.dataType() != valueType) {
            throw new CheckpointException(src + ": initializer " + name + " has data type " + r.dataType()
                    + ", the values it serves " + valueType);
        }
        if (r.ints() == null) {
            throw new CheckpointException(src + ": initializer " + name + " has no int32_data (zero points)");
        }
        long[] v = r.ints();
        if (v.length != count && v.length != 1) {
            throw new CheckpointException(src + ": initializer " + name + " has " + v.length + " values, expected 1 or "
                    + count);
        }
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            long z = v.length == 1 ? v[0] : v[i]; // int32_data holds them widened, negative ones sign-extended
            boolean fits = valueType == OnnxGraph.UINT8 ? z >= 0 && z <= 255 : z >= -128 && z <= 127;
            if (!fits) {
                throw new CheckpointException(src + ": initializer " + name + " holds the zero point " + z
                        + ", outside the range of data type " + valueType);
            }
            out[i] = (int) z;
        }
        return out;
    }

    /** How values are stored: float32, or 8-bit integers (quantized). */
    private record Element(int bytes, String words, String plural) {
    }

    private static final Element FLOATS = new Element(4, "float", "float32");
    private static final Element BYTES = new Element(1, "8-bit", "8-bit integers");

    /** The shape, checked against the bytes of the stored values, with overflow-safe sizes. */
    private static Shape checkedShape(String src, OnnxGraph.Initializer r, long[] dims, Element e) {
        String where = src + ": initializer " + r.name();
        for (long d : r.dims()) {
            if (d < 0) {
                throw new CheckpointException(where + " has dims " + Arrays.toString(r.dims()) + ", one of them negative");
            }
        }
        Shape shape = Shape.of(dims);
        long bytes;
        try {
            bytes = Math.multiplyExact(shape.elements(), (long) e.bytes());
        } catch (ArithmeticException overflow) {
            throw new CheckpointException(where + " has dims " + Arrays.toString(r.dims()) + ", more " + e.words()
                    + " bytes than a 64-bit size");
        }
        long stored = r.offset() >= 0 || r.floats() == null ? r.bytes() : 4L * r.floats().length;
        if (bytes != stored) {
            throw new CheckpointException(where + " has " + stored + " bytes of " + (r.offset() >= 0 ? "raw_data"
                    : "float_data") + " for dims " + Arrays.toString(r.dims()) + " (" + bytes + " bytes of "
                    + e.plural() + ")");
        }
        return shape;
    }

    /** The shape of a float initializer, checked against its raw_data (or float_data). */
    private static Shape floatShape(String src, OnnxGraph.Initializer r, long[] dims) {
        return checkedShape(src, r, dims, FLOATS);
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
        return init(name).shape();
    }

    @Override
    public Tensor load(String name, TensorArena into) {
        Init i = init(name);
        long[] dims = i.shape().toArray();
        return switch (i.kind()) {
            case FLOAT -> loadFloat(i, dims, into);
            case SCALES -> into.of(i.scales(), dims);
            case INT8 -> Int8Layout.dequantize(TensorMemory.host(int8Values(name, into)), dims[0], dims[1],
                    into.of(i.scales(), dims[0]), into);
            case DEQUANTIZED -> dequantizeTable(i, into);
        };
    }

    private Tensor loadFloat(Init i, long[] dims, TensorArena into) {
        if (i.source().offset() < 0) {
            return into.of(i.source().floats(), dims);
        }
        MemorySegment src = data.asSlice(i.source().offset(), i.source().bytes());
        if (!i.transpose()) {
            return LittleEndianFloats.load(src, dims, into);
        }
        Tensor t = into.allocate(DType.F32, dims);
        MemorySegment dst = TensorMemory.host(t);
        long rows = dims[0], cols = dims[1]; // stored [in, out] = [cols, rows]
        for (long c = 0; c < cols; c++) {
            for (long r = 0; r < rows; r++) {
                dst.setAtIndex(ValueLayout.JAVA_FLOAT, r * cols + c, src.get(LittleEndianFloats.FLOAT_LE, (c * rows + r) * 4));
            }
        }
        return t;
    }

    /** (q - zero point) * scale over a table quantized per tensor, as DequantizeLinear computes it. */
    private Tensor dequantizeTable(Init i, TensorArena into) {
        MemorySegment src = data.asSlice(i.source().offset(), i.source().bytes());
        boolean unsigned = i.source().dataType() == OnnxGraph.UINT8;
        float scale = i.scales()[0];
        int zero = i.zeroPoints()[0];
        Tensor t = into.allocate(DType.F32, i.shape().toArray());
        MemorySegment dst = TensorMemory.host(t);
        for (long e = 0; e < src.byteSize(); e++) {
            byte b = src.get(ValueLayout.JAVA_BYTE, e);
            dst.setAtIndex(ValueLayout.JAVA_FLOAT, e, ((unsigned ? b & 0xff : b) - zero) * scale);
        }
        return t;
    }

    @Override
    public boolean isInt8(String name) {
        return init(name).kind() == Kind.INT8;
    }

    /**
     * The weight [out, in] as int8 values q - zero point, transposed from the file's [in, out] into
     * arena; a value outside -128..127 (a uint8 weight far from its zero point) is refused.
     */
    @Override
    public Tensor int8Values(String name, TensorArena into) {
        Init i = init(name);
        if (i.kind() != Kind.INT8) {
            return Checkpoint.super.int8Values(name, into);
        }
        long rows = i.shape().dim(0), cols = i.shape().dim(1); // stored [cols, rows]
        MemorySegment src = data.asSlice(i.source().offset(), i.source().bytes());
        boolean unsigned = i.source().dataType() == OnnxGraph.UINT8;
        Tensor t = into.allocate(DType.I8, rows, cols);
        MemorySegment dst = TensorMemory.host(t);
        for (long c = 0; c < cols; c++) {
            for (long r = 0; r < rows; r++) {
                byte b = src.get(ValueLayout.JAVA_BYTE, c * rows + r);
                int v = (unsigned ? b & 0xff : b) - i.zeroPoints()[(int) r];
                if (v < -128 || v > 127) {
                    throw new CheckpointException(source + ": " + name + " (initializer " + i.source().name()
                            + ") holds " + (v + i.zeroPoints()[(int) r]) + " at [" + c + ", " + r + "] with zero point "
                            + i.zeroPoints()[(int) r] + ": the difference " + v + " is outside int8");
                }
                dst.set(ValueLayout.JAVA_BYTE, r * cols + c, (byte) v);
            }
        }
        return t;
    }

    /** True for a dynamically quantized graph: DynamicQuantizeLinear quantizes each product's whole input. */
    @Override
    public boolean int8PerTensorActivations() {
        return quantized;
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
