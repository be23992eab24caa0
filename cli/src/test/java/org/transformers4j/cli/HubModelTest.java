package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.cli.MainTest.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.checkpoint.HubCache;

/**
 * --model ORG/NAME and NAME on every command, found offline in a Hub cache laid out as
 * huggingface_hub lays it out (refs/REVISION, snapshots/HASH/ whose files link into blobs/), with
 * --revision; and the message naming every folder looked at when a model is not there.
 */
class HubModelTest {
    static final String MAIN = "0123456789abcdef0123456789abcdef01234567";
    static final String V1 = "89abcdef0123456789abcdef0123456789abcdef";
    static final String MODULES = "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\":"
            + " \"sentence_transformers.models.Transformer\"}, {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\","
            + " \"type\": \"sentence_transformers.models.Pooling\"}]";

    @TempDir
    Path tmp;
    Path root;
    Supplier<HubCache> saved;

    /**
     * acme/tiny-embed: bert-mlm as a sentence-transformers folder, mean pooling at main and CLS at v1;
     * acme/bert-mlm with its reference outputs; gpt2, t5 and the classifiers with word tokenizers.
     */
    @BeforeEach
    void layout() throws IOException {
        root = tmp.resolve("hub");
        Path embed = fixture("bert-mlm", "numbered-1000.json", tmp.resolve("src/embed"));
        Files.writeString(embed.resolve("modules.json"), MODULES);
        Files.createDirectories(embed.resolve("1_Pooling"));
        Files.writeString(embed.resolve("1_Pooling/config.json"), "{\"word_embedding_dimension\": 48}");
        Path repo = root.resolve("models--acme--tiny-embed");
        snapshot(repo, MAIN, embed);
        Files.writeString(embed.resolve("1_Pooling/config.json"), "{\"word_embedding_dimension\": 48,"
                + " \"pooling_mode\": \"cls\"}");
        snapshot(repo, V1, embed);
        ref(repo, "main", MAIN);
        ref(repo, "v1", V1);
        Path bert = fixture("bert-mlm", "numbered-1000-mask.json", tmp.resolve("src/bert-mlm"));
        Files.copy(MainTest.FIXTURES.resolve("bert-mlm/reference.safetensors"), bert.resolve("reference.safetensors"));
        cache("acme/bert-mlm", bert);
        for (String m : List.of("bert-seqcls", "bert-tokcls")) {
            cache("acme/" + m, fixture(m, "numbered-1000.json", tmp.resolve("src").resolve(m)));
        }
        cache("gpt2", MainTest.withWordTokenizer(tmp.resolve("src"), "gpt2"));
        cache("acme/t5", MainTest.withWordTokenizer(tmp.resolve("src"), "t5"));
        saved = ModelOption.hubCache;
        ModelOption.hubCache = () -> HubCache.at(root);
    }

    /** A fixture's config and weights with one of the numbered test tokenizers, in dir. */
    static Path fixture(String name, String tokenizer, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(MainTest.FIXTURES.resolve(name).resolve(f), dir.resolve(f));
        }
        Files.copy(Path.of("../java/src/test/resources/tokenizers").resolve(tokenizer), dir.resolve("tokenizer.json"));
        return dir;
    }

    @AfterEach
    void restore() {
        ModelOption.hubCache = saved;
    }

    /** The model id's main revision holding the files of src. */
    void cache(String id, Path src) throws IOException {
        Path repo = root.resolve("models--" + id.replace("/", "--"));
        snapshot(repo, MAIN, src);
        ref(repo, "main", MAIN);
    }

    /** Each file of src as a blob, linked from snapshots/COMMIT/ by a relative link, folders kept. */
    static void snapshot(Path repo, String commit, Path src) throws IOException {
        Path snap = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        List<Path> files;
        try (Stream<Path> s = Files.walk(src)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            Path blob = blobs.resolve(Integer.toHexString(java.util.Arrays.hashCode(bytes)) + "-" + bytes.length);
            if (!Files.exists(blob)) {
                Files.write(blob, bytes);
            }
            Path link = snap.resolve(src.relativize(f).toString());
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, link.getParent().relativize(blob));
        }
    }

    static void ref(Path repo, String name, String hash) throws IOException {
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs").resolve(name), hash);
    }

    Path snapshotOf(String id, String commit) {
        return root.resolve("models--" + id.replace("/", "--")).resolve("snapshots").resolve(commit);
    }

    @Test
    void embedFindsAnIdAtItsRevision() {
        MainTest.Run byId = run("embed", "--model", "acme/tiny-embed", "t5 t6 t7");
        assertEquals(0, byId.status(), byId.err());
        MainTest.Run byFolder = run("embed", "--model", snapshotOf("acme/tiny-embed", MAIN).toString(), "t5 t6 t7");
        assertEquals(byFolder.out(), byId.out());
        MainTest.Run v1 = run("embed", "--model", "acme/tiny-embed", "--revision", "v1", "t5 t6 t7");
        assertEquals(0, v1.status(), v1.err());
        assertNotEquals(byId.out(), v1.out(), "v1 pools the CLS token");
        assertEquals(run("embed", "--model", snapshotOf("acme/tiny-embed", V1).toString(), "t5 t6 t7").out(), v1.out());
        assertEquals(v1.out(), run("embed", "--model", "acme/tiny-embed", "--revision", V1, "t5 t6 t7").out(),
                "a commit hash names the snapshot itself");
        MainTest.Run similarity = run("similarity", "--model", "acme/tiny-embed", "--revision", "v1", "t5 t6", "t5", "t9");
        assertEquals(0, similarity.status(), similarity.err());
    }

    @Test
    void everyCommandTakesAModelId() throws IOException {
        Path reference = snapshotOf("acme/bert-mlm", MAIN).resolve("reference.safetensors");
        String[][] cases = {
            {"verify", "--model", "acme/bert-mlm", "--reference", reference.toString()},
            {"fill-mask", "--model", "acme/bert-mlm", "t5 [MASK] t7"},
            {"classify", "--model", "acme/bert-seqcls", "t5 t6"},
            {"ner", "--model", "acme/bert-tokcls", "t5 t6"},
            {"generate", "--model", "gpt2", "--max-new-tokens", "2", "w5 w6"},
            {"translate", "--model", "acme/t5", "--max-new-tokens", "2", "w5 w6"},
            {"time", "--model", "acme/bert-mlm", "--batch", "1", "--seq", "4", "--runs", "1", "--warmup", "0"},
            {"convert", "--model", "acme/bert-mlm", "--out", tmp.resolve("converted").toString()},
        };
        for (String[] c : cases) {
            MainTest.Run r = run(c);
            assertEquals(0, r.status(), String.join(" ", c) + "\n" + r.err() + r.out());
        }
        // the same command on the snapshot folder gives the same output
        MainTest.Run byId = run("generate", "--model", "gpt2", "--max-new-tokens", "3", "w5 w6");
        MainTest.Run byFolder = run("generate", "--model", snapshotOf("gpt2", MAIN).toString(), "--max-new-tokens", "3",
                "w5 w6");
        assertEquals(byFolder.out(), byId.out());
        assertTrue(Files.isRegularFile(tmp.resolve("converted/model.safetensors")));
    }

    @Test
    void aMissingModelNamesEveryFolderLookedAt() {
        List<String[]> cases = new ArrayList<>();
        for (String command : List.of("embed", "similarity", "verify", "generate", "translate", "fill-mask", "classify",
                "ner", "time", "convert", "serve")) {
            List<String> args = new ArrayList<>(List.of(command, "--model", "acme/absent"));
            switch (command) {
                case "verify" -> args.addAll(List.of("--reference", "r"));
                case "convert" -> args.addAll(List.of("--out", tmp.resolve("out").toString()));
                case "similarity" -> args.addAll(List.of("a", "b"));
                case "time", "serve" -> { }
                default -> args.add("w5");
            }
            cases.add(args.toArray(String[]::new));
        }
        for (String[] c : cases) {
            MainTest.Run r = run(c);
            String what = String.join(" ", c) + "\n" + r.err();
            assertEquals(2, r.status(), what);
            CliTest.assertMessageOnly(r);
            assertTrue(r.err().contains("no folder " + Path.of("acme/absent").toAbsolutePath()), what);
            assertTrue(r.err().contains("model acme/absent is not in the Hugging Face cache: no folder "
                    + root.resolve("models--acme--absent")), what);
        }
        MainTest.Run rev = run("embed", "--model", "acme/tiny-embed", "--revision", "v2", "x");
        assertEquals(2, rev.status(), rev.err());
        assertTrue(rev.err().contains("has no revision v2") && rev.err().contains("refs there: main, v1"), rev.err());
        MainTest.Run noModel = run("embed", "--revision", "v1", "x");
        assertEquals(2, noModel.status(), noModel.err());
        assertTrue(noModel.err().contains("--revision v1 needs a model id given with --model"), noModel.err());
        MainTest.Run folderRevision = run("verify", "--model", snapshotOf("acme/bert-mlm", MAIN).toString(),
                "--revision", "v1", "--reference", "r");
        assertEquals(2, folderRevision.status(), folderRevision.err());
        assertTrue(folderRevision.err().contains("is a local folder; a revision (v1) applies only to a model id"),
                folderRevision.err());
        MainTest.Run badId = run("embed", "--model", "../acme/x", "x");
        assertEquals(2, badId.status(), badId.err());
        assertTrue(badId.err().contains("not a model id"), badId.err());
    }

    /** The environment decides the cache: HF_HUB_CACHE, in a JVM of its own. */
    @Test
    void theCacheComesFromHfHubCache() throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "embed", "--model", "acme/tiny-embed", "t5 t6 t7");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HF_HUB_CACHE", root.toString());
        pb.environment().remove("HUGGINGFACE_HUB_CACHE");
        Process p = pb.redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        assertEquals(run("embed", "--model", snapshotOf("acme/tiny-embed", MAIN).toString(), "t5 t6 t7").out(), out);
    }
}
