package org.transformers4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.transformers4j.tensor.Device;
import org.transformers4j.verify.SelfCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** t4j demo: each kernel once through the backend and the plain Java reference. */
@Command(name = "demo", sortOptions = false,
        description = "Five kernels once each against the plain Java reference: checks an installation.")
final class DemoCommand extends CliCommand {
    /** SelfCheck's line per kernel: what, first values, relative error. */
    private static final Pattern CHECK = Pattern.compile("(.*?)\\s+first values (\\[.*]) +rel\\. error (\\S+)");
    /** SelfCheck's header lines: backend, kernels, GEMM. */
    private static final Pattern HEADER = Pattern.compile("(backend|kernels|GEMM):\\s+(.*)");

    @Parameters(arity = "0..1", paramLabel = "DEVICE", converter = BackendOptions.DeviceConverter.class,
            description = "cpu or cuda:N (default: --device)")
    Device positionalDevice;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu",
            converter = BackendOptions.DeviceConverter.class, description = "cpu (default) or cuda:N")
    Device device;

    @Mixin
    JsonOption output;

    @Override
    public Integer call() {
        String name = (positionalDevice != null ? positionalDevice : device).toString();
        if (!output.json) {
            return SelfCheck.run(io.out(), name);
        }
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        int status;
        try (PrintStream ps = new PrintStream(text, true, StandardCharsets.UTF_8)) {
            status = SelfCheck.run(ps, name);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        for (String l : text.toString(StandardCharsets.UTF_8).split("\n")) {
            Matcher check = CHECK.matcher(l), header = HEADER.matcher(l);
            if (check.matches()) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("check", check.group(1));
                String values = check.group(2);
                line.put("first_values", java.util.Arrays.stream(values.substring(1, values.length() - 1).split(", "))
                        .map(Double::parseDouble).toList());
                line.put("relative_error", Double.parseDouble(check.group(3)));
                Format.jsonLine(io.out(), line);
            } else if (header.matches()) {
                summary.put(header.group(1).toLowerCase(java.util.Locale.ROOT), header.group(2));
            } else if (!l.isBlank()) {
                summary.put("summary", l);
            }
        }
        summary.put("ok", status == 0);
        Format.jsonLine(io.out(), summary);
        return status;
    }
}
