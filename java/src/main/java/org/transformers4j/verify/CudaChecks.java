package org.transformers4j.verify;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.cuda.CudaBackend;
import org.transformers4j.backend.cuda.CudaException;
import org.transformers4j.backend.reference.ReferenceBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Bad input on a real GPU (run by bench/gpu/run.sh): a host tensor handed to the GPU backend, a
 * head dim the kernels do not take, more device memory than the GPU has. Each must give a clear
 * exception, and the backend must compute correctly afterwards. Exit status: failed checks.
 */
public final class CudaChecks {
    private CudaChecks() {
    }

    /**
     * Runs the checks and exits with the count of failed ones.
     *
     * @param args the GPU's ordinal, 0 when absent
     */
    public static void main(String[] args) {
        System.exit(run(System.out, args.length > 0 ? Integer.parseInt(args[0]) : 0));
    }

    public static int run(PrintStream out, int ordinal) {
        try (CudaBackend gpu = CudaBackend.create(ordinal); TensorArena dev = gpu.longLived();
             TensorArena host = TensorArena.confined(); ReferenceBackend ref = new ReferenceBackend()) {
            out.println("GPU checks on " + gpu.kernelProvider());
            int failures = 0;
            failures += expect(out, "a host tensor given to the GPU", IllegalArgumentException.class,
                    () -> gpu.layerNorm(host.zeros(2, 8), null, null, dev.zeros(8), null, 1e-5f, dev.empty(2, 8)));
            failures += expect(out, "attention with head dim 300", IllegalArgumentException.class, () -> {
                Tensor q = dev.zeros(1, 4, 2, 300);
                gpu.attention(q, q, q, AttentionOptions.scaled(1f), dev.empty(1, 4, 2, 300));
            });
            failures += expect(out, "a 4 TiB tensor", CudaException.class, () -> dev.empty(1L << 40));
            // still usable afterwards
            SplittableRandom rnd = new SplittableRandom(3);
            float[] v = new float[37 * 301];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rnd.nextDouble(-2, 2);
            }
            Tensor x = host.of(v, 37, 301), g = host.of(Arrays.copyOf(v, 301), 301), want = host.zeros(37, 301);
            ref.layerNorm(x, null, null, g, null, 1e-5f, want);
            Tensor y = dev.empty(37, 301);
            gpu.layerNorm(gpu.toDevice(x, dev), null, null, gpu.toDevice(g, dev), null, 1e-5f, y);
            float[] got = gpu.toHost(y, host).toFloatArray(), w = want.toFloatArray();
            double err = 0, mag = 0;
            for (int i = 0; i < w.length; i++) {
                err = Math.max(err, Math.abs(got[i] - w[i]));
                mag = Math.max(mag, Math.abs(w[i]));
            }
            boolean ok = err / mag <= 1e-5;
            out.printf("%s layer norm after the errors: rel. error %.2e%n", ok ? "ok  " : "FAIL", err / mag);
            failures += ok ? 0 : 1;
            out.println(failures == 0 ? "all GPU checks passed" : failures + " GPU checks failed");
            return failures;
        }
    }

    private static int expect(PrintStream out, String what, Class<? extends RuntimeException> type, Runnable r) {
        try {
            r.run();
            out.println("FAIL " + what + ": no exception");
            return 1;
        } catch (RuntimeException e) {
            boolean ok = type.isInstance(e);
            out.println((ok ? "ok   " : "FAIL ") + what + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return ok ? 0 : 1;
        }
    }
}
