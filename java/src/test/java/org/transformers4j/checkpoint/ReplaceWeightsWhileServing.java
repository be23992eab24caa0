package org.transformers4j.checkpoint;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.EncoderOutput;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * A loaded BERT model serves forward passes on several threads while its model.safetensors is
 * replaced again and again, in place (truncated and rewritten, sometimes left half-written for a
 * moment) or by rename; another thread reopens the folder meanwhile. Run in a forked JVM by
 * {@link WeightsReplacementTest}, since the unsafe combination (a mapping rewritten in place) kills
 * the JVM with SIGBUS.
 *
 * <p>Arguments: {@code copy|mapped inplace|rename SECONDS}. Prints one line of counts; exits 0 when
 * every answer was bit-identical to the answer before any replacement, every reopened checkpoint
 * held either the old or the new weights entirely, every failure had a message, and there were
 * answers and replacements at all.
 */
public final class ReplaceWeightsWhileServing {
    private static final String PROBE = "bert.embeddings.word_embeddings.weight";

    private final AtomicLong answered = new AtomicLong(), failed = new AtomicLong(), mismatched = new AtomicLong(),
            unexplained = new AtomicLong(), replacements = new AtomicLong(), reloadedOld = new AtomicLong(),
            reloadedNew = new AtomicLong(), reloadRefused = new AtomicLong(), reloadMixed = new AtomicLong();
    private final Set<String> messages = ConcurrentHashMap.newKeySet();

    private ReplaceWeightsWhileServing() {
    }

    public static void main(String[] args) throws Exception {
        LoadMode mode = LoadMode.valueOf(args[0].toUpperCase(Locale.ROOT));
        boolean inPlace = switch (args[1]) {
            case "inplace" -> true;
            case "rename" -> false;
            default -> throw new IllegalArgumentException("inplace or rename, not " + args[1]);
        };
        long nanos = (long) (Double.parseDouble(args[2]) * 1e9);
        ReplaceWeightsWhileServing run = new ReplaceWeightsWhileServing();
        boolean ok = run.serve(mode, inPlace, nanos);
        System.exit(ok ? 0 : 1);
    }

    private boolean serve(LoadMode mode, boolean inPlace, long nanos) throws Exception {
        // in the working folder (a forked JVM's own, kept if it crashes), not in the shared temporary folder
        Path dir = Files.createTempDirectory(Path.of("").toAbsolutePath(), "serving");
        try {
            Path fixture = Fixtures.model("bert-mlm");
            Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
            Files.copy(fixture.resolve("model.safetensors"), dir.resolve("model.safetensors"));
            serveIn(dir, mode, inPlace, nanos);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
        System.out.printf(Locale.ROOT, "mode=%s replace=%s answered=%d failed=%d mismatched=%d unexplained=%d "
                        + "replacements=%d reloadedOld=%d reloadedNew=%d reloadRefused=%d reloadMixed=%d%n",
                mode, inPlace ? "inplace" : "rename", answered.get(), failed.get(), mismatched.get(), unexplained.get(),
                replacements.get(), reloadedOld.get(), reloadedNew.get(), reloadRefused.get(), reloadMixed.get());
        messages.stream().limit(5).forEach(m -> System.out.println("failure: " + m));
        return mismatched.get() == 0 && reloadMixed.get() == 0 && unexplained.get() == 0 && answered.get() > 0
                && replacements.get() > 0;
    }

    private void serveIn(Path dir, LoadMode mode, boolean inPlace, long nanos) throws Exception {
        Path weights = dir.resolve("model.safetensors");
        byte[] oldBytes = Files.readAllBytes(weights);
        byte[] newBytes = changedWeights(oldBytes, dir);
        float[] oldProbe = probe(oldBytes), newProbe = probe(newBytes);
        try (CpuBackend cpu = CpuBackend.create();
             EncoderModel model = ModelRegistry.loadEncoder(ModelConfig.read(dir.resolve("config.json")),
                     Checkpoints.open(dir, mode), cpu)) {
            float[] baseline = forward(model);
            long start = System.nanoTime(), deadline = start + nanos;
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                threads.add(Thread.ofPlatform().name("request-" + i).start(() -> requests(model, baseline, deadline)));
            }
            threads.add(Thread.ofPlatform().name("reload").start(() -> reloads(dir, mode, oldProbe, newProbe, deadline)));
            replace(weights, inPlace, oldBytes, newBytes, deadline);
            for (Thread t : threads) {
                t.join();
            }
            System.out.printf(Locale.ROOT, "served for %.1f s%n", (System.nanoTime() - start) / 1e9);
        }
    }

    /** Every float doubled and one tensor more: other values and another size. */
    private static byte[] changedWeights(byte[] oldBytes, Path dir) throws Exception {
        Path tmp = dir.resolve("changed.tmp");
        try (SafeTensors old = SafeTensors.fromBytes(oldBytes, "old"); TensorArena a = TensorArena.confined()) {
            Map<String, Tensor> tensors = new TreeMap<>();
            for (String n : old.names()) {
                Tensor t = old.load(n, a);
                float[] v = t.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] *= 2;
                }
                tensors.put(n, a.of(v, t.shape().toArray()));
            }
            tensors.put("extra", a.of(new float[] {1, 2, 3}, 3));
            SafeTensorsWriter.write(tmp, tensors, Map.of());
        }
        byte[] bytes = Files.readAllBytes(tmp);
        Files.delete(tmp);
        return bytes;
    }

    private static float[] probe(byte[] file) {
        try (SafeTensors s = SafeTensors.fromBytes(file, "probe"); TensorArena a = TensorArena.confined()) {
            return s.load(PROBE, a).toFloatArray();
        }
    }

    /** Logits of the masked-LM head over a fixed sequence (the word embeddings gathered and projected on). */
    private static float[] forward(EncoderModel model) {
        long[] ids = new long[24];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 37L + 5) % model.vocabSize();
        }
        try (TensorArena a = TensorArena.confined()) {
            EncoderOutput out = model.forward(new EncoderInput(1, ids.length, ids, null, null), false, a);
            return out.logits().toFloatArray();
        }
    }

    private void requests(EncoderModel model, float[] baseline, long deadline) {
        while (System.nanoTime() < deadline) {
            try {
                float[] out = forward(model);
                (Arrays.equals(out, baseline) ? answered : mismatched).incrementAndGet();
            } catch (RuntimeException e) {
                failed.incrementAndGet();
                explained(e);
            }
        }
    }

    private void reloads(Path dir, LoadMode mode, float[] oldProbe, float[] newProbe, long deadline) {
        while (System.nanoTime() < deadline) {
            try (Checkpoint c = Checkpoints.open(dir, mode); TensorArena a = TensorArena.confined()) {
                float[] v = c.load(PROBE, a).toFloatArray();
                boolean hasExtra = c.has("extra");
                (Arrays.equals(v, oldProbe) && !hasExtra ? reloadedOld : Arrays.equals(v, newProbe) && hasExtra
                        ? reloadedNew : reloadMixed).incrementAndGet();
            } catch (CheckpointException e) {
                reloadRefused.incrementAndGet();
                explained(e);
            } catch (RuntimeException e) {
                reloadMixed.incrementAndGet(); // anything but a CheckpointException is a fault
                explained(e);
                e.printStackTrace();
            }
        }
    }

    private void explained(RuntimeException e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            unexplained.incrementAndGet();
            e.printStackTrace();
        } else if (messages.size() < 50) {
            messages.add(e.getClass().getSimpleName() + ": " + e.getMessage().replaceAll("/[^ :]*/", ".../"));
        }
    }

    /** Alternates new and old content until the deadline; in place, every fourth write pauses half-written. */
    private void replace(Path weights, boolean inPlace, byte[] oldBytes, byte[] newBytes, long deadline) throws Exception {
        Path tmp = weights.resolveSibling("model.safetensors.tmp");
        for (int i = 0; System.nanoTime() < deadline; i++) {
            byte[] content = i % 2 == 0 ? newBytes : oldBytes;
            if (inPlace) {
                try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    int half = content.length / 2;
                    write(ch, ByteBuffer.wrap(content, 0, half));
                    Thread.sleep(i % 4 == 0 ? 5 : 0);
                    write(ch, ByteBuffer.wrap(content, half, content.length - half));
                }
            } else {
                Files.write(tmp, content);
                Files.move(tmp, weights, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            replacements.incrementAndGet();
            Thread.sleep(1);
        }
    }

    private static void write(FileChannel ch, ByteBuffer b) throws Exception {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
