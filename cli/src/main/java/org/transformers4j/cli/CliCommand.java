package org.transformers4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A t4j command: its streams come from {@link Main}, its result is the exit code. */
abstract class CliCommand implements Callable<Integer> {
    /** Set by Main's factory when the command object is made. */
    Io io;

    @Spec
    CommandSpec spec;

    /** A usage error naming what was wrong: reported as "t4j: message", exit code 2. */
    final ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** A usage error with the message unless ok. */
    final void check(boolean ok, String message) {
        if (!ok) {
            throw usage(message);
        }
    }

    /** Refuses a value outside [min, max] (NaN included), naming the option. */
    final double inRange(String option, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw usage(option + " must be between " + Format.number(min) + " and " + Format.number(max)
                    + ", got " + value);
        }
        return value;
    }

    /** Refuses a value outside [min, max], naming the option. */
    final int inRange(String option, int value, int min, int max) {
        if (value < min || value > max) {
            throw usage(option + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }
}
