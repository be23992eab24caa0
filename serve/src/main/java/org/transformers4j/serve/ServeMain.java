package org.transformers4j.serve;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.transformers4j.backend.Backend;
import org.transformers4j.scheduler.SchedulerOptions;

/**
 * Runs a server until SIGTERM or SIGINT, then stops it gracefully and exits 0. The command line's
 * {@code t4j serve} calls {@link #run}.
 */
public final class ServeMain {
    private ServeMain() {
    }

    /**
     * Loads the models (NAME=DIR or DIR, named after the folder; the default model when there is
     * none), serves them, and blocks until a signal stops the server. Prints where it listens.
     */
    public static void run(List<String> models, Backend backend, SchedulerOptions scheduling, ServerOptions options,
                           java.io.PrintStream out) throws Exception {
        List<ServedModel> served = new ArrayList<>();
        try {
            if (models.isEmpty()) {
                served.add(ServedModel.defaultModel(backend, scheduling));
            }
            for (String spec : models) {
                int eq = spec.indexOf('=');
                Path dir = Path.of(eq < 0 ? spec : spec.substring(eq + 1));
                String name = eq < 0 ? String.valueOf(dir.toAbsolutePath().normalize().getFileName()) : spec.substring(0, eq);
                if (name.isBlank()) {
                    throw new IllegalArgumentException("--model " + spec + ": the name before = is empty");
                }
                served.add(ServedModel.load(name, dir, backend, scheduling));
            }
        } catch (RuntimeException e) {
            served.forEach(ServedModel::close);
            throw e;
        }
        T4jServer server = T4jServer.start(served, options);
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable stop = () -> {
            if (!stopping.compareAndSet(false, true)) {
                return; // a second signal while stopping changes nothing
            }
            Thread.ofPlatform().daemon().name("t4j-shutdown-watchdog").start(() -> {
                try {
                    Thread.sleep(options.grace().plusSeconds(15).toMillis());
                    out.println("t4j serve: still stopping " + options.grace().toSeconds() + " s + 15 s after the"
                            + " signal (a model is stuck); exiting anyway");
                    out.flush();
                    Runtime.getRuntime().halt(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Thread.ofPlatform().name("t4j-shutdown").start(() -> {
                try {
                    out.println("t4j serve: stopping (up to " + options.grace().toSeconds() + " s for running requests)");
                    server.stop();
                } catch (Exception e) {
                    out.println("t4j serve: " + e.getMessage());
                } finally {
                    stopped.countDown();
                }
            });
        };
        for (String signal : List.of("TERM", "INT")) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> stop.run());
        }
        out.println("t4j serve: listening on http://" + options.host() + ":" + server.port());
        server.models().forEach(m -> out.println("  " + m));
        out.flush();
        stopped.await();
        out.println("t4j serve: stopped");
    }

    /** {@code ServeMain [--host H] [--port P] [--model [NAME=]DIR]...}: the default settings otherwise. */
    public static void main(String[] args) throws Exception {
        ServerOptions options = ServerOptions.defaults();
        List<String> models = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--host" -> options = options.withHost(need(args[i], value));
                case "--port" -> options = options.withPort(Integer.parseInt(need(args[i], value)));
                case "--model" -> models.add(need(args[i], value));
                case "--grace" -> options = options.withGrace(Duration.ofSeconds(Long.parseLong(need(args[i], value))));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
            i++;
        }
        try (Backend backend = org.transformers4j.backend.Backends.create(org.transformers4j.tensor.Device.CPU)) {
            run(models, backend, SchedulerOptions.defaults(), options, System.out);
        }
        System.exit(0);
    }

    private static String need(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }
}
