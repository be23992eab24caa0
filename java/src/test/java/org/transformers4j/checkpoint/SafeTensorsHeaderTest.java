package org.transformers4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.tensor.TensorArena;

/** The safetensors header and layout checks: what the reference implementation refuses is refused, with a message. */
class SafeTensorsHeaderTest {
    private static final String TWO = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";

    @TempDir
    Path tmp;

    /** 8-byte length (the header's own unless lengthDelta moves it), header, then dataBytes bytes counting 1, 2, 3... */
    static byte[] bytes(String header, int dataBytes, long lengthDelta) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length + lengthDelta).put(h);
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) (i + 1));
        }
        return b.array();
    }

    /** Refused both from a file and from memory, with a message naming the source and containing expected. */
    void rejects(String expected, byte[] content) throws IOException {
        Path f = Files.write(Files.createTempFile(tmp, "bad", ".safetensors"), content);
        for (LoadMode mode : LoadMode.values()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.open(f, mode).close());
            assertTrue(e.getMessage().contains(expected), "message should mention '" + expected + "': " + e.getMessage());
            assertTrue(e.getMessage().startsWith(f.toString()), "message should name the file: " + e.getMessage());
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.fromBytes(content, "mem").close());
        assertTrue(e.getMessage().startsWith("mem: ") && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void aWellFormedFileOpensInEveryMode() throws IOException {
        Path f = Files.write(tmp.resolve("ok.safetensors"), bytes(TWO, 12, 0));
        for (LoadMode mode : LoadMode.values()) {
            try (SafeTensors s = SafeTensors.open(f, mode); TensorArena a = TensorArena.confined()) {
                assertEquals(List.of("a", "b"), List.copyOf(s.names()));
                assertEquals(Float.intBitsToFloat(0x04030201), s.load("a", a).getFloat(0));
                assertEquals(Float.intBitsToFloat(0x0c0b0a09), s.load("b", a).getFloat(0));
            }
        }
        try (SafeTensors s = SafeTensors.fromBytes(bytes("{\"__metadata__\":{\"format\":\"pt\"}}  ", 0, 0), "mem")) {
            assertEquals(Map.of("format", "pt"), s.metadata());
            assertTrue(s.names().isEmpty());
        }
        try (SafeTensors s = SafeTensors.fromBytes(bytes("{\"__metadata__\":null,\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],"
                + "\"data_offsets\":[0,0]}}", 0, 0), "mem")) {
            assertEquals(List.of("e"), List.copyOf(s.names()));
        }
    }

    @Test
    void aHeaderLengthShortByOneToSevenBytesIsRefused() throws IOException {
        // the writer pads the header with spaces to a multiple of 8: a name is chosen for 7 spaces of
        // padding, so a length 1 to 7 bytes short still holds the whole JSON and lands in the padding
        byte[] good = null;
        for (String name = "x"; good == null || padding(good) != 7; name += "x") {
            Path f = tmp.resolve(name + ".safetensors");
            try (TensorArena a = TensorArena.confined()) {
                SafeTensorsWriter.write(f, Map.of(name, a.of(new float[] {1, 2, 3}, 3)), Map.of());
            }
            good = Files.readAllBytes(f);
        }
        long length = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        for (int shortBy = 1; shortBy <= 7; shortBy++) {
            byte[] bad = good.clone();
            ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length - shortBy);
            rejects("leaving " + shortBy + " bytes unaccounted for (bytes appended to the file, or a header length that"
                    + " is too short)", bad);
        }
        for (int longBy = 1; longBy <= 7; longBy++) {
            byte[] bad = good.clone();
            ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length + longBy);
            rejects("the header is not valid", bad); // JSON, or UTF-8 where float bytes are taken in
        }
    }

    private static int padding(byte[] file) {
        int end = 8 + (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0), n = 0;
        while (file[end - 1 - n] == ' ') {
            n++;
        }
        return n;
    }

    @Test
    void bytesAppendedOrMissingAreRefused() throws IOException {
        byte[] good = bytes(TWO, 12, 0);
        rejects("leaving 1 bytes unaccounted for", Arrays.copyOf(good, good.length + 1));
        rejects("leaving 4096 bytes unaccounted for", Arrays.copyOf(good, good.length + 4096));
        rejects("tensor b has data_offsets [8, 12] past the 11 bytes", Arrays.copyOf(good, good.length - 1));
        rejects("runs past the end", bytes(TWO, 12, 13));
        rejects("the tensors cover 0 of the 5 bytes", bytes("{}", 5, 0));
    }

    @Test
    void gapsAndOverlapsAreRefused() throws IOException {
        rejects("tensor b begins at data offset 12, leaving a gap of 4 bytes after tensor a",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16, 0));
        rejects("tensor a begins at data offset 4, leaving a gap of 4 bytes after the header",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, 0));
        rejects("overlaps tensor a",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, 0));
        rejects("overlaps", bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 0));
    }

    @Test
    void headerLengthsOutOfBoundsAreRefused() throws IOException {
        rejects("too short for a safetensors file", new byte[7]);
        rejects("header length 1 is too short for a JSON object", bytes("{", 0, 0));
        rejects("header length 100000001 is more than the 100000000 bytes allowed", bytes("{}", 0, 100_000_001 - 2));
        rejects("header length 18446744073709551615 is more than", bytes("{}", 0, -3));
    }

    @Test
    void theHeaderMustBeStrictUtf8JsonObject() throws IOException {
        byte[] latin1 = bytes("{\"caf\u00e9\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, 0);
        byte[] h = "{\"caf\u00e9\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}".getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer.wrap(latin1).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length);
        System.arraycopy(h, 0, latin1, 8, h.length);
        rejects("the header is not valid UTF-8: byte 5 of", Arrays.copyOf(latin1, 8 + h.length));
        rejects("not valid JSON", bytes("[1, 2]", 0, 0));
        rejects("not valid JSON", bytes("{not json}", 0, 0));
        rejects("not valid JSON", bytes("{'a':{'dtype':'F32','shape':[0],'data_offsets':[0,0]}}", 0, 0));
        rejects("not valid JSON", bytes("{} /* comment */", 0, 0));
        rejects("not valid JSON", bytes("{}{}", 0, 0));
    }

    @Test
    void metadataMustBeAnObjectOfStrings() throws IOException {
        rejects("__metadata__ is NUMBER, not an object of strings", bytes("{\"__metadata__\":5}", 0, 0));
        rejects("__metadata__ is BEGIN_ARRAY, not an object of strings", bytes("{\"__metadata__\":[\"a\"]}", 0, 0));
        rejects("__metadata__ key n is NUMBER, not a string", bytes("{\"__metadata__\":{\"n\":1}}", 0, 0));
        rejects("__metadata__ key o is BEGIN_OBJECT", bytes("{\"__metadata__\":{\"o\":{}}}", 0, 0));
        rejects("__metadata__ names k twice", bytes("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, 0));
        rejects("names __metadata__ twice", bytes("{\"__metadata__\":{},\"__metadata__\":{}}", 0, 0));
    }

    @Test
    void entriesAreCheckedFieldByField() throws IOException {
        rejects("the header names a twice", bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, 0));
        rejects("tensor a has shape twice", bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"shape\":[1],"
                + "\"data_offsets\":[0,4]}}", 4, 0));
        rejects("tensor a is STRING in the header, not an object", bytes("{\"a\":\"x\"}", 0, 0));
        rejects("tensor a has no dtype", bytes("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, 0));
        rejects("tensor a has no shape", bytes("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, 0));
        rejects("tensor a has no data_offsets", bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, 0));
        rejects("tensor a has dtype NUMBER", bytes("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, 0));
        rejects("tensor a has unknown dtype F8_E9", bytes("{\"a\":{\"dtype\":\"F8_E9\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, 0));
        rejects("tensor a has shape[0] = -1, not a non-negative integer",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, 0));
        rejects("tensor a has shape[1] = 2.0, not a non-negative integer",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,2.0],\"data_offsets\":[0,8]}}", 8, 0));
        rejects("tensor a has shape[0] = STRING, not a non-negative integer",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, 0));
        rejects("tensor a has shape BEGIN_OBJECT, not an array",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":{},\"data_offsets\":[0,8]}}", 8, 0));
        rejects("tensor a has shape[0] = 99999999999999999999, more than a 64-bit count",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8, 0));
        rejects("tensor a has 3 data_offsets, not 2", bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8, 0));
        rejects("tensor a has data_offsets [4, 0] that end before they begin",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4, 0));
        rejects("tensor a is F32[2] (8 bytes) but its data_offsets [0, 4] span 4 bytes",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, 0));
    }

    @Test
    void sizesThatOverflowAreRefusedNotWrapped() throws IOException {
        // 2^31 * 2^31 * 4 bytes wraps to 0 in 64 bits; 2^62 F32 elements is 2^64 bytes, also 0
        rejects("tensor a is F32[2147483648, 2147483648, 4], more bytes than a 64-bit size",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483648,2147483648,4],\"data_offsets\":[0,0]}}", 0, 0));
        rejects("tensor a is F32[4611686018427387904], more bytes than a 64-bit size",
                bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", 0, 0));
        rejects("tensor a is F64[1152921504606846976, 2], more bytes",
                bytes("{\"a\":{\"dtype\":\"F64\",\"shape\":[1152921504606846976,2],\"data_offsets\":[0,0]}}", 0, 0));
    }

    @Test
    void dtypesThatAreNotParametersAreRefusedOnLoad() throws IOException {
        try (SafeTensors s = SafeTensors.fromBytes(bytes("{\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"q\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[8,10]}}", 10, 0), "mem");
             TensorArena a = TensorArena.confined()) {
            assertArrayEquals(new long[] {0x0807060504030201L}, s.loadLongs("i"));
            var e = assertThrows(CheckpointException.class, () -> s.load("q", a));
            assertTrue(e.getMessage().contains("mem: tensor q is F8_E4M3, which cannot be loaded as float32"), e.getMessage());
            e = assertThrows(CheckpointException.class, () -> s.loadLongs("q"));
            assertTrue(e.getMessage().contains("mem: tensor q is F8_E4M3, not an integer type"), e.getMessage());
            e = assertThrows(CheckpointException.class, () -> s.load("nope", a));
            assertTrue(e.getMessage().contains("mem: no tensor named nope"), e.getMessage());
        }
    }

    @Test
    void closingTwiceIsHarmlessAndUseAfterCloseSaysClosed() {
        SafeTensors s = SafeTensors.fromBytes(bytes(TWO, 12, 0), "mem");
        s.close();
        s.close();
        var e = assertThrows(IllegalStateException.class, () -> s.shape("a"));
        assertEquals("mem: closed", e.getMessage());
    }
}
