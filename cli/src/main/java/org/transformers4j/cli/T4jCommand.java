package org.transformers4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.transformers4j.backend.NativeLibraries;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** The top command, t4j: its subcommands and the help every command shows. */
@Command(name = "t4j", mixinStandardHelpOptions = true, versionProvider = T4jCommand.Version.class,
        scope = CommandLine.ScopeType.INHERIT,
        description = "Transformer models on the JVM: sentence embeddings, generation, translation, serving, checks.",
        subcommands = {
            SimilarityCommand.class,
            EmbedCommand.class,
            VerifyCommand.class,
            GenerateCommand.class,
            Text2TextCommand.class,
            ConvertCommand.class,
            EncoderTaskCommands.FillMaskCommand.class,
            EncoderTaskCommands.ClassifyCommand.class,
            EncoderTaskCommands.NerCommand.class,
            EncoderTaskCommands.AnswerCommand.class,
            AttentionCommand.class,
            TimeCommand.class,
            DemoCommand.class,
            ServeCommand.class,
            CommandLine.HelpCommand.class
        },
        footerHeading = "%n",
        footer = {"'--' ends the options (a text may then start with '-'); 't4j help COMMAND' shows a command's"
                + " options.",
            "Exit codes: 0 ok, 1 I/O error or failed check, 2 usage or bad input, 3 environment."})
final class T4jCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** t4j alone: the command list. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The project version (from the build) and the Java and platform it runs on. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            return new String[] {"t4j " + projectVersion(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + "), " + NativeLibraries.PLATFORM};
        }

        /** version.properties, written by the build from the POM's version. */
        static String projectVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = T4jCommand.class.getResourceAsStream("version.properties")) {
                if (in == null) {
                    throw new IOException("version.properties is missing from the t4j-cli jar");
                }
                p.load(in);
            }
            return p.getProperty("version");
        }
    }
}
