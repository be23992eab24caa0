package org.transformers4j.spark;

import java.util.Locale;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.transformers4j.model.ModelRegistry;

/** What a DataFrame operation does with a string column, and the column type it gives. */
public enum Task {
    /** Sentence embeddings: {@code array<float>}. */
    EMBED("t4j_embed", ModelRegistry.Kind.ENCODER, ""),
    /**
     * Text classification: {@code struct<label: string, score: double>} of the most likely label,
     * or with allScores {@code array<struct<label, score>>}, most likely first.
     */
    CLASSIFY("t4j_classify", ModelRegistry.Kind.ENCODER, "ForSequenceClassification"),
    /**
     * Token classification merged into entities:
     * {@code array<struct<type: string, score: double, word: string, start: int, end: int>>},
     * start and end being [start, end) in the text.
     */
    ENTITIES("t4j_entities", ModelRegistry.Kind.ENCODER, "ForTokenClassification"),
    /**
     * Fill-mask: for each mask token of the text, in order, its candidates, most likely first:
     * {@code array<array<struct<token_id: long, token: string, score: double, sequence: string>>>}.
     */
    FILL_MASK("t4j_fill_mask", ModelRegistry.Kind.ENCODER, "ForMaskedLM"),
    /** Text-to-text generation (translation, summarisation) with an encoder-decoder model: {@code string}. */
    TEXT2TEXT("t4j_text2text", ModelRegistry.Kind.SEQ2SEQ, ""),
    /** Text generation with a decoder-only model, the continuation without the prompt: {@code string}. */
    GENERATE("t4j_generate", ModelRegistry.Kind.DECODER, ""),
    /**
     * Extractive question answering over two string columns, a question and its context: the best
     * answer, {@code struct<answer: string, score: double, start: int, end: int>}, start and end
     * being [start, end) in the context (transformers' question-answering pipeline, top 1).
     */
    ANSWER("t4j_answer", ModelRegistry.Kind.ENCODER, "ForQuestionAnswering");

    static final StructType LABEL = new StructType()
            .add("label", DataTypes.StringType)
            .add("score", DataTypes.DoubleType);
    static final StructType ENTITY = new StructType()
            .add("type", DataTypes.StringType)
            .add("score", DataTypes.DoubleType)
            .add("word", DataTypes.StringType)
            .add("start", DataTypes.IntegerType)
            .add("end", DataTypes.IntegerType);
    static final StructType ANSWER_TYPE = new StructType()
            .add("answer", DataTypes.StringType)
            .add("score", DataTypes.DoubleType)
            .add("start", DataTypes.IntegerType)
            .add("end", DataTypes.IntegerType);
    static final StructType CANDIDATE = new StructType()
            .add("token_id", DataTypes.LongType)
            .add("token", DataTypes.StringType)
            .add("score", DataTypes.DoubleType)
            .add("sequence", DataTypes.StringType);

    private final String sqlName;
    private final ModelRegistry.Kind kind;
    private final String headSuffix;

    Task(String sqlName, ModelRegistry.Kind kind, String headSuffix) {
        this.sqlName = sqlName;
        this.kind = kind;
        this.headSuffix = headSuffix;
    }

    /** The name its SQL function is registered under by default. */
    public String sqlName() {
        return sqlName;
    }

    /** The kind of model it needs. */
    public ModelRegistry.Kind kind() {
        return kind;
    }

    /** How a config.json's architecture must end for this task ("" when any architecture of the kind will do). */
    String headSuffix() {
        return headSuffix;
    }

    /** Whether the task reads two string columns (a question and its context) rather than one. */
    public boolean takesPairs() {
        return this == ANSWER;
    }

    /** The type of the output column. */
    public DataType outputType(T4jOptions options) {
        return switch (this) {
            case EMBED -> DataTypes.createArrayType(DataTypes.FloatType, false);
            case CLASSIFY -> options.allScores() ? DataTypes.createArrayType(LABEL, false) : LABEL;
            case ENTITIES -> DataTypes.createArrayType(ENTITY, false);
            case FILL_MASK -> DataTypes.createArrayType(DataTypes.createArrayType(CANDIDATE, false), false);
            case TEXT2TEXT, GENERATE -> DataTypes.StringType;
            case ANSWER -> ANSWER_TYPE;
        };
    }

    /** The task a name gives: its enum name or SQL name in any case, dashes or underscores ("fill-mask"). */
    public static Task parse(String name) {
        String n = name == null ? "" : name.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        if (n.startsWith("T4J_")) {
            n = n.substring(4);
        }
        switch (n) {
            case "CLASSIFICATION", "TEXT_CLASSIFICATION" -> n = "CLASSIFY";
            case "TOKEN_CLASSIFICATION", "NER" -> n = "ENTITIES";
            case "TRANSLATE", "TRANSLATION", "TEXT2TEXT_GENERATION" -> n = "TEXT2TEXT";
            case "TEXT_GENERATION", "GENERATION" -> n = "GENERATE";
            case "EMBEDDING", "EMBEDDINGS" -> n = "EMBED";
            case "QUESTION_ANSWERING", "QA" -> n = "ANSWER";
            default -> {
            }
        }
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown task " + name + "; tasks: embed, classify, entities, "
                    + "fill-mask, text2text, generate, answer");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
