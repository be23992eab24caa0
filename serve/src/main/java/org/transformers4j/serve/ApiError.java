package org.transformers4j.serve;

/**
 * A request the server answers with an error, in OpenAI's shape:
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a field is missing, of the wrong type or out of range. */
    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, null, message);
    }

    /** 404: no model of that name. */
    static ApiError noModel(String name, Iterable<String> served) {
        return new ApiError(404, "invalid_request_error", "model", "model_not_found",
                "The model '" + name + "' does not exist; served: " + String.join(", ", served));
    }
}
