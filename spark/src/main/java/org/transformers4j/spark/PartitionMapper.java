package org.transformers4j.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * A partition's rows through the executor's model: read {@link T4jOptions#rowsPerSubmit()} rows,
 * hand their non-null texts to the runner at once, give the rows back in order with the result (and the error) appended.
 * Rows are read as they are consumed, so a partition's memory is one batch.
 */
final class PartitionMapper implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final Task task;
    private final T4jOptions options;
    private final int input;
    private final int second;
    private final boolean errorColumn;

    /**
     * @param input       the index of the text column in the rows
     * @param errorColumn whether rows get an error column (onError null) or a failing row fails the task
     */
    PartitionMapper(Task task, T4jOptions options, int input, boolean errorColumn) {
        this(task, options, input, -1, errorColumn);
    }

    /**
     * @param input       the index of the text column (for pairs, the first: the question) in the rows
     * @param second      for tasks of pairs, the index of the second column (the context); else -1
     * @param errorColumn whether rows get an error column (onError null) or a failing row fails the task
     */
    PartitionMapper(Task task, T4jOptions options, int input, int second, boolean errorColumn) {
        this.task = task;
        this.options = options;
        this.input = input;
        this.second = second;
        this.errorColumn = errorColumn;
    }

    /** Whether the row has no input: a null text (for pairs, either of the two null). */
    private boolean absent(Row r) {
        return r.isNullAt(input) || second >= 0 && r.isNullAt(second);
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        return new Iterator<>() {
            private final ArrayDeque<Row> ready = new ArrayDeque<>();
            private long consumed;

            @Override
            public boolean hasNext() {
                if (ready.isEmpty() && rows.hasNext()) {
                    ready.addAll(batch(rows, consumed));
                    consumed += ready.size();
                }
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.poll();
            }
        };
    }

    /** The next batch of rows, with their results; first is the partition's row number of the first. */
    private List<Row> batch(Iterator<Row> rows, long first) {
        List<Row> batch = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        List<String> seconds = new ArrayList<>();
        while (batch.size() < options.rowsPerSubmit() && rows.hasNext()) {
            Row r = rows.next();
            batch.add(r);
            if (!absent(r)) {
                texts.add(r.getString(input));
                if (second >= 0) {
                    seconds.add(r.getString(second));
                }
            }
        }
        List<Runner.Outcome> outcomes = texts.isEmpty() ? List.of() : second >= 0
                ? ExecutorModels.runner(task, options).runPairs(texts, seconds, options)
                : ExecutorModels.runner(task, options).run(texts, options);
        List<Row> out = new ArrayList<>(batch.size());
        int t = 0;
        for (int i = 0; i < batch.size(); i++) {
            Row r = batch.get(i);
            Runner.Outcome o = absent(r) ? Runner.Outcome.ok(null) : outcomes.get(t++);
            if (o.error() != null && !errorColumn) {
                throw new T4jRowException(task, TaskContext.getPartitionId(), first + i, r.getString(input), o.error());
            }
            out.add(appended(r, o));
        }
        return out;
    }

    private Row appended(Row r, Runner.Outcome o) {
        int n = r.length();
        Object[] values = new Object[n + (errorColumn ? 2 : 1)];
        for (int i = 0; i < n; i++) {
            values[i] = r.get(i);
        }
        values[n] = SparkValues.of(task, options, o.value());
        if (errorColumn) {
            values[n + 1] = o.error();
        }
        return RowFactory.create(values);
    }
}
