package org.transformers4j.backend;

/** Elementwise activations; codes match T4J_ACT_* in t4j.h. */
public enum Activation {
    /** identity */
    NONE(0),
    /** x/2 (1 + erf(x/sqrt 2)), BERT's "gelu" */
    GELU(1),
    /** x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))), GPT-2's "gelu_new" */
    GELU_TANH(2),
    /** max(x, 0) */
    RELU(3),
    /** x sigmoid(x), also called swish */
    SILU(4);

    private final int code;

    Activation(int code) {
        this.code = code;
    }

    /** {@return the code the native kernels take} */
    public int code() {
        return code;
    }

    /**
     * {@return the activation for a Hugging Face config name (hidden_act, activation_function)}
     *
     * @param name the config value, for example "gelu_new" or "silu"
     * @throws IllegalArgumentException when no activation has that name
     */
    public static Activation fromConfigName(String name) {
        return switch (name) {
            case "gelu" -> GELU;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> GELU_TANH;
            case "relu" -> RELU;
            case "silu", "swish" -> SILU;
            case "linear", "identity" -> NONE;
            default -> throw new IllegalArgumentException("unknown activation: " + name);
        };
    }
}
