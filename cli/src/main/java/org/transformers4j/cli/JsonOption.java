package org.transformers4j.cli;

import picocli.CommandLine.Option;

/** --json: results as JSON lines, one object per line, instead of text. */
final class JsonOption {
    @Option(names = "--json", description = "results as JSON lines (one object per line) instead of text")
    boolean json;
}
