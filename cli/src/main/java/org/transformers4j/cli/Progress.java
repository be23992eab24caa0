package org.transformers4j.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a step on standard error: on a terminal, a line redrawn in place once the step has
 * taken more than a second (what, elapsed time, and a count where there is one), replaced by the
 * time it took when it ends; with T4J_PROGRESS=1, one line per step with its time; otherwise
 * nothing. Never on standard output, which carries the results.
 */
final class Progress implements AutoCloseable {
    /** How progress is shown. */
    enum Mode {
        /** Nothing (standard error is not a terminal). */
        OFF,
        /** One line per step when it ends, with its time (T4J_PROGRESS=1, as the launcher sets after a build). */
        LINES,
        /** A line redrawn in place, for steps of more than a second. */
        TERMINAL;

        /** From the environment: T4J_PROGRESS=0|1 wins, otherwise a terminal shows it. */
        static Mode fromEnvironment() {
            String forced = System.getenv("T4J_PROGRESS");
            if ("0".equals(forced)) {
                return OFF;
            }
            if ("1".equals(forced)) {
                return LINES;
            }
            java.io.Console console = System.console();
            return console != null && console.isTerminal() ? TERMINAL : OFF;
        }
    }

    private static final long SHOW_AFTER_NS = 1_000_000_000L;
    private static final long REDRAW_MS = 250;

    private final Mode mode;
    private final PrintStream err;
    private final String what;
    private final String unit;
    private final long start = System.nanoTime();
    private final AtomicLong count = new AtomicLong();
    private final Thread painter;
    private volatile boolean shown;
    private boolean done;

    private Progress(Mode mode, PrintStream err, String what, String unit) {
        this.mode = mode;
        this.err = err;
        this.what = what;
        this.unit = unit;
        this.painter = mode == Mode.TERMINAL ? Thread.ofPlatform().daemon().name("t4j-progress").start(this::paint) : null;
    }

    /** Starts showing a step, for example "loading all-MiniLM-L6-v2". */
    static Progress start(Io io, String what) {
        return new Progress(io.progress(), io.err(), what, null);
    }

    /** Starts showing a step that counts something, for example lines. */
    static Progress counting(Io io, String what, String unit) {
        return new Progress(io.progress(), io.err(), what, unit);
    }

    /** Adds n to the count shown. */
    void add(long n) {
        count.addAndGet(n);
    }

    /** Marks the step as done (its time is shown when it closes) and passes the value through. */
    <T> T done(T value) {
        done = true;
        return value;
    }

    /** Marks the step as done. */
    void done() {
        done = true;
    }

    private void paint() {
        try {
            while (true) {
                Thread.sleep(REDRAW_MS);
                if (System.nanoTime() - start >= SHOW_AFTER_NS) {
                    synchronized (err) {
                        err.print("\r\033[Kt4j: " + status() + " ...");
                        err.flush();
                    }
                    shown = true;
                }
            }
        } catch (InterruptedException e) {
            // the step ended
        }
    }

    private String status() {
        double s = (System.nanoTime() - start) / 1e9;
        String counted = unit == null ? "" : String.format(Locale.ROOT, ", %,d %s", count.get(), unit);
        return String.format(Locale.ROOT, "%s%s, %.1f s", what, counted, s);
    }

    /**
     * Ends the step: replaces the redrawn line with the time taken, or prints it (T4J_PROGRESS=1);
     * a step not marked done leaves nothing behind.
     */
    @Override
    public void close() {
        if (painter != null) {
            painter.interrupt();
            try {
                painter.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (done && (mode == Mode.LINES || shown)) {
            synchronized (err) {
                err.print((shown ? "\r\033[K" : "") + "t4j: " + status() + "\n");
                err.flush();
            }
        } else if (shown) {
            synchronized (err) {
                err.print("\r\033[K"); // failed: the error message follows on a clean line
                err.flush();
            }
        }
    }
}
