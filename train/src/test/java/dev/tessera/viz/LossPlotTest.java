package dev.tessera.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossPlotTest {
    @TempDir
    Path dir;

    /** For each column, the mean row of pixels close to the colour, or NaN where there are none. */
    private static double[] lineRows(BufferedImage img, Color c) {
        double[] rows = new double[img.getWidth()];
        for (int x = 0; x < img.getWidth(); x++) {
            double sum = 0;
            int n = 0;
            for (int y = 0; y < img.getHeight(); y++) {
                int p = img.getRGB(x, y);
                int dr = ((p >> 16) & 0xff) - c.getRed(), dg = ((p >> 8) & 0xff) - c.getGreen(), db = (p & 0xff) - c.getBlue();
                if (dr * dr + dg * dg + db * db < 30 * 30) {
                    sum += y;
                    n++;
                }
            }
            rows[x] = n == 0 ? Double.NaN : sum / n;
        }
        return rows;
    }

    private static int first(double[] rows) {
        for (int i = 0; i < rows.length; i++) if (!Double.isNaN(rows[i])) return i;
        return -1;
    }

    private static int last(double[] rows) {
        for (int i = rows.length - 1; i >= 0; i--) if (!Double.isNaN(rows[i])) return i;
        return -1;
    }

    @Test
    void writesAPngOfTheRequestedSizeWithADescendingLine() throws IOException {
        double[] steps = new double[100], loss = new double[100];
        for (int i = 0; i < 100; i++) {
            steps[i] = i;
            loss[i] = 2.0 / (1 + i);
        }
        Path png = dir.resolve("loss.png");
        new LossPlot(640, 400).title("MAE").series("train", steps, loss).write(png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
        assertEquals(0xffffff, img.getRGB(2, 2) & 0xffffff, "white background");
        double[] rows = lineRows(img, LossPlot.color(0));
        int a = first(rows), b = last(rows);
        assertTrue(a >= 0 && b - a > 400, "line spans most of the width: " + a + ".." + b);
        assertTrue(rows[a] < rows[b] - 200, "loss falls, so the line ends lower on screen (larger y)");
    }

    @Test
    void logScaleTurnsAGeometricSeriesIntoAStraightLine() {
        // y = 10^-x for x = 0..3: on a log axis the point at x = 1.5 sits exactly halfway (in pixels) between the
        // ends; on a linear axis it would hug the bottom.
        double[] x = new double[31], y = new double[31];
        for (int i = 0; i <= 30; i++) {
            x[i] = i / 10.0;
            y[i] = Math.pow(10, -x[i]);
        }
        BufferedImage img = new LossPlot(600, 400).logScale(true).series("train", x, y).render();
        double[] rows = lineRows(img, LossPlot.color(0));
        int a = first(rows), b = last(rows), mid = (a + b) / 2;
        assertEquals((rows[a] + rows[b]) / 2, rows[mid], 3.0);

        BufferedImage lin = new LossPlot(600, 400).series("train", x, y).render();
        double[] lr = lineRows(lin, LossPlot.color(0));
        int la = first(lr), lb = last(lr);
        assertTrue(lr[(la + lb) / 2] > (lr[la] + lr[lb]) / 2 + 50, "linear axis: the middle is far below the chord");
    }

    @Test
    void twoSeriesGetTheirOwnColoursAndBadValuesAreSkipped() {
        double[] x = {0, 1, 2, 3, 4}, train = {1.0, 0.8, Double.NaN, 0.5, 0.4}, eval = {1.1, 0.9, 0.7, 0.6, 0.55};
        BufferedImage img = new LossPlot(500, 300).series("train", x, train).series("eval", x, eval).render();
        assertTrue(first(lineRows(img, LossPlot.color(0))) >= 0);
        assertTrue(first(lineRows(img, LossPlot.color(1))) >= 0);
    }

    @Test
    void niceTicks() {
        LossPlot.Axis a = LossPlot.Axis.linear(0.13, 0.97);
        assertEquals(0.0, a.lo(), 1e-12);
        assertEquals(1.0, a.hi(), 1e-12);
        assertEquals("0.2", a.labels()[1]);
        LossPlot.Axis l = LossPlot.Axis.log(0.003, 2.0);
        assertTrue(java.util.Arrays.asList(l.labels()).containsAll(java.util.List.of("0.01", "0.1", "1", "0.005", "0.02")),
                java.util.Arrays.toString(l.labels()));
    }

    @Test
    void emptyPlotStillRenders() {
        BufferedImage img = new LossPlot(300, 200).series("train", new double[0], new double[0]).render();
        assertEquals(300, img.getWidth());
    }
}
