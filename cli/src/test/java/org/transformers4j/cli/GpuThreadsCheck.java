package org.transformers4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.Backends;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.SentenceEmbedder;
import org.transformers4j.tensor.Device;

/**
 * Run by EmulatedGpuTest in a JVM whose GPU is the emulated one: four threads share one sentence
 * embedder on cuda:0 (one backend, one stream, one cache of device memory) for eight runs, the
 * texts rotated so that different batches are in flight at once, and must get the embeddings a
 * single thread gets. Prints "threads ok" or what differed, and exits with 1 then.
 */
public final class GpuThreadsCheck {
    private GpuThreadsCheck() {
    }

    public static void main(String[] args) throws Exception {
        List<String> texts = List.of("How do transformers work?", "What is attention?", "A recipe for paella",
                "Sentences of different lengths make batches with padding, which the kernels skip.", "x", "");
        try (Backend backend = Backends.create(Device.parse("cuda:0"));
             SentenceEmbedder embedder = DefaultModels.miniLmEmbedder(backend);
             ExecutorService pool = Executors.newFixedThreadPool(4)) {
            float[][] alone = embedder.embed(texts);
            List<Future<float[][]>> runs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                List<String> order = new ArrayList<>(texts);
                java.util.Collections.rotate(order, i); // different batches in flight at once
                int shift = i;
                runs.add(pool.submit(() -> {
                    float[][] got = embedder.embed(order);
                    float[][] back = new float[got.length][];
                    for (int k = 0; k < got.length; k++) {
                        back[(k + texts.size() - shift % texts.size()) % texts.size()] = got[k];
                    }
                    return back;
                }));
            }
            for (int i = 0; i < runs.size(); i++) {
                float[][] got = runs.get(i).get();
                for (int s = 0; s < texts.size(); s++) {
                    for (int d = 0; d < alone[s].length; d++) {
                        if (Math.abs(got[s][d] - alone[s][d]) > 1e-5f) {
                            System.out.println("run " + i + ", text " + s + ", dimension " + d + ": " + got[s][d]
                                    + " where one thread got " + alone[s][d]);
                            System.exit(1);
                        }
                    }
                }
            }
            System.out.println("threads ok: 8 runs on 4 threads, " + backend.kernelProvider());
        }
    }
}
