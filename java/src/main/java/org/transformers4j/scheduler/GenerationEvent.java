package org.transformers4j.scheduler;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A generation request a scheduler served, for JDK Flight Recorder: its duration is the request's life. */
@Name("org.transformers4j.Generation")
@Label("Generation request")
@Category("Transformers4J")
@Description("One generation request from submission to its last token")
@StackTrace(false)
final class GenerationEvent extends jdk.jfr.Event {
    @Label("Model")
    String model;

    @Label("Sequences")
    int sequences;

    @Label("Prompt tokens")
    int promptTokens;

    @Label("Generated tokens")
    long generatedTokens;

    @Label("Queue wait")
    @Timespan(Timespan.NANOSECONDS)
    long queueWait;

    @Label("Time to first token")
    @Timespan(Timespan.NANOSECONDS)
    long firstToken;

    @Label("Outcome")
    @Description("completed, cancelled, deadline or failed")
    String outcome;
}
