package org.transformers4j.cli;

import java.nio.file.Path;
import org.transformers4j.backend.Backend;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;

/** Model loading as the commands do it: with a progress step, since loading can take seconds. */
final class Models {
    private Models() {
    }

    /** The encoder in dir. */
    static EncoderModel encoder(Io io, Path dir, Backend backend) {
        try (Progress p = Progress.start(io, "loading " + dir)) {
            return p.done(ModelRegistry.loadEncoder(dir, backend));
        }
    }
}
