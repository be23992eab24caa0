package org.transformers4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.DecoderOutput;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;
import org.transformers4j.verify.ParityCheck;

/**
 * Reading torch.save files: files emulated with Python's pickle and zipfile (every kind of view,
 * protocol 4, sharded), files written by torch 1.13 itself (the gpt2 fixture with tied weights,
 * a transposed and an offset view; float16 and bfloat16 views), every fixture model saved as a
 * .bin, and the refusals of what is not a torch.save zip. The malicious pickles are in
 * {@link TorchPickleSafetyTest}.
 */
class TorchCheckpointTest {
    @TempDir
    Path tmp;
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    /** A file under test resources torch/. */
    static Path resource(String relative) {
        var url = TorchCheckpointTest.class.getResource("/torch/" + relative);
        if (url == null) {
            throw new IllegalStateException("test resource torch/" + relative + " is missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static void refuses(String expected, Path file) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(file).close());
        assertTrue(e.getMessage().contains(expected), "message should mention '" + expected + "': " + e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), "message should name the file: " + e.getMessage());
    }

    static float[] values(Checkpoint c, String name, TensorArena a) {
        return c.load(name, a).toFloatArray();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"views.bin", "views-misaligned.bin", "views-protocol4.bin", "views-byteorder.bin"})
    void everyKindOfViewReadsAsTorchLoadsIt(String file) {
        try (TorchCheckpoint c = TorchCheckpoint.open(resource("emulated/" + file)); TensorArena a = TensorArena.confined()) {
            assertEquals(List.of("w", "tied", "t", "slice", "row", "half", "bf16", "bf16t", "bf16tail", "param", "scalar",
                    "ids", "empty"), List.copyOf(c.names()));
            float[] w = new float[12];
            for (int i = 0; i < 12; i++) {
                w[i] = i;
            }
            assertArrayEquals(w, values(c, "w", a));
            assertArrayEquals(w, values(c, "tied", a));
            assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, values(c, "t", a));
            assertEquals(List.of(4L, 3L), List.of(c.shape("t").dim(0), c.shape("t").dim(1)));
            assertArrayEquals(new float[] {5, 6, 9, 10}, values(c, "slice", a));
            assertArrayEquals(new float[] {8, 9, 10, 11}, values(c, "row", a));
            assertArrayEquals(new float[] {1.5f, -2f, 0.25f, 65504f, 0x1p-24f}, values(c, "half", a));
            assertArrayEquals(new float[] {-2f, 1f, 3.140625f, 0.5f, 256f, -0.125f}, values(c, "bf16", a));
            assertArrayEquals(new float[] {-2f, 0.5f, 1f, 256f, 3.140625f, -0.125f}, values(c, "bf16t", a));
            assertArrayEquals(new float[] {0.5f, 256f, -0.125f}, values(c, "bf16tail", a));
            assertArrayEquals(new float[] {0.5f, -0.5f}, values(c, "param", a));
            assertEquals(0, c.shape("scalar").rank());
            assertEquals(3.0f, c.load("scalar", a).getFloat());
            assertEquals(List.of(0L, 4L), List.of(c.shape("empty").dim(0), c.shape("empty").dim(1)));
            assertEquals(0, c.load("empty", a).shape().elements());
            assertEquals(List.of("F32", "F16", "BF16", "I64"), List.of(c.dtype("w"), c.dtype("half"), c.dtype("bf16"),
                    c.dtype("ids")));
            CheckpointException e = assertThrows(CheckpointException.class, () -> c.load("ids", a));
            assertTrue(e.getMessage().contains("tensor ids is I64, which cannot be loaded as float32"), e.getMessage());
            e = assertThrows(CheckpointException.class, () -> c.load("nope", a));
            assertTrue(e.getMessage().contains("no tensor named nope"), e.getMessage());
        }
    }

    @Test
    void bfloat16IsViewedOnlyWhereContiguous() {
        try (TorchCheckpoint c = TorchCheckpoint.open(resource("emulated/views.bin")); TensorArena a = TensorArena.confined()) {
            Tensor bf = c.view("bf16").inPlace(DType.BF16, a).orElse(null);
            assertNotNull(bf);
            assertEquals(DType.BF16, bf.dtype());
            assertNotNull(c.view("bf16tail").inPlace(DType.BF16, a).orElse(null),
                    "an offset view that is contiguous is viewed");
            assertNull(c.view("bf16t").inPlace(DType.BF16, a).orElse(null), "a transposed view cannot be viewed in place");
            assertNull(c.view("w").inPlace(DType.BF16, a).orElse(null), "float32 is not bfloat16");
        }
    }

    /** Aligned float32 storages are used in place, so tied weights are the same memory; misaligned ones are copied. */
    @Test
    void tiedWeightsShareTheMappedStorageWhereAligned() {
        try (TorchCheckpoint c = TorchCheckpoint.open(resource("emulated/views.bin")); TensorArena a = TensorArena.confined()) {
            assertEquals(TensorMemory.host(c.load("w", a)).address(), TensorMemory.host(c.load("tied", a)).address());
            assertEquals(TensorMemory.host(c.load("w", a)).address() + 8 * 4, TensorMemory.host(c.load("row", a)).address());
        }
        try (TorchCheckpoint c = TorchCheckpoint.open(resource("emulated/views-misaligned.bin"));
             TensorArena a = TensorArena.confined()) {
            assertNotEquals(TensorMemory.host(c.load("w", a)).address(), TensorMemory.host(c.load("tied", a)).address());
        }
    }

    @Test
    void shardedIndexMapsEachTensorToItsShard() {
        Path dir = resource("emulated/sharded/pytorch_model.bin.index.json").getParent();
        try (Checkpoint c = Checkpoints.open(dir); TensorArena a = TensorArena.confined()) {
            assertInstanceOf(TorchCheckpoint.class, c);
            assertEquals(List.of("encoder.weight", "decoder.bias"), List.copyOf(c.names()),
                    "only what the index maps, in its order");
            assertArrayEquals(new float[] {1, 2, 3, 4}, values(c, "encoder.weight", a));
            assertArrayEquals(new float[] {0.5f, 0.25f}, values(c, "decoder.bias", a));
            assertTrue(c.source().endsWith("pytorch_model.bin.index.json"));
        }
    }

    @Test
    void shardedIndexRefusals() throws IOException {
        Path src = resource("emulated/sharded/pytorch_model.bin.index.json").getParent();
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        for (String f : List.of("pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        Path index = dir.resolve("pytorch_model.bin.index.json");
        Map<String, String> cases = Map.of(
                "{\"weight_map\": {\"encoder.weight\": \"pytorch_model-00002-of-00002.bin\"}}",
                "tensor encoder.weight is mapped to pytorch_model-00002-of-00002.bin, which does not contain it",
                "{\"weight_map\": {\"a\": \"../pytorch_model-00001-of-00002.bin\"}}", "is not a file name in the checkpoint folder",
                "{\"weight_map\": {\"a\": \"sub/x.bin\"}}", "shard sub/x.bin is not a file name",
                "{\"weight_map\": {\"a\": \"gone.bin\"}}", "gone.bin: no such PyTorch weights file",
                "{\"weight_map\": {\"a\": 3}}", "tensor a is mapped to 3, not a file name",
                "{\"weight_map\": []}", "no weight_map object",
                "{\"metadata\": {}}", "no weight_map object",
                "{not json", "malformed index");
        for (var e : cases.entrySet()) {
            Files.writeString(index, e.getKey());
            CheckpointException x = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir).close(), e.getKey());
            assertTrue(x.getMessage().contains(e.getValue()), "expected '" + e.getValue() + "': " + x.getMessage());
        }
    }

    /** torch 1.13's own float16, bfloat16 and float32 views, against their .float() values saved beside them. */
    @Test
    void realTorchHalfPrecisionViewsGiveTorchsValues() {
        try (TorchCheckpoint c = TorchCheckpoint.open(resource("torch-1.13/dtypes.bin"));
             SafeTensors want = SafeTensors.open(resource("torch-1.13/dtypes-expected.safetensors"));
             TensorArena a = TensorArena.confined()) {
            assertEquals(want.names(), c.names());
            for (String name : want.names()) {
                assertEquals(want.shape(name), c.shape(name), name);
                assertArrayEquals(values(want, name, a), values(c, name, a), name);
            }
            assertEquals(List.of("F16", "F16", "F16", "BF16", "BF16", "BF16", "F32", "F32"),
                    c.names().stream().map(c::dtype).toList());
        }
    }

    /** A folder with the gpt2 fixture's config.json and the given weights file. */
    Path gpt2Folder(String name, Path weights) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.copy(Fixtures.model("gpt2").resolve("config.json"), dir.resolve("config.json"));
        Files.copy(weights, dir.resolve(weights.getFileName()));
        return dir;
    }

    static void assertSameOutputs(DecoderModel want, DecoderModel got) {
        long[] ids = {5, 17, 999, 3, 42, 7, 0, 256, 31, 8};
        try (TensorArena a = TensorArena.confined()) {
            DecoderOutput w = want.forward(DecoderInput.of(2, 5, ids), true, a);
            DecoderOutput g = got.forward(DecoderInput.of(2, 5, ids), true, a);
            assertArrayEquals(w.logits().toFloatArray(), g.logits().toFloatArray(), "logits");
            assertEquals(w.hiddenStates().size(), g.hiddenStates().size());
            for (int i = 0; i < w.hiddenStates().size(); i++) {
                assertArrayEquals(w.hiddenStates().get(i).toFloatArray(), g.hiddenStates().get(i).toFloatArray(),
                        "hidden_states." + i);
            }
        }
    }

    /** torch.save's own file of the gpt2 fixture: tied lm_head, a transposed and two offset views. */
    @Test
    void realTorchGpt2GivesExactlyTheSafetensorsLogits() throws IOException {
        Path dir = gpt2Folder("gpt2-bin", resource("torch-1.13/gpt2/pytorch_model.bin"));
        try (Checkpoint c = Checkpoints.open(dir); TensorArena a = TensorArena.confined()) {
            assertInstanceOf(TorchCheckpoint.class, c);
            assertEquals(TensorMemory.host(c.load("transformer.wte.weight", a)).address(),
                    TensorMemory.host(c.load("lm_head.weight", a)).address(), "tied weights are one storage");
            try (SafeTensors st = SafeTensors.open(Fixtures.model("gpt2").resolve("model.safetensors"))) {
                for (String name : st.names()) {
                    assertArrayEquals(values(st, name, a), values(c, name, a), name);
                }
            }
        }
        try (DecoderModel want = ModelRegistry.loadDecoder(Fixtures.model("gpt2"), cpu);
             DecoderModel got = ModelRegistry.loadDecoder(dir, cpu)) {
            assertSameOutputs(want, got);
            Fixtures.assertParity("gpt2 from pytorch_model.bin",
                    ParityCheck.decoder(got, Fixtures.model("gpt2").resolve("reference.safetensors")), 4, 1e-4);
        }
    }

    /** The same file split by an index: the first half of the tensors from one copy, the rest from another. */
    @Test
    void realTorchGpt2ThroughAShardIndex() throws IOException {
        Path bin = resource("torch-1.13/gpt2/pytorch_model.bin");
        Path dir = Files.createDirectories(tmp.resolve("gpt2-sharded"));
        Files.copy(Fixtures.model("gpt2").resolve("config.json"), dir.resolve("config.json"));
        Files.copy(bin, dir.resolve("pytorch_model-00001-of-00002.bin"));
        Files.copy(bin, dir.resolve("pytorch_model-00002-of-00002.bin"));
        List<String> names;
        try (TorchCheckpoint whole = TorchCheckpoint.open(bin)) {
            names = List.copyOf(whole.names());
        }
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            lines.add("\"" + names.get(i) + "\": \"pytorch_model-0000" + (i < names.size() / 2 ? 1 : 2) + "-of-00002.bin\"");
        }
        Files.writeString(dir.resolve("pytorch_model.bin.index.json"), "{\"metadata\": {}, \"weight_map\": {"
                + String.join(", ", lines) + "}}");
        try (DecoderModel want = ModelRegistry.loadDecoder(Fixtures.model("gpt2"), cpu);
             DecoderModel got = ModelRegistry.loadDecoder(dir, cpu)) {
            assertSameOutputs(want, got);
        }
    }

    /** Every fixture model, its weights saved as a .bin (half of its matrices as transposed views), runs as from safetensors. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bert-mlm", "bert-seqcls", "bert-tokcls", "distilbert-mlm", "roberta-mlm", "gpt2", "gpt-neo",
            "llama", "bart", "marian", "t5", "t5-gated", "mbart", "pegasus"})
    void everyFixtureModelLoadsFromABinFolder(String name) throws IOException {
        Path src = Fixtures.model(name);
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        try (SafeTensors st = SafeTensors.open(src.resolve("model.safetensors"))) {
            TorchFiles.saveAsTorch(st, dir.resolve("pytorch_model.bin"));
        }
        Path reference = src.resolve("reference.safetensors");
        var kind = ModelRegistry.kind(ModelConfig.read(src.resolve("config.json")));
        List<ParityCheck.Result> want, got;
        switch (kind) {
            case ENCODER -> {
                try (var m = ModelRegistry.loadEncoder(src, cpu); var n = ModelRegistry.loadEncoder(dir, cpu)) {
                    want = ParityCheck.encoder(m, reference);
                    got = ParityCheck.encoder(n, reference);
                }
            }
            case DECODER -> {
                try (var m = ModelRegistry.loadDecoder(src, cpu); var n = ModelRegistry.loadDecoder(dir, cpu)) {
                    want = ParityCheck.decoder(m, reference);
                    got = ParityCheck.decoder(n, reference);
                }
            }
            default -> {
                try (var m = ModelRegistry.loadSeq2Seq(src, cpu); var n = ModelRegistry.loadSeq2Seq(dir, cpu)) {
                    want = ParityCheck.seq2seq(m, reference);
                    got = ParityCheck.seq2seq(n, reference);
                }
            }
        }
        assertTrue(want.size() >= 2, "compared tensors: " + want);
        assertEquals(want, got, "the same errors against the reference, to the last bit");
    }

    @Test
    void whatIsNotATorchSaveZipIsRefused() throws IOException {
        refuses("byteorder is 'big'", resource("emulated/big-endian.bin"));
        refuses("legacy format (PyTorch before 1.6)", Files.write(tmp.resolve("legacy.bin"),
                new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20}));
        refuses("not a zip archive", Files.writeString(tmp.resolve("text.bin"), "hello"));
        refuses("not a zip archive", Files.write(tmp.resolve("empty.bin"), new byte[0]));
        refuses("no zip end-of-central-directory record", Files.write(tmp.resolve("header-only.bin"),
                new byte[] {0x50, 0x4b, 3, 4, 0, 0, 0, 0}));
        refuses("is a folder", Files.createDirectories(tmp.resolve("folder.bin")));
        refuses("no such PyTorch weights file", tmp.resolve("absent.bin"));
        byte[] pkl = TorchFiles.statePickle(Map.of());
        Path noPickle = TorchFiles.write(tmp.resolve("nopkl.bin"), "archive", new byte[0], Map.of());
        rewriteName(noPickle, "archive/data.pkl", "archive/data.pkx");
        refuses("no ARCHIVE/data.pkl entry in the zip", noPickle);
        Path two = TorchFiles.write(tmp.resolve("two.bin"), "a", pkl, Map.of("xyz", pkl));
        rewriteName(two, "a/data/xyz", "b/data.pkl");
        refuses("several data.pkl entries", two);
    }

    /** Replaces an entry name (same length) in both the local header and the central directory. */
    static void rewriteName(Path file, String from, String to) throws IOException {
        String text = new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertEquals(from.length(), to.length());
        assertTrue(text.contains(from));
        Files.write(file, text.replace(from, to).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    }

    @Test
    void damagedZipsAreRefusedNamingTheEntry() throws IOException {
        byte[] pkl = TorchFiles.statePickle(Map.of("w", new TorchFiles.View("0", "FloatStorage", 2, 0, new long[] {2},
                new long[] {1})));
        byte[] good = TorchFiles.zip("archive", pkl, Map.of("0", TorchFiles.floats(1, 2)));
        try (TorchCheckpoint c = TorchCheckpoint.open(Files.write(tmp.resolve("good.bin"), good));
             TensorArena a = TensorArena.confined()) {
            assertArrayEquals(new float[] {1, 2}, values(c, "w", a));
        }
        // a deflated entry
        var bytes = new java.io.ByteArrayOutputStream();
        try (var zip = new java.util.zip.ZipOutputStream(bytes)) {
            zip.putNextEntry(new java.util.zip.ZipEntry("archive/data.pkl"));
            zip.write(pkl);
        }
        refuses("zip entry archive/data.pkl is compressed (method 8)", Files.write(tmp.resolve("deflated.bin"),
                bytes.toByteArray()));
        // the central directory's local-header offset of the second entry points past the data
        byte[] bad = good.clone();
        int firstCentral = indexOf(bad, new byte[] {0x50, 0x4b, 1, 2}, 0);
        int second = indexOf(bad, new byte[] {0x50, 0x4b, 1, 2}, firstCentral + 4);
        bad[second + 45] = (byte) 0x70;
        refuses("zip entry archive/data/0 has no local header", Files.write(tmp.resolve("offset.bin"), bad));
        // two entries of one name
        Path dup = TorchFiles.write(tmp.resolve("dup.bin"), "archive", pkl,
                Map.of("0", TorchFiles.floats(1, 2), "1", TorchFiles.floats(3, 4)));
        rewriteName(dup, "archive/data/1", "archive/data/0");
        refuses("zip entry archive/data/0 appears twice", dup);
        // cut short: the end record is gone
        refuses("no zip end-of-central-directory record", Files.write(tmp.resolve("cut.bin"),
                java.util.Arrays.copyOf(good, good.length - 30)));
    }

    static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void aFolderWithoutWeightsNamesEveryFileLookedFor() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("none"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("no model.safetensors, model.safetensors.index.json, pytorch_model.bin or "
                + "pytorch_model.bin.index.json"), e.getMessage());
    }
}
