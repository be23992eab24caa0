package org.transformers4j.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.PrintStream;
import java.util.Locale;

/** Output helpers: JSON lines (one object per line) and plain numbers. */
final class Format {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues()
            .create();

    private Format() {
    }

    /** Writes the object (a map, record or JsonElement) as one line of JSON. */
    static void jsonLine(PrintStream out, Object value) {
        out.println(GSON.toJson(value));
    }

    /** A string as a JSON string literal. */
    static String jsonString(String s) {
        return GSON.toJson(s);
    }

    /** A number as short as it reads: 3600 rather than 3600.0, 1e-4 as 1.0E-4. */
    static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
