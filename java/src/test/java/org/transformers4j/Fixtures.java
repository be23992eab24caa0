package org.transformers4j;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** The reference fixtures copied into the test resources (see shared/fixtures/README.md). */
public final class Fixtures {
    private Fixtures() {
    }

    /** fixtures/models/NAME: config.json, model.safetensors, reference.safetensors. */
    public static Path model(String name) {
        return folderOf("/fixtures/models/" + name + "/config.json");
    }

    /** fixtures/tokenizers/NAME: tokenizer.json and cases.json. */
    public static Path tokenizer(String name) {
        return folderOf("/fixtures/tokenizers/" + name + "/cases.json");
    }

    private static Path folderOf(String resource) {
        var url = Fixtures.class.getResource(resource);
        if (url == null) {
            throw new IllegalStateException("test resource " + resource + " is missing");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
