package org.transformers4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads protobuf wire format from a memory segment: one message's fields in order. Length-
 * delimited fields come back as their byte range, so large payloads are never copied.
 */
final class ProtoReader {
    private final MemorySegment data;
    private final String source;
    private long pos;
    private final long end;

    int field;
    int wireType;
    long varint;
    long start;
    long length;

    ProtoReader(MemorySegment data, long start, long end, String source) {
        this.data = data;
        this.pos = start;
        this.end = end;
        this.source = source;
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (pos >= end) {
            return false;
        }
        long at = pos;
        long key = readVarint();
        if ((key >>> 3) == 0 || (key >>> 3) > Integer.MAX_VALUE) {
            throw new CheckpointException(source + ": corrupt protobuf (field number " + Long.toUnsignedString(key >>> 3)
                    + " at byte " + at + ")");
        }
        field = (int) (key >>> 3);
        wireType = (int) (key & 7);
        switch (wireType) {
            case 0 -> varint = readVarint();
            case 1 -> skip(8);
            case 2 -> {
                length = readVarint();
                start = pos;
                skip(length);
            }
            case 5 -> skip(4);
            default -> throw new CheckpointException(source + ": corrupt protobuf (wire type " + wireType + " at byte "
                    + pos + ")");
        }
        return true;
    }

    /** A nested reader over the current length-delimited field. */
    ProtoReader message() {
        requireWireType(2, "a message");
        return new ProtoReader(data, start, start + length, source);
    }

    /** The current field as a plain varint. */
    long varint() {
        requireWireType(0, "a varint");
        return varint;
    }

    /** The current length-delimited field as UTF-8 text. */
    String string() {
        requireWireType(2, "a string");
        if (length > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(source + ": string field of " + length + " bytes");
        }
        return new String(data.asSlice(start, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** Packed varints of the current length-delimited field, or the single varint of a plain field. */
    long[] packedVarints() {
        if (wireType == 0) {
            return new long[] {varint};
        }
        requireWireType(2, "packed varints");
        ProtoReader r = new ProtoReader(data, start, start + length, source);
        long[] tmp = new long[(int) Math.min(length, 64)];
        int n = 0;
        while (r.pos < r.end) {
            if (n == tmp.length) {
                tmp = Arrays.copyOf(tmp, n * 2);
            }
            tmp[n++] = r.readVarint();
        }
        return Arrays.copyOf(tmp, n);
    }

    /** Packed little-endian floats of the current length-delimited field, or the single float of a fixed32 field. */
    float[] packedFloats() {
        if (wireType == 5) {
            return new float[] {data.get(LittleEndianFloats.FLOAT_LE, pos - 4)};
        }
        requireWireType(2, "packed floats");
        if (length % 4 != 0 || length / 4 > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(source + ": packed float field of " + length + " bytes (before byte " + pos
                    + ")");
        }
        float[] out = new float[(int) (length / 4)];
        for (int i = 0; i < out.length; i++) {
            out[i] = data.get(LittleEndianFloats.FLOAT_LE, start + 4L * i);
        }
        return out;
    }

    private void requireWireType(int expected, String what) {
        if (wireType != expected) {
            throw new CheckpointException(source + ": corrupt protobuf (field " + field + " has wire type " + wireType
                    + " where " + what + " belongs, before byte " + pos + ")");
        }
    }

    private long readVarint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw new CheckpointException(source + ": truncated protobuf varint at byte " + pos);
            }
            byte b = data.get(ValueLayout.JAVA_BYTE, pos++);
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new CheckpointException(source + ": malformed protobuf varint at byte " + pos);
    }

    private void skip(long n) {
        if (n < 0 || n > end - pos) { // pos + n could overflow
            throw new CheckpointException(source + ": protobuf field runs past the end of its message (byte " + pos + ")");
        }
        pos += n;
    }
}
