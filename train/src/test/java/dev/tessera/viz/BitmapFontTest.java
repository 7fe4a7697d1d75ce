package dev.tessera.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class BitmapFontTest {

    private static int inked(BufferedImage img, int x0, int y0, int x1, int y1) {
        int n = 0;
        for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) if ((img.getRGB(x, y) & 0xffffff) == 0) n++;
        return n;
    }

    private static BufferedImage white(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, 0xffffff);
        return img;
    }

    @Test
    void everyPrintableCharacterButSpaceHasInkInsideItsCell() {
        for (char c = 33; c < 127; c++) {
            BufferedImage img = white(3 * BitmapFont.WIDTH, BitmapFont.HEIGHT + 2);
            BitmapFont.draw(img, String.valueOf(c), BitmapFont.WIDTH, 1, 0x000000, 1);
            int inside = inked(img, BitmapFont.WIDTH, 1, 2 * BitmapFont.WIDTH, 1 + BitmapFont.HEIGHT);
            assertTrue(inside > 0, "'" + c + "' draws nothing");
            assertEquals(inside, inked(img, 0, 0, img.getWidth(), img.getHeight()), "'" + c + "' draws outside its cell");
        }
        BufferedImage img = white(BitmapFont.WIDTH, BitmapFont.HEIGHT);
        BitmapFont.draw(img, " ", 0, 0, 0x000000, 1);
        assertEquals(0, inked(img, 0, 0, img.getWidth(), img.getHeight()));
    }

    @Test
    void glyphsDifferAndScaleBySquares() {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (char c = 33; c < 127; c++) {
            BufferedImage img = white(BitmapFont.WIDTH, BitmapFont.HEIGHT);
            BitmapFont.draw(img, String.valueOf(c), 0, 0, 0x000000, 1);
            StringBuilder key = new StringBuilder();
            for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) key.append((img.getRGB(x, y) & 1) == 0 ? '#' : '.');
            assertTrue(seen.add(key.toString()), "'" + c + "' looks like another glyph");
        }
        BufferedImage one = white(BitmapFont.width("Tx", 1), BitmapFont.height(1)), two = white(BitmapFont.width("Tx", 2), BitmapFont.height(2));
        BitmapFont.draw(one, "Tx", 0, 0, 0x000000, 1);
        BitmapFont.draw(two, "Tx", 0, 0, 0x000000, 2);
        assertEquals(4 * inked(one, 0, 0, one.getWidth(), one.getHeight()), inked(two, 0, 0, two.getWidth(), two.getHeight()));
        assertEquals(2 * BitmapFont.WIDTH * 2, BitmapFont.width("Tx", 2));
    }

    @Test
    void upwardsTextIsTheFlatTextTurnedAQuarterLeft() {
        String s = "loss";
        BufferedImage flat = white(BitmapFont.width(s, 1), BitmapFont.HEIGHT), up = white(BitmapFont.HEIGHT, BitmapFont.width(s, 1));
        BitmapFont.draw(flat, s, 0, 0, 0x000000, 1);
        BitmapFont.drawUpwards(up, s, 0, up.getHeight() - 1, 0x000000, 1);
        for (int ty = 0; ty < flat.getHeight(); ty++) {
            for (int tx = 0; tx < flat.getWidth(); tx++) {
                assertEquals(flat.getRGB(tx, ty), up.getRGB(ty, up.getHeight() - 1 - tx), "pixel " + tx + "," + ty);
            }
        }
    }

    @Test
    void charactersOutsideAsciiAreQuestionMarks() {
        BufferedImage a = white(BitmapFont.WIDTH, BitmapFont.HEIGHT), b = white(BitmapFont.WIDTH, BitmapFont.HEIGHT);
        BitmapFont.draw(a, "λ", 0, 0, 0x000000, 1);
        BitmapFont.draw(b, "?", 0, 0, 0x000000, 1);
        for (int y = 0; y < a.getHeight(); y++) for (int x = 0; x < a.getWidth(); x++) assertEquals(b.getRGB(x, y), a.getRGB(x, y));
    }
}
