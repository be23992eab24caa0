package org.transformers4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Options by name and value: every key round-trips, bad names and values are refused with both named. */
class T4jOptionsTest {

    @Test
    void everyOptionRoundTripsByName() {
        T4jOptions o = T4jOptions.defaults().withModel("/m").withBatchSize(7).withMaxBatchTokens(100).withMaxTokens(50)
                .withNormalize(false).withAllScores(true).withCandidates(2).withMaskToken("<mask>")
                .withOnError(T4jOptions.OnError.FAIL).withErrorCol("err").withMaxNewTokens(9).withDoSample(true)
                .withTemperature(0.5).withTopK(3).withTopP(0.9).withSeed(-4).withNumBeams(1).withRepetitionPenalty(1.2)
                .withMaxRows(2).withThreads(1).withCheckOnDriver(false);
        Map<String, String> m = o.toMap();
        assertEquals(T4jOptions.KEYS.size(), m.size(), "every option differs from its default here: " + m);
        assertEquals(o, T4jOptions.fromMap(m));
        assertEquals(Map.of(), T4jOptions.defaults().toMap());
        assertEquals("err", o.errorCol("out"));
        assertEquals("out_error", T4jOptions.defaults().errorCol("out"));
        assertTrue(T4jOptions.defaults().withModel(" DEFAULT ").defaultModel());
    }

    @Test
    void badNamesAndValuesAreNamed() {
        var unknown = assertThrows(IllegalArgumentException.class, () -> T4jOptions.fromMap(Map.of("batch", "3")));
        assertTrue(unknown.getMessage().startsWith("unknown option batch; options: [model, batchSize"), unknown.getMessage());
        assertEquals("option topP = 1.5: topP must be in (0, 1], got 1.5",
                assertThrows(IllegalArgumentException.class, () -> T4jOptions.fromMap(Map.of("topP", "1.5"))).getMessage());
        assertEquals("option normalize = yes: not true or false: yes",
                assertThrows(IllegalArgumentException.class, () -> T4jOptions.fromMap(Map.of("normalize", "yes"))).getMessage());
        assertEquals("temperature must be finite and >= 0, got NaN",
                assertThrows(IllegalArgumentException.class, () -> T4jOptions.defaults().withTemperature(Double.NaN)).getMessage());
        assertEquals(Task.FILL_MASK, Task.parse("fill-mask"));
        assertEquals(Task.TEXT2TEXT, Task.parse("translate"));
        assertEquals(Task.ENTITIES, Task.parse("t4j_entities"));
    }
}
