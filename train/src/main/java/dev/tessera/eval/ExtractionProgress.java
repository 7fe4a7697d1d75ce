package dev.tessera.eval;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * Progress of a long encoder pass (20k images through a 12-block encoder take minutes on two cores): a line
 * at most every 10 seconds and one at the end, with images done, rate and time left. Plain lines, so logs and
 * terminals read the same.
 */
public final class ExtractionProgress implements IntConsumer {
    private static final long INTERVAL_NANOS = 10_000_000_000L;

    private final PrintWriter out;
    private final String what;
    private final int total;
    private final long start = System.nanoTime();
    private long last = start;

    public ExtractionProgress(PrintWriter out, String what, int total) {
        this.out = out;
        this.what = what;
        this.total = total;
    }

    @Override
    public void accept(int done) {
        long now = System.nanoTime();
        if (done < total && now - last < INTERVAL_NANOS) return;
        last = now;
        double sec = (now - start) / 1e9, rate = done / Math.max(sec, 1e-9);
        out.println(String.format(Locale.ROOT, "  %s: %d/%d images, %.0f img/s%s", what, done, total, rate,
                done < total ? String.format(Locale.ROOT, ", %.0f s left", (total - done) / rate) : String.format(Locale.ROOT, " (%.1f s)", sec)));
        out.flush();
    }
}
