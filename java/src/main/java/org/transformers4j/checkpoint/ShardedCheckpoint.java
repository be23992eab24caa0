package org.transformers4j.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.transformers4j.checkpoint.files.SafeFiles;
import org.transformers4j.checkpoint.files.StrictJson;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.util.StrictJsonParser;

/** A checkpoint split over several safetensors files, as model.safetensors.index.json maps them. */
public final class ShardedCheckpoint implements Checkpoint {
    private final Path index;
    private final Map<String, SafeTensors> byName;
    private final Map<String, SafeTensors> shards;

    private ShardedCheckpoint(Path index, Map<String, SafeTensors> byName, Map<String, SafeTensors> shards) {
        this.index = index;
        this.byName = byName;
        this.shards = shards;
    }

    /**
     * Opens every shard the index names, in the default {@link LoadMode}; see {@link #open(Path, LoadMode)}.
     *
     * @param index the index file
     * @return the checkpoint
     */
    public static ShardedCheckpoint open(Path index) {
        return open(index, LoadMode.byDefault());
    }

    /**
     * Opens every shard the index names (each a file name in the index's folder, held as mode says)
     * and checks that each mapped tensor is in its shard. The index is read as strict JSON under
     * {@link SafeFiles#MAX_JSON_BYTES}; every fault is a {@link CheckpointException} naming the
     * index and the entry.
     *
     * @param index the index file
     * @param mode how each shard is held
     * @return the checkpoint
     */
    public static ShardedCheckpoint open(Path index, LoadMode mode) {
        return open(index, SafeFiles.readText(index, "index", SafeFiles.MAX_JSON_BYTES),
                mode);
    }

    /**
     * As {@link #open(Path, LoadMode)}, with the index's text given rather than read from the
     * file: index names it in messages and its folder holds the shards.
     *
     * @param index the index file
     * @param text its text
     * @param mode how each shard is held
     * @return the checkpoint
     */
    public static ShardedCheckpoint open(Path index, String text, LoadMode mode) {
        JsonObject root = StrictJson.parseObject(text, index.toString());
        JsonElement mapElement = root.get("weight_map");
        if (mapElement == null || !mapElement.isJsonObject()) {
            throw new CheckpointException(index + ": weight_map is " + (mapElement == null ? "missing"
                    : StrictJsonParser.kind(mapElement)) + ", expected an object of tensor name to shard file");
        }
        JsonObject map = mapElement.getAsJsonObject();
        if (map.isEmpty()) {
            throw new CheckpointException(index + ": weight_map is empty");
        }
        Map<String, SafeTensors> shards = new LinkedHashMap<>();
        try {
            Map<String, SafeTensors> byName = new LinkedHashMap<>();
            for (var e : map.entrySet()) {
                String file = shardFile(index, e.getKey(), e.getValue());
                SafeTensors shard = shards.computeIfAbsent(file, f -> openShard(index, e.getKey(), f, mode));
                if (!shard.has(e.getKey())) {
                    throw new CheckpointException(index + ": tensor " + e.getKey() + " is mapped to " + file
                            + ", which does not contain it");
                }
                byName.put(e.getKey(), shard);
            }
            return new ShardedCheckpoint(index, byName, shards);
        } catch (RuntimeException | Error e) {
            shards.values().forEach(SafeTensors::close);
            throw e;
        }
    }

    private static SafeTensors openShard(Path index, String tensor, String file, LoadMode mode) {
        try {
            return SafeTensors.open(index.resolveSibling(file), mode);
        } catch (CheckpointException e) {
            throw new CheckpointException(index + ": shard " + file + " (of tensor " + tensor + "): " + e.getMessage(), e);
        }
    }

    /** The shard a weight_map entry names: a plain file name in the index's folder. */
    private static String shardFile(Path index, String tensor, JsonElement value) {
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            throw new CheckpointException(index + ": weight_map entry " + tensor + " is " + StrictJsonParser.kind(value)
                    + ", not a shard file name");
        }
        String file = value.getAsString();
        if (file.isEmpty() || file.contains("/") || file.contains("\\") || file.startsWith(".") || file.indexOf('\0') >= 0) {
            throw new CheckpointException(index + ": weight_map entry " + tensor + " names shard \"" + file
                    + "\", which is not a file name in the checkpoint folder");
        }
        return file;
    }

    @Override
    public Set<String> names() {
        return byName.keySet();
    }

    private SafeTensors shard(String name) {
        SafeTensors s = byName.get(name);
        if (s == null) {
            throw new CheckpointException(index + ": no tensor named " + name);
        }
        return s;
    }

    @Override
    public Shape shape(String name) {
        return shard(name).shape(name);
    }

    @Override
    public Tensor load(String name, TensorArena arena) {
        return shard(name).load(name, arena);
    }

    /** In place as its shard views it; int8 activations as this checkpoint says. */
    @Override
    public StoredTensor view(String name) {
        return new StoredParameter(this, name, (type, arena) -> shard(name).inPlace(name, type, arena));
    }

    /** Stored in int8 where its shard says so (NAME_scale must be in the same shard). */
    @Override
    public boolean isInt8(String name) {
        return shard(name).isInt8(name);
    }

    @Override
    public Tensor int8Values(String name, TensorArena arena) {
        return shard(name).int8Values(name, arena);
    }

    /** Per tensor when any shard says so. */
    @Override
    public boolean int8PerTensorActivations() {
        return shards.values().stream().anyMatch(SafeTensors::int8PerTensorActivations);
    }

    @Override
    public String source() {
        return index.toString();
    }

    @Override
    public void close() {
        shards.values().forEach(SafeTensors::close);
    }
}
