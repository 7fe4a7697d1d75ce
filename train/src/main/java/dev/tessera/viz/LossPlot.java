package dev.tessera.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A line chart of loss against step, drawn with Java2D: axes, ticks at "nice" values (1, 2, 5 × 10ᵏ), axis
 * labels, an optional log-scale y axis, and a legend when there is more than one series (e.g. train and eval).
 * Non-finite values (and, on a log axis, values ≤ 0) are left out and break the line rather than distorting the
 * axis. The trainer rewrites the picture every few steps; {@link #write} replaces it atomically.
 *
 * <pre>{@code
 * new LossPlot(800, 500).title("MAE pre-training").yLabel("loss").logScale(true)
 *         .series("train", steps, losses).write(Path.of("runs/x/loss.png"));
 * }</pre>
 */
public final class LossPlot {
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd)
    };
    private static final int LEFT = 70, RIGHT = 20, TOP = 30, BOTTOM = 48;

    private record Series(String name, double[] x, double[] y) {}

    private final int width, height;
    private String title = "", xLabel = "step", yLabel = "loss";
    private boolean log;
    private final List<Series> series = new ArrayList<>();

    public LossPlot(int width, int height) {
        if (width < LEFT + RIGHT + 50 || height < TOP + BOTTOM + 50) {
            throw new IllegalArgumentException("LossPlot needs at least " + (LEFT + RIGHT + 50) + "x" + (TOP + BOTTOM + 50)
                    + " pixels, got " + width + "x" + height);
        }
        this.width = width;
        this.height = height;
    }

    public LossPlot title(String t) {
        title = t;
        return this;
    }

    public LossPlot xLabel(String t) {
        xLabel = t;
        return this;
    }

    public LossPlot yLabel(String t) {
        yLabel = t;
        return this;
    }

    public LossPlot logScale(boolean on) {
        log = on;
        return this;
    }

    /** Adds a series of (x[i], y[i]) points; the arrays are copied. */
    public LossPlot series(String name, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x values and " + y.length + " y values");
        }
        if (series.size() == PALETTE.length) throw new IllegalArgumentException("LossPlot draws at most " + PALETTE.length + " series");
        series.add(new Series(name, x.clone(), y.clone()));
        return this;
    }

    /** The colour series {@code i} is drawn in. */
    public static Color color(int i) {
        return PALETTE[i];
    }

    private boolean usable(double x, double y) {
        return Double.isFinite(x) && Double.isFinite(y) && (!log || y > 0);
    }

    public BufferedImage render() {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            int pw = width - LEFT - RIGHT, ph = height - TOP - BOTTOM;

            double xmin = Double.POSITIVE_INFINITY, xmax = Double.NEGATIVE_INFINITY;
            double ymin = Double.POSITIVE_INFINITY, ymax = Double.NEGATIVE_INFINITY;
            for (Series s : series) {
                for (int i = 0; i < s.x.length; i++) {
                    if (!usable(s.x[i], s.y[i])) continue;
                    xmin = Math.min(xmin, s.x[i]);
                    xmax = Math.max(xmax, s.x[i]);
                    ymin = Math.min(ymin, s.y[i]);
                    ymax = Math.max(ymax, s.y[i]);
                }
            }
            g.setColor(Color.BLACK);
            centered(out, title, LEFT + pw / 2, TOP / 2 + BitmapFont.ASCENT / 2);
            centered(out, xLabel, LEFT + pw / 2, height - 8);
            String yText = yLabel + (log ? " (log scale)" : "");
            BitmapFont.drawUpwards(out, yText, 14 - BitmapFont.ASCENT, TOP + ph / 2 + BitmapFont.width(yText, 1) / 2, 0x000000, 1);
            g.drawRect(LEFT, TOP, pw, ph);
            if (xmin > xmax) {
                centered(out, "no data yet", LEFT + pw / 2, TOP + ph / 2);
                return out;
            }

            Axis ax = Axis.linear(xmin, xmax);
            Axis ay = log ? Axis.log(ymin, ymax) : Axis.linear(ymin, ymax);
            for (int i = 0; i < ax.ticks.length; i++) {
                int px = LEFT + (int) Math.round(ax.fraction(ax.ticks[i]) * pw);
                g.setColor(new Color(0xe6e6e6));
                g.drawLine(px, TOP + 1, px, TOP + ph - 1);
                g.setColor(Color.BLACK);
                g.drawLine(px, TOP + ph, px, TOP + ph + 4);
                centered(out, ax.labels[i], px, TOP + ph + 6 + BitmapFont.ASCENT);
            }
            for (int i = 0; i < ay.ticks.length; i++) {
                int py = TOP + ph - (int) Math.round(ay.fraction(ay.ticks[i]) * ph);
                g.setColor(new Color(0xe6e6e6));
                g.drawLine(LEFT + 1, py, LEFT + pw - 1, py);
                g.setColor(Color.BLACK);
                g.drawLine(LEFT - 4, py, LEFT, py);
                text(out, ay.labels[i], LEFT - 6 - BitmapFont.width(ay.labels[i], 1), py + BitmapFont.ASCENT / 2);
            }

            g.setClip(LEFT, TOP, pw + 1, ph + 1);
            g.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            for (int si = 0; si < series.size(); si++) {
                Series s = series.get(si);
                Path2D.Double path = new Path2D.Double();
                boolean pen = false;
                int drawn = 0;
                double lastX = 0, lastY = 0;
                for (int i = 0; i < s.x.length; i++) {
                    if (!usable(s.x[i], s.y[i])) {
                        pen = false;
                        continue;
                    }
                    double px = LEFT + ax.fraction(s.x[i]) * pw, py = TOP + ph - ay.fraction(s.y[i]) * ph;
                    if (pen) path.lineTo(px, py);
                    else path.moveTo(px, py);
                    pen = true;
                    drawn++;
                    lastX = px;
                    lastY = py;
                }
                g.setColor(PALETTE[si]);
                g.draw(path);
                if (drawn == 1) g.fillOval((int) lastX - 3, (int) lastY - 3, 6, 6); // a lone point is invisible as a path
            }
            g.setClip(null);
            if (series.size() > 1) drawLegend(g, out, LEFT + pw, TOP);
        } finally {
            g.dispose();
        }
        return out;
    }

    private void drawLegend(Graphics2D g, BufferedImage out, int right, int top) {
        int textW = 0;
        for (Series s : series) textW = Math.max(textW, BitmapFont.width(s.name, 1));
        int lineH = BitmapFont.height(1) + 2, boxW = textW + 36, boxH = series.size() * lineH + 8;
        int x = right - boxW - 8, y = top + 8;
        g.setStroke(new BasicStroke(1f));
        g.setColor(Color.WHITE);
        g.fillRect(x, y, boxW, boxH);
        g.setColor(Color.GRAY);
        g.drawRect(x, y, boxW, boxH);
        g.setStroke(new BasicStroke(2f));
        for (int i = 0; i < series.size(); i++) {
            int cy = y + 4 + i * lineH + lineH / 2;
            g.setColor(PALETTE[i]);
            g.drawLine(x + 6, cy, x + 26, cy);
            g.setColor(Color.BLACK);
            text(out, series.get(i).name, x + 30, cy + BitmapFont.ASCENT / 2);
        }
    }

    /** Text (the figures' {@link BitmapFont}) whose baseline is at y. */
    private static void text(BufferedImage out, String s, int x, int baseline) {
        BitmapFont.draw(out, s, x, baseline - BitmapFont.ASCENT, 0x000000, 1);
    }

    private static void centered(BufferedImage out, String s, int cx, int baseline) {
        if (!s.isEmpty()) text(out, s, cx - BitmapFont.width(s, 1) / 2, baseline);
    }

    /** Renders and writes the chart as a PNG (atomically: temporary file, then rename). */
    public void write(Path png) {
        Png.write(render(), png);
    }

    /** An axis range with its tick values and labels; {@code fraction} maps a value to [0, 1] along the axis. */
    record Axis(double lo, double hi, boolean log, double[] ticks, String[] labels) {

        double fraction(double v) {
            return log ? (Math.log10(v) - lo) / (hi - lo) : (v - lo) / (hi - lo);
        }

        /** Heckbert's "nice numbers": about 6 ticks at multiples of 1, 2 or 5 × 10ᵏ, the range widened to them. */
        static Axis linear(double min, double max) {
            if (max == min) {
                double d = min == 0 ? 1 : Math.abs(min) * 0.1;
                min -= d;
                max += d;
            }
            double step = nice((max - min) / 5, true);
            double start = Math.floor(min / step) * step, end = Math.ceil(max / step) * step;
            int n = (int) Math.round((end - start) / step) + 1;
            int decimals = Math.max(0, -(int) Math.floor(Math.log10(step)));
            double[] ticks = new double[n];
            String[] labels = new String[n];
            for (int i = 0; i < n; i++) {
                ticks[i] = start + i * step;
                labels[i] = String.format(Locale.ROOT, "%." + decimals + "f", ticks[i] + 0.0); // + 0.0 turns −0 into 0
            }
            return new Axis(start, end, false, ticks, labels);
        }

        private static double nice(double x, boolean round) {
            double exp = Math.floor(Math.log10(x)), f = x / Math.pow(10, exp), nf;
            if (round) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
            else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
            return nf * Math.pow(10, exp);
        }

        /**
         * Log axis over [min, max] (both > 0) padded by 3% of its span; ticks at 1, 2, 5 × 10ᵏ (only powers of ten
         * beyond four decades; every integer mantissa when the range is too short for two ticks).
         */
        static Axis log(double min, double max) {
            double lo = Math.log10(min), hi = Math.log10(max);
            if (hi - lo < 0.1) {
                double mid = (lo + hi) / 2;
                lo = mid - 0.05;
                hi = mid + 0.05;
            }
            double pad = 0.03 * (hi - lo);
            lo -= pad;
            hi += pad;
            int[] mantissas = hi - lo > 4 ? new int[] {1} : new int[] {1, 2, 5};
            List<Double> ticks = logTicks(lo, hi, mantissas);
            if (ticks.size() < 2) ticks = logTicks(lo, hi, new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
            double[] t = ticks.stream().mapToDouble(Double::doubleValue).toArray();
            String[] labels = new String[t.length];
            for (int i = 0; i < t.length; i++) labels[i] = logLabel(t[i]);
            return new Axis(lo, hi, true, t, labels);
        }

        private static List<Double> logTicks(double lo, double hi, int[] mantissas) {
            List<Double> out = new ArrayList<>();
            for (int e = (int) Math.floor(lo); e <= (int) Math.ceil(hi); e++) {
                for (int m : mantissas) {
                    double v = m * Math.pow(10, e), lv = Math.log10(v);
                    if (lv >= lo - 1e-9 && lv <= hi + 1e-9) out.add(v);
                }
            }
            return out;
        }

        private static String logLabel(double v) {
            if (v >= 1e-3 && v < 1e5) {
                return new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros().toPlainString();
            }
            return String.format(Locale.ROOT, "%.0e", v);
        }
    }
}
