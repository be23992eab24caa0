package org.transformers4j.serve;

import java.util.List;

/**
 * OpenAI's stop sequences end a completion without appearing in it (the library, as transformers,
 * keeps them in the text). Streamed, text is held back while it could be the start of one.
 */
final class StopTrimmer {
    private final List<String> stops;
    private final int longest;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopTrimmer(List<String> stops) {
        this.stops = stops;
        this.longest = stops.stream().mapToInt(String::length).max().orElse(0);
    }

    /** The text before the first stop sequence (all of it when there is none). */
    static String trim(String text, List<String> stops) {
        int cut = text.length();
        for (String s : stops) {
            int at = text.indexOf(s);
            if (at >= 0) {
                cut = Math.min(cut, at);
            }
        }
        return text.substring(0, cut);
    }

    /** Takes a piece; returns what can be sent now. */
    String add(String piece) {
        if (stopped) {
            return "";
        }
        pending.append(piece);
        String text = pending.toString(), trimmed = trim(text, stops);
        if (trimmed.length() < text.length()) {
            stopped = true;
            pending.setLength(0);
            return trimmed;
        }
        int safe = Math.max(0, text.length() - Math.max(0, longest - 1));
        String out = text.substring(0, safe);
        pending.delete(0, safe);
        return out;
    }

    /** At the end: what is still held back. */
    String finish() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }
}
