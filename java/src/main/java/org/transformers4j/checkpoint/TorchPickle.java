package org.transformers4j.checkpoint;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted reader of the pickle (data.pkl) inside a torch.save zip: it understands only what
 * torch.save writes for a state dict and builds plain descriptions (storages, tensor views) from
 * it. Nothing in the pickle is ever looked up as Java or Python code: a global is a name checked
 * against a fixed list ({@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2},
 * {@code torch._utils._rebuild_parameter}, the {@code torch.*Storage} types), and "calling" one of
 * them (REDUCE) builds a record. Any other global, opcode or shape of data is refused with a
 * {@link CheckpointException} naming it and the byte where it was found.
 *
 * <p>The opcodes read are those of pickle protocol 2 that torch.save emits (PROTO, MARK, STOP,
 * EMPTY_DICT, EMPTY_TUPLE, TUPLE/TUPLE1-3, BINUNICODE, BININT/BININT1/BININT2, LONG1, BINFLOAT,
 * NEWTRUE/NEWFALSE, NONE, BINPUT/LONG_BINPUT, BINGET/LONG_BINGET, GLOBAL, BINPERSID, REDUCE,
 * SETITEM/SETITEMS, BUILD) and, for files written with protocol 4, FRAME, SHORT_BINUNICODE,
 * MEMOIZE and STACK_GLOBAL (with the same list of globals).
 */
final class TorchPickle {
    /** The storage classes torch.save names, with the safetensors-style dtype each holds. */
    enum StorageType {
        FLOAT("FloatStorage", "F32", 4), HALF("HalfStorage", "F16", 2), BFLOAT16("BFloat16Storage", "BF16", 2),
        DOUBLE("DoubleStorage", "F64", 8), LONG("LongStorage", "I64", 8), INT("IntStorage", "I32", 4),
        SHORT("ShortStorage", "I16", 2), CHAR("CharStorage", "I8", 1), BYTE("ByteStorage", "U8", 1),
        BOOL("BoolStorage", "BOOL", 1);

        final String className;
        final String dtype;
        final int bytes;

        StorageType(String className, String dtype, int bytes) {
            this.className = className;
            this.dtype = dtype;
            this.bytes = bytes;
        }
    }

    /** A persistent id ('storage', type, key, location, numel): the zip entry data/KEY holds numel elements. */
    record Storage(String key, StorageType type, String location, long numel) {
    }

    /** _rebuild_tensor_v2's view of a storage: offset, size and stride in elements (unchecked here). */
    record TensorSpec(Storage storage, long offset, long[] size, long[] stride) {
    }

    /** What an allowed global may do when called by REDUCE. */
    private enum Callable { ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_PARAMETER, NOT_CALLABLE }

    private record Global(String name, Callable callable, StorageType storage) {
    }

    private record Tuple(List<Object> items) {
    }

    /** A dict or OrderedDict; torch.save's keys are strings, and only strings are accepted. */
    private record Dict(LinkedHashMap<String, Object> map) {
    }

    private static final Object NONE = new Object();
    private static final Map<String, Global> ALLOWED = allowed();
    private static final int MAX_GLOBAL_LINE = 256;
    /** The most values (stack pushes and memo entries) one pickle may create: over 150,000 tensors' worth. */
    static final int MAX_VALUES = 4_000_000;

    private final byte[] b;
    private final String source;
    private int pos;
    private int opAt;
    private int values;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private TorchPickle(byte[] pickle, String source) {
        this.b = pickle;
        this.source = source;
    }

    private static Map<String, Global> allowed() {
        Map<String, Global> m = new HashMap<>();
        m.put("collections.OrderedDict", new Global("collections.OrderedDict", Callable.ORDERED_DICT, null));
        m.put("torch._utils._rebuild_tensor_v2",
                new Global("torch._utils._rebuild_tensor_v2", Callable.REBUILD_TENSOR_V2, null));
        m.put("torch._utils._rebuild_parameter",
                new Global("torch._utils._rebuild_parameter", Callable.REBUILD_PARAMETER, null));
        for (StorageType t : StorageType.values()) {
            String name = "torch." + t.className;
            m.put(name, new Global(name, Callable.NOT_CALLABLE, t));
        }
        return m;
    }

    /**
     * The state dict pickled in data.pkl: parameter name to tensor view, in the file's order.
     * source names the file and entry for messages.
     */
    static Map<String, TensorSpec> read(byte[] pickle, String source) {
        return new TorchPickle(pickle, source).run();
    }

    private Map<String, TensorSpec> run() {
        while (pos < b.length) {
            opAt = pos;
            int op = b[pos++] & 0xff;
            if (op == '.') {
                return stateDict(pop());
            }
            step(op);
        }
        opAt = pos;
        throw fail("ends without a STOP opcode (truncated)");
    }

    private void step(int op) {
        switch (op) {
            case 0x80 -> u8(); // PROTO: the version does not change what is accepted
            case 0x95 -> bytes(8); // FRAME: a length hint for buffered readers
            case '(' -> {
                count();
                marks.add(stack.size());
            }
            case '}' -> push(new Dict(new LinkedHashMap<>()));
            case ')' -> push(new Tuple(List.of()));
            case 0x85, 0x86, 0x87 -> push(tupleOfTop(op - 0x84));
            case 't' -> push(new Tuple(popToMark()));
            case 'X' -> push(utf8(u32()));
            case 0x8c -> push(utf8(u8()));
            case 'K' -> push((long) u8());
            case 'M' -> push((long) (u8() | u8() << 8));
            case 'J' -> push((long) (int) u32());
            case 0x8a -> push(long1());
            case 'G' -> push(ByteBuffer.wrap(bytes(8)).getDouble());
            case 0x88 -> push(Boolean.TRUE);
            case 0x89 -> push(Boolean.FALSE);
            case 'N' -> push(NONE);
            case 'q' -> remember((long) u8(), top());
            case 'r' -> remember(u32(), top());
            case 0x94 -> remember((long) memo.size(), top());
            case 'h' -> push(memoGet(u8()));
            case 'j' -> push(memoGet(u32()));
            case 'c' -> push(global(line() + "." + line()));
            case 0x93 -> stackGlobal();
            case 'Q' -> push(storage(pop()));
            case 'R' -> reduce();
            case 's' -> setItem();
            case 'u' -> setItems();
            case 'b' -> build();
            case 'i' -> throw fail("refuses INST of the global " + line() + "." + line()
                    + " (nothing was executed); " + allowedList());
            case 0x81, 0x92, 'o' -> throw refuseNewObject(op);
            default -> throw fail("refuses opcode " + opcodeName(op)
                    + ", which torch.save does not write for a state dict (nothing was executed)");
        }
    }

    private RuntimeException refuseNewObject(int op) {
        String what = "";
        int at = op == 'o' ? (marks.isEmpty() ? -1 : marks.get(marks.size() - 1)) : stack.size() - (op == 0x81 ? 2 : 3);
        if (at >= 0 && at < stack.size()) {
            what = " of " + describe(stack.get(at));
        }
        return fail("refuses " + opcodeName(op) + what + ": torch.save does not create objects this way"
                + " (nothing was executed)");
    }

    private Global global(String name) {
        Global g = ALLOWED.get(name);
        if (g == null) {
            throw fail("refuses the global " + name + " (nothing was executed); " + allowedList());
        }
        return g;
    }

    private static String allowedList() {
        return "a torch.save state dict uses only collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
                + "torch._utils._rebuild_parameter and the torch.*Storage types";
    }

    private void stackGlobal() {
        Object name = pop(), module = pop();
        if (!(module instanceof String m) || !(name instanceof String n)) {
            throw fail("STACK_GLOBAL needs two strings, got " + describe(module) + " and " + describe(name));
        }
        push(global(printable(m) + "." + printable(n)));
    }

    /** A persistent id must be ('storage', a storage type, key, location, numel). */
    private Storage storage(Object pid) {
        if (pid instanceof Tuple(List<Object> t) && t.size() == 5 && "storage".equals(t.get(0))
                && t.get(1) instanceof Global(var _, var _, StorageType type) && type != null
                && t.get(2) instanceof String key && t.get(3) instanceof String location
                && t.get(4) instanceof Long numel && numel >= 0) {
            return new Storage(key, type, location, numel);
        }
        throw fail("refuses the persistent id " + describe(pid) + ": torch.save writes ('storage', a torch.*Storage "
                + "type, key, location, element count)" + (pid instanceof Tuple(List<Object> t)
                ? ", this one holds " + describeItems(t) : ""));
    }

    private void reduce() {
        Object args = pop(), callable = pop();
        if (!(callable instanceof Global g) || g.callable() == Callable.NOT_CALLABLE) {
            throw fail("refuses REDUCE on " + describe(callable) + ": only collections.OrderedDict, "
                    + "torch._utils._rebuild_tensor_v2 and torch._utils._rebuild_parameter are called (nothing was executed)");
        }
        if (!(args instanceof Tuple(List<Object> a))) {
            throw fail(g.name() + " called with " + describe(args) + " instead of an argument tuple");
        }
        push(switch (g.callable()) {
            case ORDERED_DICT -> orderedDict(a);
            case REBUILD_TENSOR_V2 -> rebuildTensor(a);
            case REBUILD_PARAMETER -> rebuildParameter(a);
            case NOT_CALLABLE -> throw new IllegalStateException();
        });
    }

    private Dict orderedDict(List<Object> a) {
        if (!a.isEmpty()) {
            throw fail("collections.OrderedDict called with " + a.size() + " arguments; torch.save passes none");
        }
        return new Dict(new LinkedHashMap<>());
    }

    /** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
    private TensorSpec rebuildTensor(List<Object> a) {
        if ((a.size() == 6 || a.size() == 7) && a.get(0) instanceof Storage s && a.get(1) instanceof Long offset
                && a.get(2) instanceof Tuple(List<Object> size) && a.get(3) instanceof Tuple(List<Object> stride)
                && a.get(4) instanceof Boolean && (a.get(5) instanceof Dict || a.get(5) == NONE)) {
            return new TensorSpec(s, offset, longs(size, "size"), longs(stride, "stride"));
        }
        throw fail("torch._utils._rebuild_tensor_v2 called with " + describeItems(a) + "; torch.save passes (storage, "
                + "offset, size tuple, stride tuple, requires_grad, backward hooks[, metadata])");
    }

    /** _rebuild_parameter(data, requires_grad, backward_hooks): the tensor itself. */
    private TensorSpec rebuildParameter(List<Object> a) {
        if (a.size() == 3 && a.get(0) instanceof TensorSpec t && a.get(1) instanceof Boolean
                && (a.get(2) instanceof Dict || a.get(2) == NONE)) {
            return t;
        }
        throw fail("torch._utils._rebuild_parameter called with " + describeItems(a)
                + "; torch.save passes (tensor, requires_grad, backward hooks)");
    }

    private long[] longs(List<Object> items, String what) {
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Long v)) {
                throw fail("a tensor's " + what + " holds " + describe(items.get(i)) + ", not an integer");
            }
            out[i] = v;
        }
        return out;
    }

    private void setItem() {
        Object value = pop(), key = pop();
        dictAt(stack.size() - 1).map().put(key(key), value);
    }

    private void setItems() {
        List<Object> items = popToMark();
        if (items.size() % 2 != 0) {
            throw fail("SETITEMS with an odd number (" + items.size() + ") of keys and values");
        }
        Dict d = dictAt(stack.size() - 1);
        for (int i = 0; i < items.size(); i += 2) {
            d.map().put(key(items.get(i)), items.get(i + 1));
        }
    }

    private String key(Object k) {
        if (k instanceof String s) {
            return s;
        }
        throw fail("a dict key is " + describe(k) + "; a state dict's keys are strings");
    }

    private Dict dictAt(int i) {
        if (i < 0 || (!marks.isEmpty() && i < marks.get(marks.size() - 1))) {
            throw fail("a dict update with no dict on the stack");
        }
        if (stack.get(i) instanceof Dict d) {
            return d;
        }
        throw fail("a dict update on " + describe(stack.get(i)) + ", not a dict");
    }

    /** BUILD sets attributes: torch.save sets the state dict's _metadata this way; it is not needed here. */
    private void build() {
        Object state = pop();
        Object target = top();
        if (!(target instanceof Dict) || !(state instanceof Dict || state == NONE)) {
            throw fail("refuses BUILD of " + describe(target) + " with " + describe(state)
                    + "; torch.save uses it only to set a dict's metadata");
        }
    }

    private Map<String, TensorSpec> stateDict(Object top) {
        if (!(top instanceof Dict(LinkedHashMap<String, Object> map))) {
            throw fail("holds " + describe(top) + ", not a state dict (a dict of tensors)");
        }
        Map<String, TensorSpec> out = new LinkedHashMap<>();
        for (var e : map.entrySet()) {
            if (!(e.getValue() instanceof TensorSpec t)) {
                throw fail("entry " + printable(e.getKey()) + " is " + describe(e.getValue())
                        + ", not a tensor (only state dicts of tensors are read)");
            }
            out.put(e.getKey(), t);
        }
        return out;
    }

    private Tuple tupleOfTop(int n) {
        if (stack.size() - n < floor()) {
            throw fail("TUPLE" + n + " with fewer than " + n + " values on the stack");
        }
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) {
            items[i] = stack.remove(stack.size() - 1);
        }
        return new Tuple(List.of(items));
    }

    private List<Object> popToMark() {
        if (marks.isEmpty()) {
            throw fail("an opcode needs a MARK and there is none");
        }
        int m = marks.remove(marks.size() - 1);
        List<Object> top = stack.subList(m, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    /** The lowest stack index an opcode may pop: values below the last mark belong to an outer opcode. */
    private int floor() {
        return marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
    }

    /**
     * Every value pushed, every mark and every memo entry counts against {@link #MAX_VALUES}, so that a small
     * pickle cannot fill the heap (each opcode of a byte or two may create an object).
     */
    private void push(Object v) {
        count();
        stack.add(v);
    }

    private void remember(long index, Object v) {
        count();
        memo.put(index, v);
    }

    private void count() {
        if (++values > MAX_VALUES) {
            throw fail("creates more than " + MAX_VALUES + " values; torch.save's pickle of a state dict creates"
                    + " about 25 a tensor");
        }
    }

    private Object pop() {
        if (stack.size() <= floor()) {
            throw fail("pops a value from an empty stack");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object top() {
        if (stack.size() <= floor()) {
            throw fail("reads the top of an empty stack");
        }
        return stack.get(stack.size() - 1);
    }

    private Object memoGet(long i) {
        Object v = memo.get(i);
        if (v == null) {
            throw fail("gets memo entry " + i + ", which was never put");
        }
        return v;
    }

    private int u8() {
        need(1);
        return b[pos++] & 0xff;
    }

    private long u32() {
        byte[] x = bytes(4);
        return (x[0] & 0xffL) | (x[1] & 0xffL) << 8 | (x[2] & 0xffL) << 16 | (x[3] & 0xffL) << 24;
    }

    /** LONG1: a little-endian two's-complement integer of n bytes; more than 8 do not fit a long. */
    private long long1() {
        int n = u8();
        if (n > 8) {
            throw fail("an integer of " + n + " bytes is too large for a tensor size or offset");
        }
        byte[] x = bytes(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (x[i] & 0xffL);
        }
        if (n > 0 && n < 8 && x[n - 1] < 0) {
            v |= -1L << (8 * n);
        }
        return v;
    }

    private byte[] bytes(long n) {
        need(n);
        byte[] out = new byte[(int) n];
        System.arraycopy(b, pos, out, 0, (int) n);
        pos += (int) n;
        return out;
    }

    private void need(long n) {
        if (n > b.length - pos) {
            throw fail("needs " + n + " more bytes but the pickle ends at byte " + b.length + " (truncated)");
        }
    }

    private String utf8(long n) {
        byte[] x = bytes(n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(x)).toString();
        } catch (CharacterCodingException e) {
            throw fail("a string is not valid UTF-8");
        }
    }

    /** One newline-terminated line of GLOBAL or INST, for names: kept short and printable. */
    private String line() {
        int start = pos;
        while (pos < b.length && b[pos] != '\n') {
            if (pos - start >= MAX_GLOBAL_LINE) {
                throw fail("a global name is longer than " + MAX_GLOBAL_LINE + " bytes");
            }
            pos++;
        }
        if (pos >= b.length) {
            throw fail("a global name is not terminated (truncated)");
        }
        String s = new String(b, start, pos - start, StandardCharsets.ISO_8859_1);
        pos++;
        return printable(s);
    }

    /** The string with anything but printable ASCII shown as '?', and cut at 200 characters, for messages. */
    static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return s.length() > 200 ? out + "..." : out.toString();
    }

    private String describe(Object v) {
        if (v instanceof String s) {
            return "the string '" + printable(s) + "'";
        } else if (v instanceof Long || v instanceof Double || v instanceof Boolean) {
            return "the value " + v;
        } else if (v == NONE) {
            return "None";
        } else if (v instanceof Global g) {
            return g.name();
        } else if (v instanceof Tuple(List<Object> items)) {
            return "a tuple of " + items.size() + " items";
        } else if (v instanceof Dict) {
            return "a dict";
        } else if (v instanceof Storage s) {
            return "a storage (key " + printable(s.key()) + ")";
        } else if (v instanceof TensorSpec) {
            return "a tensor";
        }
        return "a " + v.getClass().getSimpleName();
    }

    private String describeItems(List<Object> items) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < items.size() && i < 8; i++) {
            parts.add(describe(items.get(i)));
        }
        return "(" + String.join(", ", parts) + (items.size() > 8 ? ", ..." : "") + ")";
    }

    private CheckpointException fail(String what) {
        return new CheckpointException(source + " at byte " + opAt + ": " + what);
    }

    private static String opcodeName(int op) {
        String name = switch (op) {
            case '0' -> "POP";
            case '1' -> "POP_MARK";
            case '2' -> "DUP";
            case 'F' -> "FLOAT";
            case 'I' -> "INT";
            case 'L' -> "LONG";
            case 'P' -> "PERSID";
            case 'S' -> "STRING";
            case 'T' -> "BINSTRING";
            case 'U' -> "SHORT_BINSTRING";
            case 'V' -> "UNICODE";
            case 'a' -> "APPEND";
            case 'd' -> "DICT";
            case 'e' -> "APPENDS";
            case 'g' -> "GET";
            case 'i' -> "INST";
            case 'l' -> "LIST";
            case ']' -> "EMPTY_LIST";
            case 'o' -> "OBJ";
            case 'p' -> "PUT";
            case 'B' -> "BINBYTES";
            case 'C' -> "SHORT_BINBYTES";
            case 0x81 -> "NEWOBJ";
            case 0x82 -> "EXT1";
            case 0x83 -> "EXT2";
            case 0x84 -> "EXT4";
            case 0x8b -> "LONG4";
            case 0x8d -> "BINUNICODE8";
            case 0x8e -> "BINBYTES8";
            case 0x8f -> "EMPTY_SET";
            case 0x90 -> "ADDITEMS";
            case 0x91 -> "FROZENSET";
            case 0x92 -> "NEWOBJ_EX";
            case 0x96 -> "BYTEARRAY8";
            case 0x97 -> "NEXT_BUFFER";
            case 0x98 -> "READONLY_BUFFER";
            default -> "unknown";
        };
        return name + String.format(" (0x%02x)", op);
    }
}
