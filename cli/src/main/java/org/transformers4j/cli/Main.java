package org.transformers4j.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * The t4j command line. Commands are picocli classes (one per command, T4jCommand lists them);
 * usage errors, failures and exit codes are decided in {@link Errors}, so that bad input gives a
 * one-line "t4j: message", never a stack trace.
 */
public final class Main {
    private Main() {
    }

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
                false, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        int status = run(args, new Io(System.in, out, err, Progress.Mode.fromEnvironment()));
        out.flush();
        System.exit(status);
    }

    /** Runs the command line on these streams, without progress; returns the exit code. */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return run(args, new Io(in, out, err, Progress.Mode.OFF));
    }

    /** Runs the command line; returns the exit code. */
    static int run(String[] args, Io io) {
        CommandLine cl = commandLine(io);
        try {
            return cl.execute(args);
        } catch (Throwable t) { // an Error passes through picocli: it is reported as everything else is
            io.out().flush();
            return Errors.report(t, cl.getErr());
        } finally {
            io.out().flush();
        }
    }

    /** The command tree, writing to io's streams. */
    static CommandLine commandLine(Io io) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        CommandLine cl = new CommandLine(new T4jCommand(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                K made = defaults.create(cls);
                if (made instanceof CliCommand c) {
                    c.io = io;
                }
                return made;
            }
        });
        cl.setOut(new PrintWriter(io.out(), true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(io.err(), true, StandardCharsets.UTF_8));
        cl.setParameterExceptionHandler(Errors::usage);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            io.out().flush();
            return Errors.report(ex, cmd.getErr());
        });
        return cl;
    }
}
