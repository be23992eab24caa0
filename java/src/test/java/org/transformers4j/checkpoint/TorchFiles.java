package org.transformers4j.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Test tooling: torch.save's layout written from Java (the pickle opcode by opcode, the zip with
 * stored entries), for files that the Python scripts under test resources/torch do not cover:
 * every fixture model as a .bin, hand-made malicious pickles, and fuzz inputs. What it writes
 * was checked to load in torch 1.13 (torch.load) exactly as torch.save's own files do.
 */
public final class TorchFiles {
    private TorchFiles() {
    }

    /** A tensor as torch.save pickles it: a view of storage KEY (of type, numel elements). */
    public record View(String key, String storageType, long numel, long offset, long[] size, long[] stride) {
    }

    /** A pickle written opcode by opcode (protocol 2 unless told). */
    public static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        /** PROTO n. */
        public Pickle proto(int n) {
            return op(0x80).op(n);
        }

        /** One raw byte (an opcode or an operand). */
        public Pickle op(int b) {
            out.write(b);
            return this;
        }

        /** Raw bytes. */
        public Pickle raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        /** GLOBAL module name. */
        public Pickle global(String module, String name) {
            return op('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        }

        /** BINUNICODE s. */
        public Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return op('X').raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array()).raw(b);
        }

        /** The shortest of BININT1, BININT2, BININT, LONG1 holding v. */
        public Pickle integer(long v) {
            if (v >= 0 && v < 256) {
                return op('K').op((int) v);
            } else if (v >= 0 && v < 65536) {
                return op('M').op((int) v & 0xff).op((int) (v >> 8));
            } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                return op('J').raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
            }
            return op(0x8a).op(8).raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        /** MARK, each value, TUPLE. */
        public Pickle tupleOf(long... values) {
            op('(');
            for (long v : values) {
                integer(v);
            }
            return op('t');
        }

        /** The torch.save call of _rebuild_tensor_v2 for view, its persistent id included. */
        public Pickle tensor(View v) {
            global("torch._utils", "_rebuild_tensor_v2").op('(');
            op('(').str("storage").global("torch", v.storageType()).str(v.key()).str("cpu").integer(v.numel()).op('t');
            op('Q').integer(v.offset()).tupleOf(v.size()).tupleOf(v.stride()).op(0x89);
            global("collections", "OrderedDict").op(')').op('R');
            return op('t').op('R');
        }

        /** The pickle's bytes so far. */
        public byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A protocol-2 pickle of an OrderedDict of tensors, laid out as torch.save writes one. */
    public static byte[] statePickle(Map<String, View> tensors) {
        Pickle p = new Pickle().proto(2).global("collections", "OrderedDict").op(')').op('R').op('(');
        for (var e : tensors.entrySet()) {
            p.str(e.getKey()).tensor(e.getValue());
        }
        return p.op('u').op('.').bytes();
    }

    /** The zip torch.save writes: ARCHIVE/data.pkl, ARCHIVE/data/KEY for each storage, ARCHIVE/version. */
    public static byte[] zip(String archive, byte[] pickle, Map<String, byte[]> storages) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(archive + "/data.pkl", pickle);
        storages.forEach((k, v) -> entries.put(archive + "/data/" + k, v));
        entries.put(archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (var e : entries.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey());
                z.setMethod(ZipEntry.STORED);
                z.setSize(e.getValue().length);
                z.setCompressedSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                z.setCrc(crc.getValue());
                zip.putNextEntry(z);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Writes {@link #zip} to file. */
    public static Path write(Path file, String archive, byte[] pickle, Map<String, byte[]> storages) {
        try {
            return Files.write(file, zip(archive, pickle, storages));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Float32 values as a little-endian storage. */
    public static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /**
     * Saves every parameter of a checkpoint as a pytorch_model.bin, each in its own float32
     * storage; every second matrix is stored transposed and described by swapped strides (as
     * torch.save writes {@code w.t().contiguous().t()}), so that both contiguous and strided
     * views are read.
     */
    public static Path saveAsTorch(Checkpoint from, Path file) {
        Map<String, View> views = new LinkedHashMap<>();
        Map<String, byte[]> storages = new LinkedHashMap<>();
        int matrices = 0;
        try (var arena = org.transformers4j.tensor.TensorArena.confined()) {
            for (String name : from.names()) {
                var t = from.load(name, arena);
                long[] size = t.shape().toArray();
                float[] v = t.toFloatArray();
                String key = Integer.toString(storages.size());
                if (size.length == 2 && matrices++ % 2 == 1) {
                    float[] tr = new float[v.length];
                    int r = (int) size[0], c = (int) size[1];
                    for (int i = 0; i < r; i++) {
                        for (int j = 0; j < c; j++) {
                            tr[j * r + i] = v[i * c + j];
                        }
                    }
                    views.put(name, new View(key, "FloatStorage", v.length, 0, size, new long[] {1, r}));
                    storages.put(key, floats(tr));
                } else {
                    views.put(name, new View(key, "FloatStorage", v.length, 0, size, t.shape().contiguousStrides()));
                    storages.put(key, floats(v));
                }
            }
        }
        return write(file, "pytorch_model", statePickle(views), storages);
    }
}
