package org.transformers4j.spark;

import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.transformers4j.pipeline.FillMask;
import org.transformers4j.pipeline.QuestionAnswerer;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.pipeline.TokenClassifier;
import org.transformers4j.scheduler.Embedding;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The library's results as Spark values of {@link Task#outputType}: float[] for array&lt;float&gt;,
 * Rows for structs, Scala sequences for arrays (what Spark's row encoder takes), strings.
 */
final class SparkValues {
    private SparkValues() {
    }

    /** A row's result (as its runner gives it) for the task and options; null stays null. */
    @SuppressWarnings("unchecked")
    static Object of(Task task, T4jOptions options, Object result) {
        if (result == null) {
            return null;
        }
        return switch (task) {
            case EMBED -> ((Embedding) result).vector();
            case CLASSIFY -> {
                List<TextClassifier.Label> labels = (List<TextClassifier.Label>) result;
                yield options.allScores() ? seq(labels, SparkValues::label) : label(labels.get(0));
            }
            case ENTITIES -> seq((List<TokenClassifier.Entity>) result, SparkValues::entity);
            case FILL_MASK -> seq((List<List<FillMask.Prediction>>) result, masks -> seq(masks, SparkValues::candidate));
            case TEXT2TEXT, GENERATE -> (String) result;
            case ANSWER -> answer((QuestionAnswerer.Answer) result);
        };
    }

    private static <T> scala.collection.immutable.Seq<Object> seq(List<T> items, Function<T, Object> each) {
        return CollectionConverters.asScala(items.stream().map(each).toList()).toList();
    }

    private static Row label(TextClassifier.Label l) {
        return RowFactory.create(l.label(), l.score());
    }

    private static Row entity(TokenClassifier.Entity e) {
        return RowFactory.create(e.type(), e.score(), e.word(), e.start(), e.end());
    }

    private static Row answer(QuestionAnswerer.Answer a) {
        return RowFactory.create(a.answer(), a.score(), a.start(), a.end());
    }

    private static Row candidate(FillMask.Prediction p) {
        return RowFactory.create(p.tokenId(), p.token(), p.score(), p.sequence());
    }
}
