package org.transformers4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.transformers4j.checkpoint.TorchFiles.Pickle;
import org.transformers4j.checkpoint.TorchFiles.View;

/**
 * What a torch.save reader must refuse: pickles that would run code (os.system, eval, open,
 * unknown classes by GLOBAL, STACK_GLOBAL, INST, NEWOBJ, REDUCE on what is not torch.save's),
 * persistent ids and views of the wrong shape, storages missing or too short, and damaged
 * pickles. Each refusal names what was refused and the file; nothing is ever executed.
 */
class TorchPickleSafetyTest {
    @TempDir
    Path tmp;

    static final View W = new View("0", "FloatStorage", 2, 0, new long[] {2}, new long[] {1});
    static final Map<String, byte[]> W_DATA = Map.of("0", TorchFiles.floats(1, 2));

    /**
     * The committed files written by emulate_torch_save.py with Python's own pickle (which names
     * builtins __builtin__ at protocol 2, for Python 2 readers).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "posix-system.bin|refuses the global posix.system (nothing was executed)",
        "builtins-eval.bin|refuses the global __builtin__.eval",
        "newobj-unknown-class.bin|refuses the global evil.Payload",
        "load-from-bytes.bin|refuses the global torch.storage._load_from_bytes",
        "reduce-storage-type.bin|refuses REDUCE on torch.FloatStorage",
        "not-a-tensor.bin|entry step is the value 7, not a tensor",
        "missing-storage.bin|tensor w (storage entry archive/data/0): the entry is missing from the zip",
        "short-storage.bin|holds 6 bytes but 2 elements of torch.FloatStorage take 8",
        "offset-past-end.bin|reaches element 2 of a storage of 2 elements",
        "bad-persistent-id.bin|refuses the persistent id a tuple of 5 items",
        "truncated.bin|no zip end-of-central-directory record"})
    void maliciousFilesWrittenByPythonAreRefused(String file, String expected) {
        TorchCheckpointTest.refuses(expected, TorchCheckpointTest.resource("malicious/" + file));
    }

    Path zip(byte[] pickle) {
        return zip(pickle, W_DATA);
    }

    Path zip(byte[] pickle, Map<String, byte[]> storages) {
        try {
            return TorchFiles.write(Files.createTempFile(tmp, "p", ".bin"), "archive", pickle, storages);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    void refuses(String expected, byte[] pickle) {
        TorchCheckpointTest.refuses(expected, zip(pickle));
    }

    /** A state dict {"w": W, key: value} where value is written by the given opcodes. */
    static byte[] stateWith(String key, Pickle value) {
        Pickle p = new Pickle().proto(2).global("collections", "OrderedDict").op(')').op('R').op('(');
        p.str("w").tensor(W).str(key).raw(value.bytes());
        return p.op('u').op('.').bytes();
    }

    /**
     * Pickles that create a file when Python's pickle.loads reads them (os.system runs touch;
     * builtins.open opens for writing), placed after a valid tensor as an attack would be.
     */
    @Test
    void picklesThatWouldCreateAFileAreRefusedAndCreateNothing() {
        Path victim = tmp.resolve("pwned");
        Map<String, Pickle> attacks = new LinkedHashMap<>();
        attacks.put("refuses the global os.system (nothing was executed)",
                new Pickle().global("os", "system").str("touch " + victim).op(0x85).op('R'));
        attacks.put("refuses the global posix.system",
                new Pickle().global("posix", "system").str("touch " + victim).op(0x85).op('R'));
        attacks.put("refuses the global builtins.open",
                new Pickle().global("builtins", "open").str(victim.toString()).str("w").op(0x86).op('R'));
        attacks.put("refuses the global subprocess.call",
                new Pickle().global("subprocess", "call").op('(').str("touch").str(victim.toString()).op('l')
                        .op(0x85).op('R'));
        attacks.put("refuses the global os.system (nothing",
                new Pickle().op(0x8c).op(2).raw("os".getBytes()).op(0x8c).op(6).raw("system".getBytes()).op(0x93)
                        .str("touch " + victim).op(0x85).op('R'));
        attacks.put("refuses INST of the global os.system",
                new Pickle().op('(').str("touch " + victim).op('i').raw("os\nsystem\n".getBytes()));
        for (var e : attacks.entrySet()) {
            refuses(e.getKey(), stateWith("evil", e.getValue()));
            assertFalse(Files.exists(victim), "nothing may run: " + e.getKey());
        }
    }

    @Test
    void objectCreationAndCallsOutsideTheListAreRefused() {
        refuses("refuses NEWOBJ (0x81) of collections.OrderedDict",
                stateWith("x", new Pickle().global("collections", "OrderedDict").op(')').op(0x81)));
        refuses("refuses OBJ (0x6f) of collections.OrderedDict",
                stateWith("x", new Pickle().op('(').global("collections", "OrderedDict").op('o')));
        refuses("refuses NEWOBJ_EX (0x92)", stateWith("x", new Pickle().global("collections", "OrderedDict").op(')')
                .op('}').op(0x92)));
        refuses("refuses REDUCE on the string 'x'", stateWith("x", new Pickle().str("x").op(')').op('R')));
        refuses("refuses REDUCE on torch.HalfStorage", stateWith("x", new Pickle().global("torch", "HalfStorage")
                .op(')').op('R')));
        refuses("refuses the global torch.ComplexFloatStorage", stateWith("x", new Pickle().global("torch",
                "ComplexFloatStorage")));
        refuses("refuses the global torch._tensor._rebuild_from_type_v2",
                stateWith("x", new Pickle().global("torch._tensor", "_rebuild_from_type_v2")));
        refuses("collections.OrderedDict called with the value 3 instead of an argument tuple",
                stateWith("x", new Pickle().global("collections", "OrderedDict").integer(3).op('R')));
        refuses("collections.OrderedDict called with 1 arguments",
                stateWith("x", new Pickle().global("collections", "OrderedDict").integer(3).op(0x85).op('R')));
        refuses("torch._utils._rebuild_tensor_v2 called with (the value 1)",
                stateWith("x", new Pickle().global("torch._utils", "_rebuild_tensor_v2").integer(1).op(0x85).op('R')));
        refuses("torch._utils._rebuild_parameter called with (the string 'a')",
                stateWith("x", new Pickle().global("torch._utils", "_rebuild_parameter").str("a").op(0x85).op('R')));
        refuses("refuses BUILD of a tensor", stateWith("x", new Pickle().tensor(W).op('}').op('b')));
        refuses("refuses opcode EMPTY_LIST (0x5d)", stateWith("x", new Pickle().op(']')));
        refuses("refuses opcode EXT1 (0x82)", stateWith("x", new Pickle().op(0x82).op(1)));
        refuses("refuses opcode PERSID (0x50)", stateWith("x", new Pickle().op('P').raw("0\n".getBytes())));
        refuses("refuses opcode unknown (0xff)", stateWith("x", new Pickle().op(0xff)));
    }

    /** A tensor whose persistent id is written by pid (the opcodes before BINPERSID). */
    static byte[] tensorWithPid(Pickle pid) {
        Pickle p = new Pickle().proto(2).op('}').str("w").global("torch._utils", "_rebuild_tensor_v2").op('(');
        p.raw(pid.bytes()).op('Q').integer(0).tupleOf(2).tupleOf(1).op(0x89).op('}').op('t').op('R');
        return p.op('s').op('.').bytes();
    }

    @Test
    void persistentIdsOfTheWrongShapeAreRefused() {
        refuses("refuses the persistent id a tuple of 3 items", tensorWithPid(new Pickle().op('(').str("storage")
                .global("torch", "FloatStorage").str("0").op('t')));
        refuses("refuses the persistent id the string 'storage'", tensorWithPid(new Pickle().str("storage")));
        refuses("holds (the string 'module'", tensorWithPid(new Pickle().op('(').str("module")
                .global("torch", "FloatStorage").str("0").str("cpu").integer(2).op('t')));
        refuses("refuses the persistent id a tuple of 5 items", tensorWithPid(new Pickle().op('(').str("storage")
                .global("collections", "OrderedDict").str("0").str("cpu").integer(2).op('t')));
        refuses("refuses the persistent id a tuple of 5 items", tensorWithPid(new Pickle().op('(').str("storage")
                .global("torch", "FloatStorage").str("0").str("cpu").integer(-1).op('t')));
        refuses("(storage entry archive/data/9): the entry is missing from the zip", tensorWithPid(new Pickle().op('(')
                .str("storage").global("torch", "FloatStorage").str("9").str("cpu").integer(2).op('t')));
        refuses("holds 8 bytes but 3 elements of torch.FloatStorage take 12", tensorWithPid(new Pickle().op('(')
                .str("storage").global("torch", "FloatStorage").str("0").str("cpu").integer(3).op('t')));
        refuses("element count 4611686018427387904 overflows", tensorWithPid(new Pickle().op('(')
                .str("storage").global("torch", "FloatStorage").str("0").str("cpu").integer(1L << 62).op('t')));
    }

    static byte[] view(long offset, long[] size, long[] stride) {
        return TorchFiles.statePickle(Map.of("w", new View("0", "FloatStorage", 2, offset, size, stride)));
    }

    @Test
    void viewsOutsideTheirStorageAreRefusedWithoutOverflow() {
        refuses("reaches element 2 of a storage of 2 elements", view(0, new long[] {3}, new long[] {1}));
        refuses("reaches element 3 of a storage of 2 elements", view(0, new long[] {2, 2}, new long[] {1, 2}));
        refuses("reaches element 3 of a storage of 2 elements", view(3, new long[] {0}, new long[] {1}));
        refuses("reaches element -1", view(-1, new long[] {1}, new long[] {1}));
        refuses("has a negative size or stride", view(0, new long[] {1, -1}, new long[] {1, 1}));
        refuses("has a negative size or stride", view(1, new long[] {2}, new long[] {-1}));
        refuses("overflows a 64-bit element index", view(0, new long[] {1L << 40, 1L << 40}, new long[] {1, 1}));
        refuses("overflows a 64-bit element index", view(0, new long[] {3}, new long[] {Long.MAX_VALUE / 2 + 1}));
        refuses("overflows a 64-bit element index", view(Long.MAX_VALUE, new long[] {2}, new long[] {1}));
        refuses("has 1 sizes and 2 strides", view(0, new long[] {2}, new long[] {1, 1}));
        refuses("has 65 sizes and 65 strides (at most 64)", view(0, new long[65], new long[65]));
        refuses("has 4 elements, more than its storage's 2 (a broadcast view", view(0, new long[] {4}, new long[] {0}));
    }

    @Test
    void damagedPicklesAreRefusedNamingTheByte() {
        byte[] good = TorchFiles.statePickle(Map.of("w", W));
        refuses("archive/data.pkl at byte " + (good.length - 1) + ": ends without a STOP opcode",
                java.util.Arrays.copyOf(good, good.length - 1));
        refuses("needs 1 more bytes but the pickle ends", java.util.Arrays.copyOf(good, 1));
        refuses("ends without a STOP opcode", new byte[0]);
        refuses("pops a value from an empty stack", new byte[] {'.'});
        refuses("pops a value from an empty stack", new Pickle().op('(').op('(').op('.').bytes());
        refuses("gets memo entry 7, which was never put", new Pickle().op('h').op(7).op('.').bytes());
        refuses("reads the top of an empty stack", new Pickle().op('q').op(0).bytes());
        refuses("an opcode needs a MARK and there is none", new Pickle().op('}').op('u').bytes());
        refuses("SETITEMS with an odd number (1)", new Pickle().op('}').op('(').str("a").op('u').bytes());
        refuses("a dict key is the value 3", new Pickle().op('}').integer(3).tensor(W).op('s').bytes());
        refuses("a dict update on the string 'a', not a dict", new Pickle().str("a").str("k").str("v").op('s').bytes());
        refuses("a dict update with no dict on the stack", new Pickle().op('}').op('(').str("k").str("v").op('s').bytes());
        refuses("TUPLE3 with fewer than 3 values", new Pickle().integer(1).op(0x87).bytes());
        refuses("holds a tuple of 0 items, not a state dict", new Pickle().op(')').op('.').bytes());
        refuses("an integer of 9 bytes is too large", new Pickle().op(0x8a).op(9).raw(new byte[9]).bytes());
        refuses("a string is not valid UTF-8", new Pickle().op('X').raw(new byte[] {2, 0, 0, 0, (byte) 0xc3, 0x28}).bytes());
        refuses("needs 4294967295 more bytes", new Pickle().op('X').raw(new byte[] {-1, -1, -1, -1}).bytes());
        refuses("a global name is not terminated", new Pickle().op('c').raw("os".getBytes()).bytes());
        refuses("a global name is longer than 256 bytes", new Pickle().op('c').raw(new byte[300]).bytes());
        refuses("STACK_GLOBAL needs two strings, got the value 1 and the value 2",
                new Pickle().integer(1).integer(2).op(0x93).bytes());
    }

    /** Deep nesting is data on an explicit stack: no recursion, so no StackOverflowError. */
    @Test
    void deeplyNestedPicklesAreRefusedWithoutRecursion() {
        Pickle nested = new Pickle().op(')');
        for (int i = 0; i < 200_000; i++) {
            nested.op(0x85);
        }
        refuses("holds a tuple of 1 items, not a state dict", nested.op('.').bytes());
        Pickle marks = new Pickle();
        for (int i = 0; i < 200_000; i++) {
            marks.op('(');
        }
        refuses("pops a value from an empty stack", marks.op('.').bytes());
        Pickle gets = new Pickle().op('}').op('q').op(0);
        for (int i = 0; i < 100_000; i++) {
            gets.op('h').op(0).op(0x86).op('q').op(0);
        }
        refuses("holds a tuple of 2 items", gets.op('.').bytes());
    }

    /** The pickle reader alone (no zip), for large pickles. */
    static void refusesPickle(String expected, byte[] pickle) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchPickle.read(pickle, "big.pkl"));
        assertTrue(e.getMessage().startsWith("big.pkl at byte "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "message should mention '" + expected + "': " + e.getMessage());
    }

    /** Each opcode of a byte may create an object: a pickle may create only so many (4 million). */
    @Test
    void picklesThatWouldFillTheHeapAreRefused() {
        for (int op : new int[] {'N', '(', 0x85}) {
            byte[] many = new byte[TorchPickle.MAX_VALUES + 2];
            java.util.Arrays.fill(many, (byte) op);
            many[0] = ')';
            refusesPickle("creates more than 4000000 values", many);
        }
        byte[] puts = new byte[2 * TorchPickle.MAX_VALUES + 3];
        puts[0] = 'N';
        for (int i = 1; i + 2 <= puts.length; i += 2) {
            puts[i] = 'q';
            puts[i + 1] = (byte) i;
        }
        refusesPickle("creates more than 4000000 values", puts);
    }

    @Test
    void aNonTensorEntryIsNamed() {
        refuses("entry lr is the value 0.5, not a tensor", stateWith("lr",
                new Pickle().op('G').raw(java.nio.ByteBuffer.allocate(8).putDouble(0.5).array())));
        refuses("entry nested is a dict, not a tensor", stateWith("nested", new Pickle().op('}')));
        refuses("entry flag is None, not a tensor", stateWith("flag", new Pickle().op('N')));
    }

    @Test
    void theAllowedGlobalsAloneStillMakeAStateDict() throws IOException {
        Path f = zip(TorchFiles.statePickle(Map.of("w", W)));
        try (TorchCheckpoint c = TorchCheckpoint.open(f); var a = org.transformers4j.tensor.TensorArena.confined()) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {1, 2}, c.load("w", a).toFloatArray());
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(
                zip(stateWith("x", new Pickle().global("os", "system")))));
        assertTrue(e.getMessage().contains("collections.OrderedDict, torch._utils._rebuild_tensor_v2"), e.getMessage());
    }
}
