package org.transformers4j.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.transformers4j.checkpoint.files.SafeFiles;

/**
 * Finds a model downloaded by the Hugging Face libraries, offline: the Hub cache holds
 * {@code models--ORG--NAME/} with {@code refs/REVISION} (a file holding a commit hash),
 * {@code snapshots/HASH/} (the model folder, its files usually links into {@code blobs/}) and
 * {@code blobs/}. The cache folder is the one huggingface_hub uses: {@code $HF_HUB_CACHE}, else
 * {@code $HUGGINGFACE_HUB_CACHE} (its older name), else {@code $HF_HOME/hub}, else
 * {@code $XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub}. Nothing is
 * downloaded and no network is used; what is absent is refused with a message naming every folder
 * and file looked at.
 *
 * <p>An argument is a local folder when one exists at that path; otherwise it must be a model id
 * ({@code NAME} or {@code ORG/NAME}: letters, digits, '-', '_' and '.', as the Hub allows them), so
 * that no path such as {@code ../x} ever reaches the cache.
 */
public final class HubCache {
    private static final Pattern ID_PART = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final int MAX_ID_LENGTH = 96;
    private static final long MAX_REF_BYTES = 1024;
    private static final int LISTED = 10;

    private final Path root;
    private final String origin;

    private HubCache(Path root, String origin) {
        this.root = root;
        this.origin = origin;
    }

    /** {@return the cache the environment of this process selects (see the class description)} */
    public static HubCache fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * The cache that env (variable name to value) and the home folder select: HF_HUB_CACHE,
     * HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub, then
     * home/.cache/huggingface/hub. Empty variables count as unset; a leading '~' is the home folder.
     *
     * @param env environment variables by name
     * @param home the user's home folder
     * @return the cache
     */
    public static HubCache fromEnvironment(Map<String, String> env, Path home) {
        for (String var : List.of("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) {
                return new HubCache(expand(v, home, var), var + "=" + v);
            }
        }
        String hfHome = env.get("HF_HOME");
        if (hfHome != null && !hfHome.isBlank()) {
            return new HubCache(expand(hfHome, home, "HF_HOME").resolve("hub"), "HF_HOME=" + hfHome);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return new HubCache(expand(xdg, home, "XDG_CACHE_HOME").resolve("huggingface").resolve("hub"),
                    "XDG_CACHE_HOME=" + xdg);
        }
        return new HubCache(home.resolve(".cache").resolve("huggingface").resolve("hub"),
                "the default, as none of HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME, XDG_CACHE_HOME is set");
    }

    /**
     * {@return a cache at the given folder (what HF_HUB_CACHE names)}
     *
     * @param root the cache folder
     */
    public static HubCache at(Path root) {
        return new HubCache(root, "given");
    }

    private static Path expand(String value, Path home, String var) {
        try {
            if (value.equals("~")) {
                return home;
            }
            return value.startsWith("~/") ? home.resolve(value.substring(2)) : Path.of(value);
        } catch (InvalidPathException e) {
            throw new CheckpointException(var + "=" + value + " is not a usable path: " + e.getMessage(), e);
        }
    }

    /** {@return the cache folder} */
    public Path root() {
        return root;
    }

    /**
     * {@return whether s is a Hub model id: NAME or ORG/NAME of letters, digits, '-', '_', '.', without ".." or "--"}
     *
     * @param s a model argument
     */
    public static boolean isModelId(String s) {
        return idProblem(s) == null;
    }

    /** Why s is not a model id, or null when it is one (the Hub's own rules, as huggingface_hub checks them). */
    private static String idProblem(String s) {
        if (s == null || s.isEmpty()) {
            return "it is empty";
        }
        if (s.length() > MAX_ID_LENGTH) {
            return "it is longer than " + MAX_ID_LENGTH + " characters";
        }
        String[] parts = s.split("/", -1);
        if (parts.length > 2) {
            return "it has more than one '/'";
        }
        for (String p : parts) {
            if (!ID_PART.matcher(p).matches()) {
                return "'" + TorchPickle.printable(p) + "' is not letters, digits, '-', '_' and '.'";
            }
            if (p.startsWith("-") || p.startsWith(".") || p.endsWith("-") || p.endsWith(".")) {
                return "'" + p + "' starts or ends with '-' or '.'";
            }
        }
        if (s.contains("..") || s.contains("--")) {
            return "it contains '..' or '--'";
        }
        return null;
    }

    /**
     * The model folder for model: the folder itself when one exists at that path (then revision
     * must be null), else the snapshot of model id model at revision (null: "main") in this cache.
     * Throws {@link CheckpointException} naming the folder looked at and, for an id, everything
     * looked at in the cache.
     *
     * @param model a model folder or a Hub model id
     * @param revision a branch, tag or commit, or null
     * @return the model folder
     */
    public Path locate(String model, String revision) {
        if (model == null || model.isBlank()) {
            throw new CheckpointException("the model is empty: give a model folder or a model id (ORG/NAME or NAME)");
        }
        Path local = localPath(model);
        if (local != null && Files.isDirectory(local)) {
            if (revision != null) {
                throw new CheckpointException(model + " is a local folder; a revision (" + revision
                        + ") applies only to a model id in the Hugging Face cache");
            }
            return local;
        }
        String tried = local == null ? "" : "no folder " + local.toAbsolutePath();
        if (local != null && Files.exists(local)) {
            tried = local.toAbsolutePath() + " is a file, not a model folder";
        }
        String problem = idProblem(model);
        if (problem != null) {
            throw new CheckpointException(model + ": " + tried + (tried.isEmpty() ? "" : ", and ")
                    + "not a model id (" + problem + "; an id is NAME or ORG/NAME)");
        }
        try {
            return snapshot(model, revision);
        } catch (CheckpointException e) {
            throw new CheckpointException(tried.isEmpty() ? e.getMessage() : tried + "; " + e.getMessage(), e);
        }
    }

    private static Path localPath(String model) {
        try {
            return Path.of(model);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /**
     * The snapshot folder of model id modelId at revision (null: "main"): a 40-hex revision is the
     * snapshot's name itself, any other is read from {@code refs/REVISION}. Throws
     * {@link CheckpointException} naming the cache (and why it is that one), the model folder,
     * the ref file and the snapshot folder looked at.
     *
     * @param modelId a Hub model id, NAME or ORG/NAME
     * @param revision a branch, tag or commit, or null
     * @return the snapshot folder
     */
    public Path snapshot(String modelId, String revision) {
        String problem = idProblem(modelId);
        if (problem != null) {
            throw new CheckpointException(TorchPickle.printable(String.valueOf(modelId)) + " is not a model id ("
                    + problem + ")");
        }
        String rev = revision == null ? "main" : revision;
        checkRevision(rev);
        Path repo = root.resolve("models--" + modelId.replace("/", "--"));
        if (!Files.isDirectory(repo)) {
            throw new CheckpointException("model " + modelId + " is not in the Hugging Face cache: no folder " + repo
                    + " (the cache is " + root + ", " + origin + "). Nothing is downloaded: fetch it first, for example "
                    + "with `hf download " + modelId + "`, or give the model's folder");
        }
        boolean direct = COMMIT.matcher(rev).matches();
        String hash = direct ? rev : readRef(repo, modelId, rev);
        Path snapshot = repo.resolve("snapshots").resolve(hash);
        if (!Files.isDirectory(snapshot)) {
            String via = direct ? "revision " + rev + " has" : "ref " + repo.resolve("refs").resolve(rev)
                    + " points to commit " + hash + ", but there is";
            throw new CheckpointException("model " + modelId + ": " + via + " no snapshot folder " + snapshot
                    + " (snapshots there: " + listing(repo.resolve("snapshots")) + ")");
        }
        return snapshot;
    }

    /** A revision is a branch, tag or ref path (refs/pr/1): no empty, "." or ".." segments, no '\'. */
    private static void checkRevision(String rev) {
        boolean bad = rev.isEmpty() || rev.length() > 256 || rev.contains("\\") || rev.startsWith("/") || rev.endsWith("/");
        for (String part : rev.split("/", -1)) {
            bad |= part.isEmpty() || part.equals(".") || part.equals("..");
        }
        for (int i = 0; i < rev.length() && !bad; i++) {
            bad = rev.charAt(i) < 0x20 || rev.charAt(i) == 0x7f || rev.charAt(i) == ':';
        }
        try {
            Path.of("refs").resolve(rev);
        } catch (InvalidPathException e) {
            bad = true;
        }
        if (bad) {
            throw new CheckpointException("revision '" + TorchPickle.printable(rev) + "' is not a branch, tag or commit"
                    + " (empty, '.' or '..' parts, '\\', ':' and control characters are refused)");
        }
    }

    private static String readRef(Path repo, String modelId, String rev) {
        Path ref = repo.resolve("refs").resolve(rev);
        if (!Files.isRegularFile(ref)) {
            throw new CheckpointException("model " + modelId + " has no revision " + rev + " in the cache: no ref file "
                    + ref + " (refs there: " + listing(repo.resolve("refs")) + "; a 40-hex revision names a snapshot"
                    + " directly)");
        }
        String hash = SafeFiles.readText(ref, "ref file", MAX_REF_BYTES).strip();
        if (!COMMIT.matcher(hash).matches()) {
            throw new CheckpointException(ref + ": the ref holds '" + TorchPickle.printable(hash)
                    + "', not a 40-hex commit hash");
        }
        return hash;
    }

    /** Up to ten names in a folder, sorted, for messages; "none" or "no such folder" otherwise. */
    private static String listing(Path dir) {
        if (!Files.isDirectory(dir)) {
            return "no folder " + dir;
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            if (names.isEmpty()) {
                return "none";
            }
            return String.join(", ", names.subList(0, Math.min(LISTED, names.size())))
                    + (names.size() > LISTED ? ", ..." : "");
        } catch (IOException e) {
            return "cannot list " + dir + ": " + e.getMessage();
        }
    }

    @Override
    public String toString() {
        return root + " (" + origin + ")";
    }
}

