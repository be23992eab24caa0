package org.transformers4j.spark;

import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;

/**
 * A task as a SQL function of one string. Spark calls it row by row, so a task thread hands the
 * model one text at a time; the executor's scheduler still merges the texts of its concurrent
 * tasks into one forward pass. A failing row gives null (onError null) or fails the task.
 */
final class SqlFunction implements UDF1<String, Object> {
    private static final long serialVersionUID = 1L;

    private final Task task;
    private final T4jOptions options;
    /** The executor's runner, looked up by the first row of each deserialised copy (one per task). */
    private transient Runner runner;

    SqlFunction(Task task, T4jOptions options) {
        this.task = task;
        this.options = options;
    }

    private Runner runner() {
        if (runner == null) {
            runner = ExecutorModels.runner(task, options);
        }
        return runner;
    }

    /** The row's outcome from the executor's model. */
    private Runner.Outcome outcome(String text) {
        return runner().run(List.of(text), options).get(0);
    }

    @Override
    public Object call(String text) {
        if (text == null) {
            return null;
        }
        Runner.Outcome o = outcome(text);
        if (o.error() != null && options.onError() == T4jOptions.OnError.FAIL) {
            TaskContext context = TaskContext.get();
            throw new T4jRowException(task, context == null ? -1 : context.partitionId(), -1, text, o.error());
        }
        return SparkValues.of(task, options, o.value());
    }

    /** The same as {@code struct<value, error>}: the result, or null and why the row failed. */
    static final class WithError implements UDF1<String, Object> {
        private static final long serialVersionUID = 1L;

        private final SqlFunction function;

        WithError(Task task, T4jOptions options) {
            this.function = new SqlFunction(task, options);
        }

        @Override
        public Object call(String text) {
            if (text == null) {
                return null;
            }
            Runner.Outcome o = function.outcome(text);
            return RowFactory.create(SparkValues.of(function.task, function.options, o.value()), o.error());
        }
    }

    /** A task of two strings (question answering: question, context) as a SQL function. */
    static final class OfPair implements UDF2<String, String, Object> {
        private static final long serialVersionUID = 1L;

        private final SqlFunction function;

        OfPair(Task task, T4jOptions options) {
            this.function = new SqlFunction(task, options);
        }

        /** The pair's outcome from the executor's model. */
        Runner.Outcome outcome(String first, String second) {
            return function.runner().runPairs(List.of(first), List.of(second), function.options).get(0);
        }

        @Override
        public Object call(String first, String second) {
            if (first == null || second == null) {
                return null;
            }
            Runner.Outcome o = outcome(first, second);
            if (o.error() != null && function.options.onError() == T4jOptions.OnError.FAIL) {
                TaskContext context = TaskContext.get();
                throw new T4jRowException(function.task, context == null ? -1 : context.partitionId(), -1, first,
                        o.error());
            }
            return SparkValues.of(function.task, function.options, o.value());
        }
    }

    /** The same as {@code struct<value, error>}: the result, or null and why the row failed. */
    static final class OfPairWithError implements UDF2<String, String, Object> {
        private static final long serialVersionUID = 1L;

        private final OfPair function;

        OfPairWithError(Task task, T4jOptions options) {
            this.function = new OfPair(task, options);
        }

        @Override
        public Object call(String first, String second) {
            if (first == null || second == null) {
                return null;
            }
            Runner.Outcome o = function.outcome(first, second);
            return RowFactory.create(SparkValues.of(function.function.task, function.function.options, o.value()),
                    o.error());
        }
    }
}
