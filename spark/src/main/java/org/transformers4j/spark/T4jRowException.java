package org.transformers4j.spark;

/** A row's text failed and the options say a failing row fails the job (onError fail). */
public final class T4jRowException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** At most this much of the text goes into the message. */
    private static final int EXCERPT = 60;

    /**
     * @param partition the partition's index
     * @param row       the row's position in its partition, from 0 (-1 when unknown: a SQL function)
     */
    T4jRowException(Task task, int partition, long row, String text, String message) {
        super(task + " failed on " + (row < 0 ? "a row" : "row " + row) + " of partition " + partition
                + " (text \"" + excerpt(text) + "\"): " + message);
    }

    private static String excerpt(String text) {
        return text.length() <= EXCERPT ? text : text.substring(0, EXCERPT) + "...";
    }
}
