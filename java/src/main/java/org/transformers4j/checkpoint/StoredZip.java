package org.transformers4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The entries of a zip archive whose entries are all stored uncompressed, as torch.save writes
 * them, read from the memory-mapped file so that each entry is a slice of the mapping (no copy).
 * The central directory is authoritative (torch sets the data-descriptor flag, so its local
 * headers carry no sizes); ZIP64 records are read. Every offset and size is checked against the
 * file before use; a fault is a {@link CheckpointException} naming the file and the entry.
 */
final class StoredZip {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int LOCAL_SIG = 0x04034b50, CENTRAL_SIG = 0x02014b50, END_SIG = 0x06054b50;
    private static final int ZIP64_END_SIG = 0x06064b50, ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int END_SIZE = 22, CENTRAL_SIZE = 46, LOCAL_SIZE = 30, MAX_COMMENT = 0xffff;
    private static final long U32_MAX = 0xffffffffL;

    private final Path file;
    private final Map<String, MemorySegment> entries;

    private StoredZip(Path file, Map<String, MemorySegment> entries) {
        this.file = file;
        this.entries = entries;
    }

    /** Whether the mapped bytes start as a zip archive does (a local file header). */
    static boolean looksLikeZip(MemorySegment all) {
        return all.byteSize() >= 4 && all.get(U32, 0) == LOCAL_SIG;
    }

    /** Reads the central directory of the mapped file and checks every entry's bounds. */
    static StoredZip read(Path file, MemorySegment all) {
        long size = all.byteSize();
        long end = findEnd(file, all);
        long count = u16(all, end + 10);
        long dirSize = u32(all, end + 12);
        long dirOffset = u32(all, end + 16);
        if (end >= 20 && all.get(U32, end - 20) == ZIP64_LOCATOR_SIG) {
            long z = all.get(U64, end - 20 + 8);
            if (z < 0 || z > end - 20 - 56 || all.get(U32, z) != ZIP64_END_SIG) {
                throw new CheckpointException(file + ": the ZIP64 end record offset " + Long.toUnsignedString(z)
                        + " does not point at a ZIP64 end record (truncated or corrupt zip)");
            }
            count = all.get(U64, z + 32);
            dirSize = all.get(U64, z + 40);
            dirOffset = all.get(U64, z + 48);
            end = z;
        }
        if (dirOffset < 0 || dirSize < 0 || dirOffset > end || dirSize > end - dirOffset) {
            throw new CheckpointException(file + ": the zip central directory [" + Long.toUnsignedString(dirOffset) + ", +"
                    + Long.toUnsignedString(dirSize) + "] lies outside the " + size + "-byte file (truncated or corrupt zip)");
        }
        if (count < 0 || count > dirSize / CENTRAL_SIZE) {
            throw new CheckpointException(file + ": the zip claims " + Long.toUnsignedString(count)
                    + " entries but its central directory has room for " + dirSize / CENTRAL_SIZE);
        }
        Map<String, MemorySegment> entries = new LinkedHashMap<>();
        long pos = dirOffset;
        for (long i = 0; i < count; i++) {
            pos = readCentral(file, all, pos, dirOffset + dirSize, dirOffset, entries);
        }
        return new StoredZip(file, Collections.unmodifiableMap(entries));
    }

    /** The end-of-central-directory record: the last signature within the comment's reach of the end. */
    private static long findEnd(Path file, MemorySegment all) {
        long size = all.byteSize();
        for (long p = size - END_SIZE; p >= 0 && p >= size - END_SIZE - MAX_COMMENT; p--) {
            if (all.get(U32, p) == END_SIG) {
                return p;
            }
        }
        throw new CheckpointException(file + ": no zip end-of-central-directory record in the " + size
                + "-byte file (truncated, or not a zip archive)");
    }

    /** Reads one central directory record at pos (ending before limit); returns the next record's position. */
    private static long readCentral(Path file, MemorySegment all, long pos, long limit, long dataLimit,
                                    Map<String, MemorySegment> entries) {
        if (pos > limit - CENTRAL_SIZE || all.get(U32, pos) != CENTRAL_SIG) {
            throw new CheckpointException(file + ": zip central directory record at byte " + pos
                    + " is missing or corrupt");
        }
        int flags = u16(all, pos + 8), method = u16(all, pos + 10);
        long compressed = u32(all, pos + 20), plain = u32(all, pos + 24);
        int nameLen = u16(all, pos + 28), extraLen = u16(all, pos + 30), commentLen = u16(all, pos + 32);
        long local = u32(all, pos + 42);
        long next = pos + CENTRAL_SIZE + nameLen + extraLen + commentLen;
        if (next > limit) {
            throw new CheckpointException(file + ": zip central directory record at byte " + pos
                    + " runs past the directory's end");
        }
        MemorySegment rawName = all.asSlice(pos + CENTRAL_SIZE, nameLen);
        String name = new String(rawName.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        long[] wide = {plain, compressed, local};
        readZip64Extra(file, name, all.asSlice(pos + CENTRAL_SIZE + nameLen, extraLen), wide);
        plain = wide[0];
        compressed = wide[1];
        local = wide[2];
        if (method != 0 || (flags & 1) != 0) {
            throw new CheckpointException(file + ": zip entry " + name + " is " + ((flags & 1) != 0 ? "encrypted"
                    : "compressed (method " + method + ")") + "; torch.save stores every entry uncompressed");
        }
        if (compressed != plain) {
            throw new CheckpointException(file + ": zip entry " + name + " is stored but its sizes differ ("
                    + Long.toUnsignedString(compressed) + " and " + Long.toUnsignedString(plain) + ")");
        }
        MemorySegment data = localData(file, all, name, rawName, local, plain, dataLimit);
        if (entries.putIfAbsent(name, data) != null) {
            throw new CheckpointException(file + ": zip entry " + name + " appears twice");
        }
        return next;
    }

    /** Replaces the 0xffffffff fields of sizes {uncompressed, compressed, offset} by their ZIP64 values. */
    private static void readZip64Extra(Path file, String name, MemorySegment extra, long[] sizes) {
        long p = 0;
        while (p + 4 <= extra.byteSize()) {
            int id = u16(extra, p), len = u16(extra, p + 2);
            if (p + 4 + len > extra.byteSize()) {
                break;
            }
            if (id == 1) {
                long q = p + 4;
                for (int i = 0; i < 3; i++) {
                    if (sizes[i] == U32_MAX) {
                        if (q + 8 > p + 4 + len) {
                            throw new CheckpointException(file + ": zip entry " + name + " has a short ZIP64 field");
                        }
                        sizes[i] = extra.get(U64, q);
                        q += 8;
                    }
                }
            }
            p += 4 + len;
        }
    }

    /**
     * The entry's bytes: after its local header, whose name must be the directory's, inside the
     * data area (before the central directory).
     */
    private static MemorySegment localData(Path file, MemorySegment all, String name, MemorySegment rawName,
                                           long local, long size, long dataLimit) {
        if (local < 0 || local > dataLimit - LOCAL_SIZE || all.get(U32, local) != LOCAL_SIG) {
            throw new CheckpointException(file + ": zip entry " + name + " has no local header at byte "
                    + Long.toUnsignedString(local) + " (truncated or corrupt zip)");
        }
        int nameLen = u16(all, local + 26);
        long start = local + LOCAL_SIZE + nameLen + u16(all, local + 28);
        if (nameLen != rawName.byteSize() || local + LOCAL_SIZE + nameLen > dataLimit
                || MemorySegment.mismatch(all, local + LOCAL_SIZE, local + LOCAL_SIZE + nameLen, rawName, 0, nameLen) != -1) {
            throw new CheckpointException(file + ": zip entry " + name + " has a different name in its local header");
        }
        if (size < 0 || start > dataLimit || size > dataLimit - start) {
            throw new CheckpointException(file + ": zip entry " + name + " (" + Long.toUnsignedString(size)
                    + " bytes at byte " + start + ") runs past the end of the data (truncated file)");
        }
        return all.asSlice(start, size);
    }

    private static int u16(MemorySegment s, long at) {
        return s.get(U16, at) & 0xffff;
    }

    private static long u32(MemorySegment s, long at) {
        return s.get(U32, at) & U32_MAX;
    }

    /** The entry names in directory order. */
    Iterable<String> names() {
        return entries.keySet();
    }

    /** The entry's bytes (a slice of the mapping), or null when there is no such entry. */
    MemorySegment find(String name) {
        return entries.get(name);
    }

    /** The file this archive was read from. */
    Path file() {
        return file;
    }
}
