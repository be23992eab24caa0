package org.transformers4j.util;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;

/**
 * Reading the files of a model folder without hanging or running out of memory on what is not a
 * plain file: a named pipe blocks a reader forever and {@code /dev/zero} never ends, so every file
 * is checked to be a regular file (after following links) before it is opened, and text files are
 * read only up to a size cap. Errors are {@link FileFormatException}s naming the file.
 */
public final class BoundedFiles {
    /** The cap for JSON files (config.json, generation_config.json, index files): 64 MiB. */
    public static final long MAX_JSON_BYTES = 64L << 20;
    /** The cap for tokenizer.json, whose vocabularies can be large: 512 MiB. */
    public static final long MAX_TOKENIZER_BYTES = 512L << 20;

    private BoundedFiles() {
    }

    /**
     * Checks that file is a regular file (links followed) and returns its size; names the file
     * and what it is instead (missing, a folder, a pipe, a device) otherwise.
     */
    public static long requireRegularFile(Path file, String what) {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new FileFormatException(file + ": no such " + what);
        } catch (IOException e) {
            throw new FileFormatException(file + ": cannot read " + what + ": " + e.getMessage(), e);
        }
        if (!attrs.isRegularFile()) {
            String kind = attrs.isDirectory() ? "a folder" : attrs.isOther() ? "not a regular file (a pipe, socket or device)"
                    : "not a regular file";
            throw new FileFormatException(file + ": the " + what + " is " + kind);
        }
        return attrs.size();
    }

    /**
     * The file's bytes, at most maxBytes of them: refused (with the file named) when it is not a
     * regular file or is larger, so that no read can block or fill the heap.
     */
    public static byte[] readBytes(Path file, String what, long maxBytes) {
        long size = requireRegularFile(file, what);
        if (size > maxBytes) {
            throw new FileFormatException(file + ": the " + what + " is " + size + " bytes, more than the "
                    + maxBytes + " this reads");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readUpTo(ch, file, what, maxBytes);
        } catch (IOException e) {
            throw new FileFormatException(file + ": cannot read " + what + ": " + e.getMessage(), e);
        }
    }

    /** Reads to the end, failing once more than maxBytes arrive (the file may grow while read). */
    private static byte[] readUpTo(FileChannel ch, Path file, String what, long maxBytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(Math.max(ch.size(), 0) + 1, maxBytes + 1));
        while (ch.read(buf) >= 0) {
            if (!buf.hasRemaining()) {
                if (buf.capacity() > maxBytes) {
                    throw new FileFormatException(file + ": the " + what + " is more than the " + maxBytes
                            + " bytes this reads");
                }
                ByteBuffer bigger = ByteBuffer.allocate((int) Math.min((long) buf.capacity() * 2, maxBytes + 1));
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }
        byte[] out = new byte[buf.position()];
        buf.flip().get(out);
        return out;
    }

    /**
     * The file as UTF-8 text (see {@link #readBytes}); malformed UTF-8 is refused with the file
     * named rather than replaced.
     */
    public static String readText(Path file, String what, long maxBytes) {
        byte[] bytes = readBytes(file, what, maxBytes);
        return decodeUtf8(bytes, file + ": the " + what);
    }

    /** Strict UTF-8 decoding; the message starts with source and gives the offset of the first bad byte. */
    public static String decodeUtf8(byte[] bytes, String source) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            throw new FileFormatException(source + " is not valid UTF-8: byte " + in.position() + " of " + bytes.length
                    + " (0x" + HexFormat.of().toHexDigits(bytes[in.position()]) + ") begins a malformed sequence");
        }
        return out.flip().toString();
    }
}
