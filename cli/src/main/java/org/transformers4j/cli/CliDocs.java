package org.transformers4j.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;

/**
 * The command reference in docs/cli.md, made from the same picocli definitions as the help: the
 * part between the two markers is generated, the rest of the file is written by hand. CliDocsTest
 * fails when the file is stale; {@code main} rewrites it.
 */
public final class CliDocs {
    static final String BEGIN = "<!-- BEGIN GENERATED: the command reference, from the picocli definitions -->";
    static final String END = "<!-- END GENERATED -->";

    private CliDocs() {
    }

    /** Rewrites the generated part of the file given (docs/cli.md). */
    public static void main(String[] args) throws IOException {
        Path file = Path.of(args.length > 0 ? args[0] : "docs/cli.md");
        Files.writeString(file, updated(Files.readString(file, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    /** The document with its generated part replaced by the current reference. */
    static String updated(String document) {
        int begin = document.indexOf(BEGIN), end = document.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("docs/cli.md has no " + BEGIN + " ... " + END + " section");
        }
        return document.substring(0, begin) + BEGIN + "\n" + reference() + document.substring(end);
    }

    /** The table of commands, then each command's help as t4j prints it. */
    static String reference() {
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        CommandLine top = Main.commandLine(new Io(System.in, nowhere, nowhere, Progress.Mode.OFF));
        StringBuilder md = new StringBuilder("\n| command | what it does |\n| --- | --- |\n");
        Map<String, CommandLine> commands = top.getSubcommands();
        commands.forEach((name, cl) -> {
            if (name.equals(cl.getCommandName()) && !name.equals("help")) {
                String aliases = String.join(", ", cl.getCommandSpec().aliases());
                md.append("| `").append(name).append('`').append(aliases.isEmpty() ? "" : " (`" + aliases + "`)")
                        .append(" | ").append(cl.getCommandSpec().usageMessage().description()[0].replace("|", "\\|"))
                        .append(" |\n");
            }
        });
        md.append("\n```\n").append(top.getUsageMessage(CommandLine.Help.Ansi.OFF)).append("```\n");
        commands.forEach((name, cl) -> {
            if (name.equals(cl.getCommandName()) && !name.equals("help")) {
                md.append("\n### t4j ").append(name).append("\n\n```\n")
                        .append(cl.getUsageMessage(CommandLine.Help.Ansi.OFF)).append("```\n");
            }
        });
        return md + "\n";
    }
}
