package org.transformers4j.checkpoint;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.transformers4j.checkpoint.files.SafeFiles;
import org.transformers4j.tensor.Shape;
import org.transformers4j.util.StrictJsonParser;

/**
 * The header of a safetensors file, parsed and checked as the reference implementation
 * (huggingface/safetensors, {@code Metadata::validate}) checks it: an 8-byte little-endian length
 * N of at most 100,000,000, then N bytes of UTF-8 JSON (an object: tensor names to {dtype, shape,
 * data_offsets}, and an optional {@code __metadata__} object of strings), then the data. Sorted by
 * offset, the tensors must cover the data exactly: contiguous from 0, no gaps or overlaps, the last
 * ending at the end of the file. So a length a few bytes short (landing in the header's padding)
 * or bytes appended after the data are refused rather than read shifted.
 *
 * @param entries  tensor name to its entry, in the header's order
 * @param metadata the {@code __metadata__} strings
 * @param dataStart where the data begins in the file: 8 + N
 */
record SafeTensorsHeader(Map<String, SafeTensorsHeader.Entry> entries, Map<String, String> metadata, long dataStart) {
    /** The most header bytes accepted, as in the reference implementation. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One stored tensor: dtype name as in the file, shape, and its byte range [begin, end) in the data. */
    record Entry(String dtype, Shape shape, long begin, long end) {
    }

    /** Parses and checks the header of the whole file in all; every fault names source (and the tensor). */
    static SafeTensorsHeader parse(String source, MemorySegment all) {
        long size = all.byteSize();
        if (size < 8) {
            throw new CheckpointException(source + ": " + size + " bytes is too short for a safetensors file"
                    + " (an 8-byte header length comes first)");
        }
        long n = all.get(LONG_LE, 0);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new CheckpointException(source + ": header length " + Long.toUnsignedString(n) + " is more than the "
                    + MAX_HEADER_BYTES + " bytes allowed (corrupt, or not a safetensors file)");
        }
        if (n > size - 8) {
            throw new CheckpointException(source + ": header length " + n + " runs past the end of the " + size
                    + "-byte file (truncated or not a safetensors file)");
        }
        if (n < 2) {
            throw new CheckpointException(source + ": header length " + n + " is too short for a JSON object");
        }
        byte[] header = all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        String json = SafeFiles.decodeUtf8(header, source + ": the header");
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Entry> entries = parseJson(source, json, metadata);
        checkLayout(source, entries, size - 8 - n, n);
        return new SafeTensorsHeader(Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata), 8 + n);
    }

    private static Map<String, Entry> parseJson(String source, String json, Map<String, String> metadata) {
        JsonReader r = new JsonReader(new StringReader(json));
        r.setStrictness(Strictness.STRICT);
        Map<String, Entry> entries = new LinkedHashMap<>();
        String name = null;
        try {
            expect(r, JsonToken.BEGIN_OBJECT, "the header");
            r.beginObject();
            boolean sawMetadata = false;
            while (r.hasNext()) {
                name = r.nextName();
                if (entries.containsKey(name) || (sawMetadata && name.equals("__metadata__"))) {
                    throw new CheckpointException(source + ": the header names " + name + " twice");
                }
                if (name.equals("__metadata__")) {
                    sawMetadata = true;
                    readMetadata(source, r, metadata);
                } else {
                    entries.put(name, readEntry(source, name, r));
                }
                name = null;
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new CheckpointException(source + ": the header has text after its JSON object");
            }
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            // Gson's messages say where (line, column, JSON path)
            throw new CheckpointException(source + ": the header is not valid JSON" + (name == null ? ""
                    : name.equals("__metadata__") ? " in __metadata__" : " in tensor " + name) + ": "
                    + StrictJsonParser.describe(e), e);
        }
        return entries;
    }

    private static void expect(JsonReader r, JsonToken token, String what) throws IOException {
        if (r.peek() != token) {
            throw new IllegalStateException(what + " is " + r.peek() + ", expected " + token + " at " + r.getPath());
        }
    }

    private static void readMetadata(String source, JsonReader r, Map<String, String> metadata) throws IOException {
        if (r.peek() == JsonToken.NULL) {
            r.nextNull();
            return;
        }
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw new CheckpointException(source + ": __metadata__ is " + r.peek() + ", not an object of strings");
        }
        r.beginObject();
        while (r.hasNext()) {
            String key = r.nextName();
            if (r.peek() != JsonToken.STRING) {
                throw new CheckpointException(source + ": __metadata__ key " + key + " is " + r.peek() + ", not a string");
            }
            if (metadata.put(key, r.nextString()) != null) {
                throw new CheckpointException(source + ": __metadata__ names " + key + " twice");
            }
        }
        r.endObject();
    }

    private static Entry readEntry(String source, String name, JsonReader r) throws IOException {
        String where = source + ": tensor " + name;
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw new CheckpointException(where + " is " + r.peek() + " in the header, not an object");
        }
        String dtype = null;
        long[] shape = null, offsets = null;
        Set<String> keys = new HashSet<>();
        r.beginObject();
        while (r.hasNext()) {
            String key = r.nextName();
            if (!keys.add(key)) {
                throw new CheckpointException(where + " has " + key + " twice");
            }
            switch (key) {
                case "dtype" -> {
                    if (r.peek() != JsonToken.STRING) {
                        throw new CheckpointException(where + " has dtype " + r.peek() + ", not a string");
                    }
                    dtype = r.nextString();
                }
                case "shape" -> shape = readCounts(where, "shape", r);
                case "data_offsets" -> offsets = readCounts(where, "data_offsets", r);
                default -> r.skipValue(); // unknown keys are ignored, as the reference does
            }
        }
        r.endObject();
        if (dtype == null || shape == null || offsets == null) {
            throw new CheckpointException(where + " has no " + (dtype == null ? "dtype" : shape == null ? "shape"
                    : "data_offsets") + " in the header");
        }
        if (offsets.length != 2) {
            throw new CheckpointException(where + " has " + offsets.length + " data_offsets, not 2 [begin, end]");
        }
        return checkedEntry(where, dtype, Shape.of(shape), offsets[0], offsets[1]);
    }

    /** An array of non-negative integers (a shape or offsets). */
    private static long[] readCounts(String where, String key, JsonReader r) throws IOException {
        if (r.peek() != JsonToken.BEGIN_ARRAY) {
            throw new CheckpointException(where + " has " + key + " " + r.peek() + ", not an array of integers");
        }
        List<Long> values = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            String text = r.peek() == JsonToken.NUMBER ? r.nextString() : null;
            if (text == null || !text.matches("0|[1-9][0-9]*")) {
                throw new CheckpointException(where + " has " + key + "[" + values.size() + "] = "
                        + (text == null ? r.peek() : text) + ", not a non-negative integer");
            }
            try {
                values.add(Long.parseLong(text));
            } catch (NumberFormatException e) {
                throw new CheckpointException(where + " has " + key + "[" + values.size() + "] = " + text
                        + ", more than a 64-bit count");
            }
        }
        r.endArray();
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static Entry checkedEntry(String where, String dtype, Shape shape, long begin, long end) {
        int elementBytes = dtypeBytes(where, dtype);
        long bytes;
        try {
            bytes = Math.multiplyExact(shape.elements(), (long) elementBytes);
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + " is " + dtype + shape + ", more bytes than a 64-bit size");
        }
        if (end < begin) {
            throw new CheckpointException(where + " has data_offsets [" + begin + ", " + end + "] that end before they begin");
        }
        if (end - begin != bytes) {
            throw new CheckpointException(where + " is " + dtype + shape + " (" + bytes + " bytes) but its data_offsets ["
                    + begin + ", " + end + "] span " + (end - begin) + " bytes");
        }
        return new Entry(dtype, shape, begin, end);
    }

    /** Bytes per element of a safetensors dtype; unknown ones are refused. */
    static int dtypeBytes(String where, String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E5M2", "F8_E4M3" -> 1;
            default -> throw new CheckpointException(where + " has unknown dtype " + dtype);
        };
    }

    /** Sorted by offset, the tensors must tile [0, dataSize) exactly. */
    private static void checkLayout(String source, Map<String, Entry> entries, long dataSize, long headerLength) {
        List<Map.Entry<String, Entry>> sorted = new ArrayList<>(entries.entrySet());
        sorted.sort(Comparator.comparingLong((Map.Entry<String, Entry> e) -> e.getValue().begin())
                .thenComparingLong(e -> e.getValue().end()));
        long covered = 0;
        String previous = null;
        for (var e : sorted) {
            Entry t = e.getValue();
            String where = source + ": tensor " + e.getKey();
            if (t.begin() < covered) {
                throw new CheckpointException(where + " (data_offsets [" + t.begin() + ", " + t.end() + "]) overlaps tensor "
                        + previous + ", which ends at " + covered);
            }
            if (t.begin() > covered) {
                throw new CheckpointException(where + " begins at data offset " + t.begin() + ", leaving a gap of "
                        + (t.begin() - covered) + " bytes after " + (previous == null ? "the header" : "tensor " + previous));
            }
            if (t.end() > dataSize) {
                throw new CheckpointException(where + " has data_offsets [" + t.begin() + ", " + t.end() + "] past the "
                        + dataSize + " bytes of data after the " + headerLength + "-byte header (truncated file, or a"
                        + " header length that is too long)");
            }
            covered = t.end();
            previous = e.getKey();
        }
        if (covered != dataSize) {
            throw new CheckpointException(source + ": the tensors cover " + covered + " of the " + dataSize
                    + " bytes after the " + headerLength + "-byte header, leaving " + (dataSize - covered)
                    + " bytes unaccounted for (bytes appended to the file, or a header length that is too short)");
        }
    }
}
