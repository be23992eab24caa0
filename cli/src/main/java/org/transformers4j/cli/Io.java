package org.transformers4j.cli;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * Where a command reads and writes: standard input, output and error, and how progress is shown
 * on standard error.
 */
record Io(InputStream in, PrintStream out, PrintStream err, Progress.Mode progress) {
}
