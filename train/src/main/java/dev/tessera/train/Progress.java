package dev.tessera.train;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * What a run prints while it trains. On a terminal, one status line redrawn in place with {@code \r}:
 * <pre>  step 120/234 [##########----------]  loss 0.4312  lr 1.50e-04  131.2 img/s  ETA 4m05s</pre>
 * Elsewhere (a log file, CI, a test) the same fields as plain lines, every {@code logEvery} steps or at least
 * every 10 seconds, so a log neither floods nor goes silent. Messages ({@link #message}) first clear the bar.
 */
final class Progress {
    private static final long PLAIN_INTERVAL_NANOS = 10_000_000_000L;
    private static final int BAR = 20;

    private final PrintWriter out;
    private final boolean terminal;
    private final int totalSteps, logEvery;
    private final long startNanos = System.nanoTime();
    private final int startStep;
    private long lastPlainNanos = startNanos;
    private boolean barShown;

    Progress(PrintWriter out, boolean terminal, int startStep, int totalSteps, int logEvery) {
        this.out = out;
        this.terminal = terminal;
        this.startStep = startStep;
        this.totalSteps = totalSteps;
        this.logEvery = logEvery;
    }

    /** After step {@code step} (1-based). */
    void update(int step, double loss, double lr, double imgPerSec) {
        long now = System.nanoTime();
        String fields = String.format(Locale.ROOT, "loss %.4f  lr %.2e  %.1f img/s  ETA %s", loss, lr, imgPerSec, eta(step, now));
        if (terminal) {
            int filled = (int) ((long) BAR * step / totalSteps);
            out.print(String.format(Locale.ROOT, "\r  step %d/%d [%s%s]  %s   ", step, totalSteps, "#".repeat(filled),
                    "-".repeat(BAR - filled), fields));
            out.flush();
            barShown = true;
        } else if (step % logEvery == 0 || step == totalSteps || now - lastPlainNanos >= PLAIN_INTERVAL_NANOS) {
            out.println(String.format(Locale.ROOT, "step %d/%d  %s", step, totalSteps, fields));
            out.flush();
            lastPlainNanos = now;
        }
    }

    /** A line of its own (checkpoint written, run stopped …). */
    void message(String line) {
        if (barShown) {
            out.println();
            barShown = false;
        }
        out.println(line);
        out.flush();
    }

    /** Ends the bar's line. */
    void finish() {
        if (barShown) {
            out.println();
            out.flush();
            barShown = false;
        }
    }

    private String eta(int step, long now) {
        int done = step - startStep;
        if (done <= 0) return "?";
        double perStep = (now - startNanos) / 1e9 / done;
        return duration(perStep * (totalSteps - step));
    }

    /** 3725 s → "1h02m05s"; 65 s → "1m05s"; 9.2 s → "9s". */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) return String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, s % 3600 / 60, s % 60);
        if (s >= 60) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return s + "s";
    }
}
