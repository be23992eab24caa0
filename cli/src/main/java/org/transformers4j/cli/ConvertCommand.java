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
        description = {"Write the checkpoint (--model, or --onnx FILE with --config FILE) as config.json +"
                + " model.safetensors in --out DIR; with --dtype bf16 its matrices in bfloat16, half the bytes; with"
                + " --dtype int8 its linear layers' weights quantized per output channel (docs/int8.md), loaded in"
                + " place by --dtype int8."})
final class ConvertCommand extends CliCommand {
    @Mixin
    ModelOption.Optional model;

    @Option(names = "--onnx", paramLabel = "FILE", description = "an ONNX export (with --config)")
    Path onnx;

    @Option(names = "--config", paramLabel = "FILE", description = "the config.json of the ONNX export")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the folder to write (made if absent)")
    Path out;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "f32",
            converter = BackendOptions.DTypeConverter.class, description = "f32 (default), bf16 or int8: how"
                    + " matrices are stored")
    DType dtype;

    @Mixin
    JsonOption output;

    @Override
    public Integer call() throws IOException {
        check(!model.given() ? onnx != null && config != null : onnx == null && config == null,
                "give --model MODEL, or --onnx FILE with --config FILE");
        model.check(this);
        check(dtype == DType.F32 || dtype == DType.BF16 || dtype == DType.I8,
                "--dtype must be f32, bf16 or int8 for convert, got " + dtype);
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IOException("--out " + out + " exists and is not a folder");
        }
        ModelConfig cfg = ModelConfig.read(!model.given() ? config : model.dir().resolve("config.json"));
        Checkpoint checkpoint = !model.given() ? OnnxCheckpoint.open(onnx) : Checkpoints.open(model.dir());
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
