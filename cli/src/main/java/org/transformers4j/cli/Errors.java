package org.transformers4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * What a failure becomes on the command line: "t4j: message" on standard error and an exit code
 * (0 ok, 1 I/O error or failed verification, 2 usage or bad input, 3 environment). A stack trace
 * only for what is a bug, and only with T4J_DEBUG=1.
 */
final class Errors {
    static final int IO = 1;
    static final int USAGE = 2;
    static final int ENVIRONMENT = 3;

    private Errors() {
    }

    /** A failure's message and exit code. */
    record Failure(String message, int code, boolean bug) {
    }

    /** Picocli's handler for bad command lines: the message, suggestions for a typo, where help is. */
    static int usage(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        String message = ex.getMessage();
        if (ex instanceof UnmatchedArgumentException u && cmd.getParent() == null && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().get(0).startsWith("-")) {
            message = "unknown command '" + u.getUnmatched().get(0) + "'";
        }
        err.println("t4j: " + message);
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("t4j: see '" + cmd.getCommandSpec().qualifiedName() + " --help'");
        err.flush();
        return USAGE;
    }

    /** Reports a failure of a command: its message on err, a stack trace only for a bug and with T4J_DEBUG=1. */
    static int report(Throwable t, PrintWriter err) {
        Failure f = classify(t);
        err.println("t4j: " + f.message());
        if (f.bug()) {
            if ("1".equals(System.getenv("T4J_DEBUG"))) {
                t.printStackTrace(err);
            } else {
                err.println("t4j: this is a bug; T4J_DEBUG=1 shows where it happened");
            }
        }
        err.flush();
        return f.code();
    }

    /** The message and exit code for a failure. */
    static Failure classify(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UnsatisfiedLinkError) {
                return new Failure("a native library cannot be loaded: " + c.getMessage(), ENVIRONMENT, false);
            }
        }
        return switch (t) {
            case IllegalArgumentException e -> new Failure(text(e), USAGE, false);
            case UnsupportedOperationException e -> new Failure(text(e), USAGE, false);
            case UncheckedIOException e -> new Failure(e.getCause() == null ? text(e)
                    : joined(e.getMessage(), describe(e.getCause())), IO, false);
            case IOException e -> new Failure(describe(e), IO, false);
            case OutOfMemoryError e -> new Failure("out of memory (" + text(e) + "): the input is too large for"
                    + " this JVM's heap; JAVA_OPTS=-Xmx... gives it more", IO, false);
            case ExceptionInInitializerError e when e.getCause() != null -> classify(e.getCause());
            default -> new Failure("internal error: " + t, IO, true);
        };
    }

    /** An I/O exception in words: what happened to which file. */
    static String describe(IOException e) {
        return switch (e) {
            case NoSuchFileException f -> "no such file or folder: " + f.getFile();
            case AccessDeniedException f -> "permission denied: " + f.getFile();
            case FileAlreadyExistsException f -> "already exists (and is in the way): " + f.getFile();
            case NotDirectoryException f -> "not a folder: " + f.getFile();
            case DirectoryNotEmptyException f -> "folder not empty: " + f.getFile();
            case FileSystemException f -> f.getFile() + (f.getReason() == null ? "" : ": " + f.getReason());
            default -> text(e);
        };
    }

    private static String joined(String outer, String inner) {
        return outer == null || outer.contains(inner) ? inner : outer + ": " + inner;
    }

    private static String text(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
