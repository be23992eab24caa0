package org.transformers4j.cli;

import java.nio.file.Path;
import java.util.function.Supplier;
import org.transformers4j.checkpoint.HubCache;
import picocli.CommandLine.Option;

/**
 * --model and --revision, alike in every command: a model folder, or a Hugging Face model id
 * (ORG/NAME or NAME) found offline in the Hub cache at a revision (default main). An absent
 * model is refused with a message naming every folder looked at; nothing is downloaded.
 */
abstract class ModelOption {
    /** The cache ids are looked up in: the environment's; tests of the look-up put one of theirs here. */
    static volatile Supplier<HubCache> hubCache = HubCache::fromEnvironment;

    static final String DESCRIPTION = "a model folder, or a model id (ORG/NAME or NAME) in the Hugging Face cache"
            + " (offline: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)";

    static final String REVISION = "with a model id: the branch, tag or commit hash in the cache (default main)";

    private Path resolved;

    /** The --model value as given, or null. */
    abstract String value();

    /** The --revision value as given, or null. */
    abstract String revision();

    /** Refuses --revision without --model, which would otherwise be ignored. */
    void check(CliCommand command) {
        command.check(revision() == null || given(), "--revision " + revision() + " needs a model id given with --model");
    }

    /** Whether --model was given. */
    boolean given() {
        return value() != null;
    }

    /** The model folder: the folder given, or the id's snapshot in the cache (looked up once). */
    Path dir() {
        if (resolved == null) {
            resolved = locate(value(), revision());
        }
        return resolved;
    }

    /** A model folder or id at a revision (null: main), as --model resolves it. */
    static Path locate(String model, String revision) {
        return hubCache.get().locate(model, revision);
    }

    /** --model MODEL, required. */
    static final class Required extends ModelOption {
        @Option(names = "--model", required = true, paramLabel = "MODEL", description = DESCRIPTION)
        String model;

        @Option(names = "--revision", paramLabel = "REV", description = REVISION)
        String revision;

        @Override
        String value() {
            return model;
        }

        @Override
        String revision() {
            return revision;
        }
    }

    /** --model MODEL, optional. */
    static final class Optional extends ModelOption {
        @Option(names = "--model", paramLabel = "MODEL", description = DESCRIPTION)
        String model;

        @Option(names = "--revision", paramLabel = "REV", description = REVISION)
        String revision;

        @Override
        String value() {
            return model;
        }

        @Override
        String revision() {
            return revision;
        }
    }
}
