package org.transformers4j.model;

import java.util.Map;
import org.transformers4j.backend.Activation;

/**
 * The checks family config records make on their values. Each throws an
 * {@link IllegalArgumentException} naming the key and the value; {@link ConfigReader} adds the
 * file.
 */
public final class ConfigChecks {
    /**
     * The most values one tensor the config implies may hold (2^40, 4 TiB of float32): no model
     * comes near it, and products of such sizes with batch and sequence lengths stay far from
     * overflowing a long.
     */
    public static final long MAX_TENSOR_VALUES = 1L << 40;
    /** The most values a table computed on the heap may hold (a Java array's limit). */
    public static final long MAX_HEAP_VALUES = Integer.MAX_VALUE - 8;

    private ConfigChecks() {
    }

    /**
     * value &gt;= 1.
     *
     * @param key the config.json key, for the message
     * @param value its value
     */
    public static void positive(String key, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + " must be >= 1, is " + value);
        }
    }

    /**
     * value &gt;= 0.
     *
     * @param key the config.json key, for the message
     * @param value its value
     */
    public static void nonNegative(String key, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(key + " must be >= 0, is " + value);
        }
    }

    /**
     * value finite and &gt; 0 (epsilons, rope theta).
     *
     * @param key the config.json key, for the message
     * @param value its value
     */
    public static void finitePositive(String key, double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(key + " must be finite and > 0, is " + value);
        }
    }

    /**
     * value a multiple of divisor (divisor already checked &gt;= 1).
     *
     * @param key the config.json key, for the message
     * @param value its value
     * @param divisorKey the divisor's key
     * @param divisor the divisor's value
     */
    public static void multipleOf(String key, long value, String divisorKey, long divisor) {
        if (value % divisor != 0) {
            throw new IllegalArgumentException(key + " " + value + " is not a multiple of " + divisorKey + " "
                    + divisor);
        }
    }

    /**
     * {@return an activation name the kernels know}
     *
     * @param key the config.json key, for the message
     * @param name the activation's Hugging Face name
     */
    public static Activation activation(String key, String name) {
        if (name == null) {
            throw new IllegalArgumentException(key + " must name an activation, is null");
        }
        try {
            return Activation.fromConfigName(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " " + name + " is not a supported activation (gelu, gelu_new,"
                    + " gelu_pytorch_tanh, gelu_fast, relu, silu, swish, linear, identity)");
        }
    }

    /**
     * A token id inside the vocabulary of vocabSize rows, or null (none).
     *
     * @param key the config.json key, for the message
     * @param id the token id, or null
     * @param vocabKey the vocabulary size's key
     * @param vocabSize V
     */
    public static void tokenId(String key, Integer id, String vocabKey, long vocabSize) {
        if (id != null && (id < 0 || id >= vocabSize)) {
            throw new IllegalArgumentException(key + " " + id + " is outside the vocabulary (" + vocabKey + " "
                    + vocabSize + ")");
        }
    }

    /**
     * Every id of a one-or-many key inside the vocabulary, or null.
     *
     * @param key the config.json key, for the message
     * @param ids the token ids, or null
     * @param vocabKey the vocabulary size's key
     * @param vocabSize V
     */
    public static void tokenIds(String key, TokenIds ids, String vocabKey, long vocabSize) {
        if (ids == null) {
            return;
        }
        for (long id : ids.ids()) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException(key + " " + (ids.ids().size() == 1 ? id : ids.ids() + " holds " + id
                        + ", which") + " is outside the vocabulary (" + vocabKey + " " + vocabSize + ")");
            }
        }
    }

    /**
     * A tensor of shape rows x cols that the config implies (already checked positive) holds at
     * most {@link #MAX_TENSOR_VALUES} values; names both keys when not.
     *
     * @param rowsKey the key of the rows
     * @param rows the rows
     * @param colsKey the key of the columns
     * @param cols the columns
     */
    public static void tensor(String rowsKey, long rows, String colsKey, long cols) {
        product(rowsKey, rows, colsKey, cols, MAX_TENSOR_VALUES, "a tensor may hold");
    }

    /**
     * As {@link #tensor}, for a table computed in a Java array.
     *
     * @param rowsKey the key of the rows
     * @param rows the rows
     * @param colsKey the key of the columns
     * @param cols the columns
     */
    public static void heapTable(String rowsKey, long rows, String colsKey, long cols) {
        product(rowsKey, rows, colsKey, cols, MAX_HEAP_VALUES, "a table computed on the heap may hold");
    }

    private static void product(String rowsKey, long rows, String colsKey, long cols, long max, String what) {
        boolean fits;
        try {
            fits = Math.multiplyExact(rows, cols) <= max;
        } catch (ArithmeticException e) {
            fits = false;
        }
        if (!fits) {
            throw new IllegalArgumentException(rowsKey + " " + rows + " x " + colsKey + " " + cols + " values are more"
                    + " than the " + max + " " + what);
        }
    }

    /**
     * a x b as an int (sizes computed from two keys, such as num_heads x d_kv), else names both.
     *
     * @param aKey the first key
     * @param a its value
     * @param bKey the second key
     * @param b its value
     * @return the product
     */
    public static int intProduct(String aKey, int a, String bKey, int b) {
        long p = (long) a * b;
        if (p > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(aKey + " " + a + " x " + bKey + " " + b + " = " + p
                    + " is more than a size may be (" + Integer.MAX_VALUE + ")");
        }
        return (int) p;
    }

    /**
     * id2label's keys are exactly 0 .. n - 1 (each class index has one label).
     *
     * @param id2label the labels by class index
     */
    public static void labels(Map<Integer, String> id2label) {
        if (id2label == null) {
            return;
        }
        for (int i = 0; i < id2label.size(); i++) {
            if (!id2label.containsKey(i)) {
                throw new IllegalArgumentException("id2label must have the keys 0 .. " + (id2label.size() - 1)
                        + ", has " + id2label.keySet());
            }
        }
    }

    /**
     * value is one of the allowed strings.
     *
     * @param key the config.json key, for the message
     * @param value its value
     * @param allowed the values allowed
     */
    public static void oneOf(String key, String value, String... allowed) {
        for (String a : allowed) {
            if (a.equals(value)) {
                return;
            }
        }
        throw new IllegalArgumentException(key + " " + value + " is not supported; supported: "
                + String.join(", ", allowed));
    }
}
