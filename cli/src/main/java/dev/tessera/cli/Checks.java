package dev.tessera.cli;

import dev.tessera.train.TrainSettings;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The checks of options that several commands share, each in one place, so that every command taking an option
 * accepts the same values and rejects the others with the same message (a usage error, exit 2).
 */
final class Checks {
    private Checks() {}

    /** More threads than this many per processor only add switching (a run at --threads 10000 crawled at 0.5 img/s). */
    static final int THREADS_PER_PROCESSOR = 4;

    /**
     * --mask-ratio lies in (0, 1): 0 hides no patch, and MAE's loss (a mean over the masked patches) is then 0/0;
     * 1 leaves the encoder nothing to see.
     */
    static double maskRatio(CommandLine cmd, double ratio) {
        if (!(ratio > 0 && ratio < 1)) throw new ParameterException(cmd, "--mask-ratio must lie in (0, 1), got " + ratio);
        return ratio;
    }

    /** --threads: 1 … {@value #THREADS_PER_PROCESSOR} × the processors; absent, all of them. */
    static int threads(CommandLine cmd, Integer threads) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (threads == null) return cores;
        if (threads < 1) throw new ParameterException(cmd, "--threads must be a positive integer, got " + threads);
        if (threads > THREADS_PER_PROCESSOR * cores) {
            throw new ParameterException(cmd, "--threads " + threads + " is more than " + THREADS_PER_PROCESSOR + " × the " + cores
                    + " processors here (" + THREADS_PER_PROCESSOR * cores + "); more threads only add switching");
        }
        return threads;
    }

    /** --min-lr, the floor of the cosine, may not exceed the peak it decays from. */
    static void minLrBelowPeak(CommandLine cmd, TrainSettings s) {
        double peak = s.lr() != null ? s.lr() : s.blr() * s.effectiveBatch() / 256.0;
        if (s.minLr() > peak) {
            throw new ParameterException(cmd, String.format(Locale.ROOT, "--min-lr %s exceeds the peak lr %.4g (%s); the cosine decays "
                    + "from the peak to the floor", s.minLr(), peak, s.lr() != null ? "--lr"
                    : "--blr " + s.blr() + " × " + s.effectiveBatch() + " images / 256"));
        }
    }
}
