package org.transformers4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tensor.TensorArena;

/** Finding models in a Hub cache laid out as huggingface_hub lays it out (snapshots linking into blobs). */
class HubCacheTest {
    static final String MAIN = "0123456789abcdef0123456789abcdef01234567";
    static final String V1 = "89abcdef0123456789abcdef0123456789abcdef";
    static final String GONE = "ffffffffffffffffffffffffffffffffffffffff";

    @TempDir
    Path tmp;
    Path root;
    HubCache cache;

    /** models--acme--tiny: main and v1 (also the pull-request ref refs/pr/1); models--gpt2: main, the gpt2 fixture. */
    @BeforeEach
    void layout() throws IOException {
        root = tmp.resolve("hub");
        Path tiny = root.resolve("models--acme--tiny");
        snapshot(tiny, MAIN, Map.of("config.json", "{\"rev\": \"main\"}".getBytes(), "tokenizer.json", "{}".getBytes()));
        snapshot(tiny, V1, Map.of("config.json", "{\"rev\": \"v1\"}".getBytes()));
        ref(tiny, "main", MAIN + "\n");
        ref(tiny, "v1", V1);
        ref(tiny, "refs/pr/1", V1);
        ref(tiny, "broken", GONE);
        ref(tiny, "junk", "not a hash at all");
        Path gpt2 = root.resolve("models--gpt2");
        Path fixture = Fixtures.model("gpt2");
        snapshot(gpt2, MAIN, Map.of("config.json", Files.readAllBytes(fixture.resolve("config.json")),
                "model.safetensors", Files.readAllBytes(fixture.resolve("model.safetensors"))));
        ref(gpt2, "main", MAIN);
        cache = HubCache.at(root);
    }

    /** Each file as a blob named by its content's hash, linked from snapshots/COMMIT/ by a relative link. */
    static void snapshot(Path repo, String commit, Map<String, byte[]> files) throws IOException {
        Path snap = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        Files.createDirectories(repo.resolve("blobs"));
        for (var f : files.entrySet()) {
            String blob = Integer.toHexString(java.util.Arrays.hashCode(f.getValue())) + "-" + commit.substring(0, 4);
            Files.write(repo.resolve("blobs").resolve(blob), f.getValue());
            Files.createSymbolicLink(snap.resolve(f.getKey()), Path.of("..", "..", "blobs", blob));
        }
    }

    static void ref(Path repo, String name, String hash) throws IOException {
        Path ref = repo.resolve("refs").resolve(name);
        Files.createDirectories(ref.getParent());
        Files.writeString(ref, hash);
    }

    static void refused(String expected, Runnable r) {
        CheckpointException e = assertThrows(CheckpointException.class, r::run);
        assertTrue(e.getMessage().contains(expected), "message should mention '" + expected + "': " + e.getMessage());
    }

    @Test
    void theCacheFolderIsTheOneHuggingfaceHubUses() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/c"), HubCache.fromEnvironment(Map.of("HF_HUB_CACHE", "/c", "HF_HOME", "/h",
                "HUGGINGFACE_HUB_CACHE", "/old"), home).root());
        assertEquals(Path.of("/old"), HubCache.fromEnvironment(Map.of("HUGGINGFACE_HUB_CACHE", "/old", "HF_HOME", "/h"),
                home).root());
        assertEquals(Path.of("/h/hub"), HubCache.fromEnvironment(Map.of("HF_HOME", "/h", "XDG_CACHE_HOME", "/x"),
                home).root());
        assertEquals(Path.of("/x/huggingface/hub"), HubCache.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x"), home).root());
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), HubCache.fromEnvironment(Map.of(), home).root());
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), HubCache.fromEnvironment(Map.of("HF_HUB_CACHE", " ",
                "HF_HOME", ""), home).root(), "empty variables count as unset");
        assertEquals(Path.of("/home/u/hf/hub"), HubCache.fromEnvironment(Map.of("HF_HOME", "~/hf"), home).root());
        assertTrue(HubCache.fromEnvironment(Map.of(), home).toString().contains("none of HF_HUB_CACHE"));
    }

    @Test
    void revisionsResolveThroughRefsOrDirectly() throws IOException {
        Path main = cache.snapshot("acme/tiny", null);
        assertEquals(root.resolve("models--acme--tiny/snapshots/" + MAIN), main);
        assertTrue(Files.isSymbolicLink(main.resolve("config.json")), "snapshot files link into blobs/");
        assertEquals("{\"rev\": \"main\"}", Files.readString(main.resolve("config.json")));
        assertEquals(main, cache.snapshot("acme/tiny", "main"));
        assertEquals("{\"rev\": \"v1\"}", Files.readString(cache.snapshot("acme/tiny", "v1").resolve("config.json")));
        assertEquals(cache.snapshot("acme/tiny", "v1"), cache.snapshot("acme/tiny", "refs/pr/1"));
        assertEquals(cache.snapshot("acme/tiny", "v1"), cache.snapshot("acme/tiny", V1), "a commit names its snapshot");
        assertEquals(root.resolve("models--gpt2/snapshots/" + MAIN), cache.snapshot("gpt2", null), "an id without org");
    }

    @Test
    void anExistingFolderWinsOverTheCache() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("acme/tiny"));
        assertEquals(folder, cache.locate(folder.toString(), null));
        refused("is a local folder; a revision (v1) applies only to a model id", () -> cache.locate(folder.toString(), "v1"));
        Path file = Files.writeString(tmp.resolve("model.bin"), "x");
        refused(file + " is a file, not a model folder", () -> cache.locate(file.toString(), null));
        assertEquals(cache.snapshot("acme/tiny", "v1"), cache.locate("acme/tiny", "v1"),
                "no folder acme/tiny in the working directory, so the id is looked up");
        assertTrue(HubCache.isModelId("acme/tiny") && HubCache.isModelId("gpt2") && HubCache.isModelId("a.b_c-d/e.f"));
    }

    /** A model straight from the cache (config.json and model.safetensors are links into blobs/) runs as from its folder. */
    @Test
    void aModelLoadsFromItsSnapshot() {
        Path snapshot = cache.locate("gpt2", null);
        long[] ids = {5, 17, 999, 3};
        try (CpuBackend cpu = CpuBackend.create();
             DecoderModel want = ModelRegistry.loadDecoder(Fixtures.model("gpt2"), cpu);
             DecoderModel got = ModelRegistry.loadDecoder(snapshot, cpu);
             TensorArena a = TensorArena.confined()) {
            assertArrayEquals(want.forward(DecoderInput.of(1, 4, ids), false, a).logits().toFloatArray(),
                    got.forward(DecoderInput.of(1, 4, ids), false, a).logits().toFloatArray());
        }
    }

    @Test
    void whatIsAbsentIsNamedWithEveryFolderLookedAt() {
        refused("model acme/huge is not in the Hugging Face cache: no folder " + root.resolve("models--acme--huge"),
                () -> cache.snapshot("acme/huge", null));
        refused("Nothing is downloaded", () -> cache.snapshot("acme/huge", null));
        CheckpointException e = assertThrows(CheckpointException.class, () -> cache.locate("acme/huge", "main"));
        assertTrue(e.getMessage().contains("no folder " + Path.of("acme/huge").toAbsolutePath()), e.getMessage());
        assertTrue(e.getMessage().contains(root.resolve("models--acme--huge").toString()), e.getMessage());
        Path cacheless = tmp.resolve("empty-home");
        HubCache defaults = HubCache.fromEnvironment(Map.of(), cacheless);
        refused("(the cache is " + cacheless.resolve(".cache/huggingface/hub") + ", the default",
                () -> defaults.locate("gpt2", null));

        refused("has no revision dev in the cache: no ref file " + root.resolve("models--acme--tiny/refs/dev")
                + " (refs there: broken, junk, main, refs, v1", () -> cache.snapshot("acme/tiny", "dev"));
        refused("ref " + root.resolve("models--acme--tiny/refs/broken") + " points to commit " + GONE
                + ", but there is no snapshot folder " + root.resolve("models--acme--tiny/snapshots/" + GONE)
                + " (snapshots there: " + MAIN + ", " + V1 + ")", () -> cache.snapshot("acme/tiny", "broken"));
        refused("revision " + GONE + " has no snapshot folder", () -> cache.snapshot("acme/tiny", GONE));
        refused("the ref holds 'not a hash at all', not a 40-hex commit hash", () -> cache.snapshot("acme/tiny", "junk"));
        refused("no ref file", () -> cache.snapshot("acme/tiny", "refs"));
    }

    @Test
    void refsThatAreNotSmallRegularFilesAreRefused() throws IOException {
        ref(root.resolve("models--acme--tiny"), "huge", "0".repeat(5000));
        refused("the ref file is 5000 bytes, more than the 1024", () -> cache.snapshot("acme/tiny", "huge"));
        Path snaps = root.resolve("models--acme--tiny/snapshots");
        Files.delete(snaps.resolve(V1).resolve("config.json"));
        Files.delete(snaps.resolve(V1));
        Files.writeString(snaps.resolve(V1), "a file where a snapshot folder should be");
        refused("has no snapshot folder", () -> cache.snapshot("acme/tiny", V1));
    }

    @Test
    void namesThatCouldLeaveTheCacheAreRefused() {
        for (String id : List.of("../x", "a/../../b", "..", "a/b/c", "/etc/passwd", "a--b", ".hidden", "x/.", "a\\b",
                "", "org/", "/x", "-x", "x y", "a:b", "x".repeat(97))) {
            refused("not a model id", () -> cache.snapshot(id, null));
            assertFalse(HubCache.isModelId(id), id);
            if (!id.isEmpty() && !id.equals("/etc/passwd") && !id.equals("..")) { // those exist: a path wins
                refused("not a model id", () -> cache.locate(id, null));
            }
        }
        for (String rev : List.of("../../../etc", "main/../../x", "/abs", "a\\b", "", ".", "refs//pr", "main/", "a:b",
                "tab\there")) {
            refused("is not a branch, tag or commit", () -> cache.snapshot("acme/tiny", rev));
        }
        refused("the model is empty", () -> cache.locate(" ", null));
    }
}
