package org.transformers4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.checkpoint.OnnxCheckpoint;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** t4j convert: a checkpoint (sharded, ONNX) rewritten as config.json + model.safetensors. */
@Command(name = "convert", sortOptions = false,
        description = {"Write the checkpoint (--model DIR, or --onnx FILE with --config FILE) as config.json +"
                + " model.safetensors in --out DIR; with --dtype bf16 its matrices in bfloat16, half the bytes."})
final class ConvertCommand extends CliCommand {
    @Option(names = "--model", paramLabel = "DIR", description = "a checkpoint folder: config.json and safetensors")
    Path model;

    @Option(names = "--onnx", paramLabel = "FILE", description = "an ONNX export (with --config)")
    Path onnx;

    @Option(names = "--config", paramLabel = "FILE", description = "the config.json of the ONNX export")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the folder to write (made if absent)")
    Path out;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "f32",
            converter = BackendOptions.DTypeConverter.class, description = "f32 (default) or bf16: how matrices are"
                    + " stored")
    DType dtype;

    @Mixin
    JsonOption output;

    @Override
    public Integer call() throws IOException {
        check(model == null ? onnx != null && config != null : onnx == null && config == null,
                "give --model DIR, or --onnx FILE with --config FILE");
        check(dtype == DType.F32 || dtype == DType.BF16, "--dtype must be f32 or bf16 for convert, got " + dtype);
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IOException("--out " + out + " exists and is not a folder");
        }
        ModelConfig cfg = ModelConfig.read(model == null ? config : model.resolve("config.json"));
        Checkpoint checkpoint = model == null ? OnnxCheckpoint.open(onnx) : Checkpoints.open(model);
        int count;
        try (checkpoint; Progress p = Progress.start(io, "converting to " + out)) {
            count = checkpoint.names().size();
            SafeTensorsWriter.writeCheckpoint(out, cfg.json(), checkpoint, dtype);
            p.done();
        }
        Path tensors = out.resolve("model.safetensors"), json = out.resolve("config.json");
        if (output.json) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("tensors", count);
            line.put("safetensors", tensors.toString());
            line.put("config", json.toString());
            Format.jsonLine(io.out(), line);
        } else {
            io.out().println("wrote " + count + " tensors to " + tensors + " and " + json);
        }
        return 0;
    }
}
