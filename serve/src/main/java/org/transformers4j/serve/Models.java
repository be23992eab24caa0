package org.transformers4j.serve;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The models a server serves, by name, in the order they were given. */
final class Models {
    private final Map<String, ServedModel> byName = new LinkedHashMap<>();

    Models(List<ServedModel> models) {
        for (ServedModel m : models) {
            if (byName.putIfAbsent(m.name, m) != null) {
                throw new IllegalArgumentException("two models are named " + m.name);
            }
        }
        if (byName.isEmpty()) {
            throw new IllegalArgumentException("no model to serve");
        }
    }

    List<ServedModel> all() {
        return List.copyOf(byName.values());
    }

    /**
     * The model a request names, or, when it names none, the first model of the kind the endpoint
     * needs; 404 for an unknown name, 400 for a model of another kind.
     */
    ServedModel forRequest(ServedModel.Kind kind, String name) {
        if (name == null) {
            return byName.values().stream().filter(m -> m.kind == kind).findFirst().orElseThrow(
                    () -> new ApiError(400, "invalid_request_error", "model", null, "No model served here is a "
                            + kind.name().toLowerCase() + " model; served: " + describe()));
        }
        ServedModel m = byName.get(name);
        if (m == null) {
            throw ApiError.noModel(name, byName.keySet());
        }
        if (m.kind != kind) {
            throw ApiError.invalid("model", "The model '" + name + "' is a " + m.kind.name().toLowerCase()
                    + " model; it serves " + m.kind.endpoints);
        }
        return m;
    }

    private String describe() {
        List<String> out = new ArrayList<>();
        byName.values().forEach(m -> out.add(m.name + " (" + m.kind.name().toLowerCase() + ")"));
        return String.join(", ", out);
    }
}
