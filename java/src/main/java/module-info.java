/**
 * Transformers4J: transformer models for the JVM on native kernels through the FFM API.
 *
 * <p>Start with {@link org.transformers4j.pipeline} (one class per task, e.g.
 * {@link org.transformers4j.pipeline.SentenceEmbedder}), a backend from
 * {@link org.transformers4j.backend.Backends}, and, for a service with many request threads,
 * {@link org.transformers4j.scheduler.Schedulers}.
 *
 * <p>Exported: the pipelines, models and their configurations, generation, tokenizers, the
 * scheduler, checkpoints, tensors and the backends. Not exported: the layers ({@code nn}),
 * utilities ({@code util}), the reference backend, the verification helpers ({@code verify}),
 * tensor memory access ({@code tensor.internal}), checkpoint file readers
 * ({@code checkpoint.files}) and the native bindings; on the class path they are visible, but
 * they are not API and change without notice.
 *
 * <p>Native code runs through the FFM API: start the JVM with
 * {@code --enable-native-access=org.transformers4j,org.transformers4j.bindings} on the module path,
 * or {@code --enable-native-access=ALL-UNNAMED} on the class path. On the module path, OpenBLAS's
 * platform jar ({@code org.bytedeco:openblas}, classifier {@code linux-x86_64}) stays on the class
 * path: the library loads its native files as resources and needs none of its classes.
 */
module org.transformers4j {
    requires transitive com.google.gson;
    requires ai.djl.tokenizers;
    requires jdk.jfr;
    requires org.transformers4j.bindings;

    exports org.transformers4j.backend;
    exports org.transformers4j.backend.cpu;
    exports org.transformers4j.backend.cuda;
    exports org.transformers4j.checkpoint;
    exports org.transformers4j.generation;
    exports org.transformers4j.model;
    exports org.transformers4j.model.bart;
    exports org.transformers4j.model.bert;
    exports org.transformers4j.model.distilbert;
    exports org.transformers4j.model.electra;
    exports org.transformers4j.model.gemma;
    exports org.transformers4j.model.gpt2;
    exports org.transformers4j.model.gptneo;
    exports org.transformers4j.model.llama;
    exports org.transformers4j.model.mistral;
    exports org.transformers4j.model.modernbert;
    exports org.transformers4j.model.phi3;
    exports org.transformers4j.model.qwen2;
    exports org.transformers4j.model.qwen3;
    exports org.transformers4j.model.t5;
    exports org.transformers4j.pipeline;
    exports org.transformers4j.scheduler;
    exports org.transformers4j.tensor;
    exports org.transformers4j.tokenizer;

    // config records are bound from config.json by gson's reflection
    opens org.transformers4j.model to com.google.gson;
    opens org.transformers4j.model.bart to com.google.gson;
    opens org.transformers4j.model.bert to com.google.gson;
    opens org.transformers4j.model.distilbert to com.google.gson;
    opens org.transformers4j.model.electra to com.google.gson;
    opens org.transformers4j.model.gemma to com.google.gson;
    opens org.transformers4j.model.gpt2 to com.google.gson;
    opens org.transformers4j.model.gptneo to com.google.gson;
    opens org.transformers4j.model.llama to com.google.gson;
    opens org.transformers4j.model.mistral to com.google.gson;
    opens org.transformers4j.model.modernbert to com.google.gson;
    opens org.transformers4j.model.phi3 to com.google.gson;
    opens org.transformers4j.model.qwen2 to com.google.gson;
    opens org.transformers4j.model.qwen3 to com.google.gson;
    opens org.transformers4j.model.t5 to com.google.gson;
}
