package org.transformers4j.bench;

import java.util.ArrayList;
import java.util.List;

/** The benchmark texts: 32 varied sentences (short, long, unicode), and 32 texts of exactly 128 tokens. */
final class Sentences {
    static final List<String> VARIED = List.of(
            "How do transformers work?", "What is attention?", "A recipe for paella",
            "The quick brown fox jumps over the lazy dog.",
            "Semantic search ranks documents by meaning rather than by shared keywords.",
            "Ünïcödé àccents: naïve café résumé Øresund ß", "中文字符和日本語のテキスト、한국어",
            "emoji 🤗🚀 and symbols ©®™ ∑∫√", "numbers 1234567890 3.14159 1e-9 0x7f",
            "code: def f(x): return x**2  # comment", "It's, I'm, we'll, they've, she'd, don't — contractions.",
            "Der Hund bellt den Briefträger an, weil er jeden Morgen zur gleichen Zeit kommt.",
            "Transformer architecture se introdujo primero en junio de 2017 con la idea de una red basada en atención.",
            "OK", "Where is the nearest train station?", "Interest rates rose for the third quarter in a row.",
            "The patient reported mild headaches and occasional dizziness after the new medication.",
            "Please reset my password; the link in the last e-mail has expired.",
            "A large language model predicts the next token given everything before it, one step at a time, "
                    + "and the key-value cache keeps the work of earlier steps.",
            "Vector databases store embeddings and answer nearest-neighbour queries quickly.",
            "She sells sea shells by the sea shore.", "JVM services need fast inference without Python.",
            "The match was postponed because of heavy rain.",
            "Photosynthesis converts light energy into chemical energy stored in glucose.",
            "Sort the list, then remove duplicates.", "What time does the museum open on Sundays?",
            "The contract may be terminated by either party with thirty days written notice.",
            "I loved the film, but the ending felt rushed.", "Quantum computers use qubits.",
            "Add two cups of flour and a pinch of salt, then knead the dough for ten minutes.",
            "Our quarterly revenue grew twelve percent, driven by subscriptions in Europe and Asia.",
            "Can you recommend a good book about the history of mathematics?");

    /** batch texts cycled from the varied pool. */
    static List<String> varied(int batch) {
        List<String> out = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            out.add(VARIED.get(i % VARIED.size()));
        }
        return out;
    }

    /** batch texts of exactly 128 tokens each ([CLS] and [SEP] included) for all-MiniLM-L6-v2's tokenizer. */
    static List<String> tokens128(int batch) {
        List<String> out = new ArrayList<>(batch);
        String[] words = String.join(" ", VARIED).split("\\s+");
        try (var tok = org.transformers4j.pipeline.DefaultModels.miniLmTokenizer()) {
            for (int i = 0; i < batch; i++) {
                StringBuilder sb = new StringBuilder();
                int w = i * 7;
                while (tok.encode(sb.toString()).length() < 128) {
                    sb.append(sb.isEmpty() ? "" : " ").append(words[w++ % words.length]);
                }
                while (tok.encode(sb.toString()).length() > 128) {
                    sb.setLength(sb.lastIndexOf(" "));
                }
                while (tok.encode(sb.toString()).length() < 128) {
                    sb.append(" a");
                }
                out.add(sb.toString());
            }
        }
        return out;
    }

    private Sentences() {
    }
}
