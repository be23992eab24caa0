package org.transformers4j.spark;

import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A loaded model as the executor's task threads share it: texts in, one outcome per text out, in
 * the order given. Implementations are thread-safe; a task thread blocks in {@link #run} until its
 * texts are done, and an interrupt (Spark killing the task) cancels what it still waits for.
 */
interface Runner extends AutoCloseable {
    /**
     * A row's result as the library gives it (see {@link SparkValues}), or why it failed.
     *
     * @param value the value, null when the row failed
     * @param error the message, null when the row succeeded
     */
    record Outcome(Object value, String error) {
        static Outcome ok(Object value) {
            return new Outcome(value, null);
        }

        static Outcome failed(String error) {
            return new Outcome(null, error);
        }
    }

    /**
     * One outcome per text (none null), in order; options give the settings of this call (the
     * generation settings: a runner is shared by operations that differ in them).
     */
    List<Outcome> run(List<String> texts, T4jOptions options);

    /**
     * One outcome per pair (none null), in order, for tasks of two columns ({@link Task#takesPairs}):
     * firsts.get(i) with seconds.get(i).
     */
    default List<Outcome> runPairs(List<String> firsts, List<String> seconds, T4jOptions options) {
        throw new IllegalStateException("this task reads one text per row, not pairs");
    }

    /** Frees the model (only once no task uses it). */
    @Override
    void close();

    /** The message of a failure, unwrapped from the futures' wrappers. */
    static String describe(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** Thrown on a task thread interrupted while it waited for the model (Spark is killing the task). */
    final class Interrupted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Interrupted(InterruptedException cause) {
            super("interrupted while waiting for the model", cause);
        }
    }
}
