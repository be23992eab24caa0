package org.transformers4j.checkpoint;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

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

    /** Opens every shard the index names and checks that each mapped tensor is in its shard. */
    public static ShardedCheckpoint open(Path index) {
        Map<String, SafeTensors> shards = new LinkedHashMap<>();
        try {
            JsonObject root = JsonParser.parseString(Files.readString(index)).getAsJsonObject();
            JsonObject map = root.getAsJsonObject("weight_map");
            if (map == null) {
                throw new CheckpointException(index + ": no weight_map");
            }
            Map<String, SafeTensors> byName = new LinkedHashMap<>();
            for (var e : map.entrySet()) {
                String file = e.getValue().getAsString();
                Path shardPath = index.resolveSibling(file).normalize();
                if (file.contains("/") || file.contains("\\") || file.startsWith(".")) {
                    throw new CheckpointException(index + ": shard " + file + " is not a file name in the checkpoint folder");
                }
                SafeTensors shard = shards.computeIfAbsent(file, f -> SafeTensors.open(shardPath));
                if (!shard.has(e.getKey())) {
                    throw new CheckpointException(index + ": tensor " + e.getKey() + " is mapped to " + file
                            + ", which does not contain it");
                }
                byName.put(e.getKey(), shard);
            }
            return new ShardedCheckpoint(index, byName, shards);
        } catch (IOException e) {
            shards.values().forEach(SafeTensors::close);
            throw new CheckpointException(index + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            shards.values().forEach(SafeTensors::close);
            if (e instanceof CheckpointException) {
                throw e;
            }
            throw new CheckpointException(index + ": malformed index: " + e.getMessage(), e);
        }
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

    @Override
    public Tensor viewBf16(String name, TensorArena arena) {
        return shard(name).viewBf16(name, arena);
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
