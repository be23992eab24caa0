package org.transformers4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an ONNX model's protobuf says about its weights: the initializers (dims, element type, where
 * their values are) and, from the nodes, which MatMul, Gemm or MatMulInteger consumes each one and
 * which DequantizeLinear reads it. Values stay in the file; only small typed fields (float_data,
 * int32_data: scales and zero points) are decoded here.
 */
final class OnnxGraph {
    static final int FLOAT = 1, UINT8 = 2, INT8 = 3;
    /** Ops of statically quantized graphs, whose activation scales are fixed at export. */
    private static final Set<String> STATIC_QUANTIZATION = Set.of("QLinearMatMul", "QLinearConv", "ConvInteger",
            "QuantizeLinear");

    /**
     * An initializer: raw_data's byte range (offset -1 if none), or its values decoded from
     * float_data or int32_data (null if none).
     */
    record Initializer(String name, long[] dims, int dataType, long offset, long bytes, float[] floats, long[] ints) {
    }

    /** A node: its op, name and inputs (outputs where another node needs them). */
    private record Node(String op, String name, List<String> inputs, List<String> outputs) {
    }

    /** Every initializer in file order, and by name (the first of a name). */
    final List<Initializer> initializerList = new ArrayList<>();
    final Map<String, Initializer> initializers = new LinkedHashMap<>();
    /** MatMul or Gemm inputs to the first such node's name. */
    final Map<String, String> matmulConsumer = new HashMap<>();
    /** MatMulInteger weight (second input) to its node's name. */
    final Map<String, String> integerMatmulWeight = new HashMap<>();
    /** MatMulInteger weight to its weight zero point input (empty string if none). */
    final Map<String, String> integerMatmulZeroPoint = new HashMap<>();
    /** Inputs of DequantizeLinear nodes (quantized tables gathered then dequantized) to [scale, zero point]. */
    final Map<String, String[]> dequantized = new HashMap<>();

    private OnnxGraph() {
    }

    static OnnxGraph parse(String src, MemorySegment data) {
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
        OnnxGraph g = new OnnxGraph();
        List<Node> nodes = new ArrayList<>();
        while (graph.next()) {
            if (graph.field == 1) {
                nodes.add(readNode(graph.message()));
            } else if (graph.field == 5) {
                Initializer i = readTensor(graph.message(), src, data.byteSize());
                g.initializerList.add(i);
                g.initializers.putIfAbsent(i.name(), i);
            }
        }
        g.link(src, nodes);
        return g;
    }

    private void link(String src, List<Node> nodes) {
        Map<String, String> producer = new HashMap<>(); // output -> op, through Gather/Reshape of tables too
        for (Node n : nodes) {
            for (String out : n.outputs()) {
                producer.put(out, n.op());
            }
        }
        for (Node n : nodes) {
            if (STATIC_QUANTIZATION.contains(n.op())) {
                throw new CheckpointException(src + ": node " + n.name() + " is " + n.op()
                        + ": statically quantized graphs are not supported (their activation scales are fixed at"
                        + " export); a dynamically quantized one (MatMulInteger after DynamicQuantizeLinear) is");
            }
            switch (n.op()) {
                case "MatMul", "Gemm" -> n.inputs().forEach(in -> matmulConsumer.putIfAbsent(in, n.name()));
                case "MatMulInteger" -> linkIntegerMatmul(src, n, producer);
                case "DequantizeLinear" -> {
                    if (n.inputs().size() >= 2) {
                        dequantized.put(n.inputs().get(0), new String[] {n.inputs().get(1),
                                n.inputs().size() > 2 ? n.inputs().get(2) : ""});
                    }
                }
                default -> { }
            }
        }
    }

    private void linkIntegerMatmul(String src, Node n, Map<String, String> producer) {
        if (n.inputs().size() < 2) {
            throw new CheckpointException(src + ": MatMulInteger node " + n.name() + " has " + n.inputs().size()
                    + " inputs, expected 2 to 4");
        }
        String a = n.inputs().get(0), w = n.inputs().get(1);
        if (!initializers.containsKey(w)) {
            throw new CheckpointException(src + ": MatMulInteger node " + n.name() + " multiplies by " + w
                    + ", which is no initializer: only products with constant weights are imported");
        }
        if (!"DynamicQuantizeLinear".equals(producer.get(a))) {
            throw new CheckpointException(src + ": MatMulInteger node " + n.name() + " takes " + a + " from "
                    + producer.getOrDefault(a, "a graph input") + ", not from DynamicQuantizeLinear: only dynamically"
                    + " quantized activations are supported");
        }
        if (integerMatmulWeight.putIfAbsent(w, n.name()) != null) {
            throw new CheckpointException(src + ": initializer " + w + " is the weight of two MatMulInteger nodes");
        }
        integerMatmulZeroPoint.put(w, n.inputs().size() > 3 ? n.inputs().get(3) : "");
    }

    private static Node readNode(ProtoReader node) {
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        String name = "", op = "";
        while (node.next()) {
            switch (node.field) {
                case 1 -> inputs.add(node.string());
                case 2 -> outputs.add(node.string());
                case 3 -> name = node.string();
                case 4 -> op = node.string();
                default -> { }
            }
        }
        return new Node(op, name, inputs, outputs);
    }

    /** The chunks of a repeated float field (packed, or one value per occurrence) as one array. */
    private static float[] joinFloats(List<float[]> chunks, String src, String name) {
        if (chunks.isEmpty()) {
            return null;
        }
        long total = chunks.stream().mapToLong(c -> c.length).sum();
        if (total > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(src + ": initializer " + name + " has " + total + " float_data values");
        }
        float[] out = new float[(int) total];
        int at = 0;
        for (float[] c : chunks) {
            System.arraycopy(c, 0, out, at, c.length);
            at += c.length;
        }
        return out;
    }

    private static long[] joinInts(List<long[]> chunks, String src, String name) {
        if (chunks.isEmpty()) {
            return null;
        }
        long total = chunks.stream().mapToLong(c -> c.length).sum();
        if (total > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(src + ": initializer " + name + " has " + total + " int32_data values");
        }
        long[] out = new long[(int) total];
        int at = 0;
        for (long[] c : chunks) {
            System.arraycopy(c, 0, out, at, c.length);
            at += c.length;
        }
        return out;
    }

    private static Initializer readTensor(ProtoReader t, String src, long fileSize) {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        long offset = -1, bytes = 0;
        List<float[]> floats = new ArrayList<>();
        List<long[]> ints = new ArrayList<>();
        while (t.next()) {
            switch (t.field) {
                case 1 -> {
                    for (long d : t.packedVarints()) {
                        dims.add(d);
                    }
                }
                case 2 -> dataType = (int) Math.clamp(t.varint(), -1, Integer.MAX_VALUE);
                case 4 -> floats.add(t.packedFloats());
                case 5 -> ints.add(t.packedVarints());
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
        if (dataType == FLOAT && offset < 0 && floats.isEmpty()) {
            throw new CheckpointException(src + ": initializer " + name + " has no raw_data");
        }
        if (offset >= 0 && offset + bytes > fileSize) {
            throw new CheckpointException(src + ": initializer " + name + " runs past the end of the file");
        }
        return new Initializer(name, dims.stream().mapToLong(Long::longValue).toArray(), dataType, offset, bytes,
                joinFloats(floats, src, name), joinInts(ints, src, name));
    }
}
