package org.transformers4j.scheduler;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A forward pass a scheduler ran, for JDK Flight Recorder: its duration is the compute time. */
@Name("org.transformers4j.Batch")
@Label("Batch")
@Category("Transformers4J")
@Description("One forward pass of a scheduler: an encoder batch, a prefill or a decoding step")
@StackTrace(false)
final class BatchEvent extends jdk.jfr.Event {
    @Label("Model")
    String model;

    @Label("Kind")
    @Description("embed, classify, token-classify, fill-mask, prefill or decode")
    String kind;

    @Label("Rows")
    int rows;

    @Label("Tokens")
    @Description("Real tokens of the pass")
    long tokens;

    @Label("Padded tokens")
    @Description("Rows times the longest row")
    long paddedTokens;

    @Label("Queue wait")
    @Description("Longest wait of a request of the batch before the pass began")
    @Timespan(Timespan.NANOSECONDS)
    long queueWait;

    @Label("Scratch memory")
    @Description("Native memory held by the scratch pool after the pass")
    @DataAmount(DataAmount.BYTES)
    long poolBytes;
}
