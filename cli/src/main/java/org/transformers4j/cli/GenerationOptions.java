package org.transformers4j.cli;

import java.util.List;
import org.transformers4j.generation.GenerationConfig;
import picocli.CommandLine.Option;

/** The generation settings of generate and translate, over the model's generation_config.json. */
final class GenerationOptions {
    @Option(names = "--max-new-tokens", paramLabel = "N",
            description = "at most N new tokens (default: the model's generation_config.json)")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "sampling temperature, >= 0")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "sample among the K most likely tokens (0: all)")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "sample among the most likely tokens holding P of the"
            + " probability, in (0, 1]")
    Double topP;

    @Option(names = "--seed", paramLabel = "S", description = "seed of the sampler: the same seed gives the same text")
    Long seed;

    @Option(names = "--beams", paramLabel = "N", description = "beam search with N beams (no sampling)")
    Integer beams;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "divides the scores of tokens already"
            + " present, > 0 (1: none)")
    Double repetitionPenalty;

    @Option(names = "--stop", paramLabel = "STRING", description = "stop when the text ends with STRING (repeatable)")
    List<String> stop;

    /** Refuses bad values, naming the option; before the model loads, so that a typo costs nothing. */
    void check(CliCommand command) {
        if (maxNewTokens != null) {
            command.inRange("--max-new-tokens", maxNewTokens, 1, Integer.MAX_VALUE);
        }
        command.check(temperature == null || Double.isFinite(temperature) && temperature >= 0,
                "--temperature must be a finite number >= 0, got " + temperature);
        command.check(topP == null || topP > 0 && topP <= 1, "--top-p must be in (0, 1], got " + topP);
        if (topK != null) {
            command.inRange("--top-k", topK, 0, Integer.MAX_VALUE);
        }
        if (beams != null) {
            command.inRange("--beams", beams, 1, Integer.MAX_VALUE);
        }
        command.check(repetitionPenalty == null || Double.isFinite(repetitionPenalty) && repetitionPenalty > 0,
                "--repetition-penalty must be a finite number > 0, got " + repetitionPenalty);
    }

    /**
     * These options (checked) over the model's defaults; sampling when any of temperature, top-k,
     * top-p or seed is given.
     */
    GenerationConfig apply(CliCommand command, GenerationConfig defaults) {
        check(command);
        GenerationConfig cfg = defaults;
        if (maxNewTokens != null) {
            cfg = cfg.withMaxNewTokens(maxNewTokens);
        }
        if (temperature != null || topK != null || topP != null || seed != null) {
            cfg = cfg.withSampling(temperature == null ? cfg.temperature() : temperature,
                    topK == null ? cfg.topK() : topK, topP == null ? cfg.topP() : topP)
                    .withSeed(seed == null ? 0 : seed);
        }
        if (beams != null) {
            cfg = cfg.withoutSampling().withBeams(beams, 1, cfg.lengthPenalty(), cfg.earlyStopping());
        }
        if (repetitionPenalty != null) {
            cfg = cfg.withRepetitionPenalty(repetitionPenalty);
        }
        if (stop != null) {
            cfg = cfg.withStopStrings(List.copyOf(stop));
        }
        return cfg.validate();
    }
}
