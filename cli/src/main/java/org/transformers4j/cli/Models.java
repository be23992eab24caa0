package org.transformers4j.cli;

import java.nio.file.Path;
import org.transformers4j.backend.Backend;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.pipeline.DefaultModels;
import org.transformers4j.pipeline.SentenceEmbedder;

/** Model loading as the commands do it: with a progress step, since loading can take seconds. */
final class Models {
    private Models() {
    }

    /** all-MiniLM-L6-v2, the model of similarity and embed. */
    static SentenceEmbedder defaultEmbedder(Io io, Backend backend) {
        try (Progress p = Progress.start(io, "loading all-MiniLM-L6-v2")) {
            return p.done(DefaultModels.miniLmEmbedder(backend));
        }
    }

    /** The encoder in dir. */
    static EncoderModel encoder(Io io, Path dir, Backend backend) {
        try (Progress p = Progress.start(io, "loading " + dir)) {
            return p.done(ModelRegistry.loadEncoder(dir, backend));
        }
    }
}
