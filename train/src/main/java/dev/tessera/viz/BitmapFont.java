package dev.tessera.viz;

import java.awt.image.BufferedImage;

/**
 * Text for the figures without AWT's font machinery: a fixed 7×12-pixel bitmap of printable ASCII, drawn by
 * setting pixels. Drawing strings through {@code Graphics2D} needs fontconfig and installed fonts (a minimal
 * server or container often has neither, and the JDK then fails with "no fonts found" in the middle of a
 * training run) and costs the bundled runtime its font libraries; these labels need neither.
 *
 * <p>The glyphs were rasterised once, without anti-aliasing, from DejaVu Sans Mono at 11 px (a cell 7 wide, 14
 * high, of which the 12 rows some glyph uses are kept). Each glyph is {@value #HEIGHT} bytes, one per row, the
 * leftmost pixel in bit 6. Characters outside ASCII 32–126 are drawn as '?'.
 */
final class BitmapFont {
    static final int WIDTH = 7, HEIGHT = 12;
    /** Rows above the baseline in the cell (the baseline sits under row ASCENT − 1). */
    static final int ASCENT = 9;

    private static final String GLYPHS =
            "000000000000000000000000000808080808080008000000001414140000000000000000000a123f14147e242800000000081e28281c0a0a3c080800007050720c106e0a0e000000001c1010182d25221f000000000808080000000000000000" + //  !"#$%&'
            "08101010101010101008000010100808080808081010000000082a1c1c2a08000000000000000008083e08080000000000000000000000080810000000000000001c000000000000000000000000000808000000000204040808081010200000" + // ()*+,-./
            "001e3321252121331e00000000380808080808083e000000001e210103060c103f000000001e21011e0301211e0000000006060a12323f0202000000003e20203e0301013e000000000f10202e3121211e000000003f02020404080810000000" + // 01234567
            "001e21211e2121211e000000001e2121211f01023c000000000000080800000808000000000000080800000808100000000000010e301c0300000000000000007e007e0000000000000000201c030e3000000000001c02060c08080008000000" + // 89:;<=>?
            "000e13212729292730100e00000c0c0c12121e2121000000003e21213e2121213e000000000e1120202020110e000000003c2221212121223c000000003f20203f2020203f000000003f20203f20202020000000000e1120202321110e000000" + // @ABCDEFG
            "002121213f21212121000000003e0808080808083e000000000e0202020202221c00000000222428302824222100000000202020202020203f000000002133332d2d212121000000002131292925252321000000001e3321212121331e000000" + // HIJKLMNO
            "003e2121213e202020000000001e3321212121331e030000003e2121213e222120000000001e21203c0301211e000000007f0808080808080800000000212121212121211e0000000021211212120c0c0c000000004149495536362222000000" + // PQRSTUVW
            "002112120c0c121221000000006322141c08080808000000003f0202040818103f00000018101010101010101018000000201010080808040402000018080808080808080818000000182442000000000000000000000000000000000000007f" + // XYZ[\]^_
            "0804000000000000000000000000003c021e22221e0000002020203c222222223c0000000000001e302020301e0000000202021e222222221e0000000000001c223e20201e0000000608083e08080808080000000000001e222222221e021c00" + // `abcdefg
            "2020202c322222222200000008000038080808083e00000008000038080808080808300020202024283028242200000070101010101010100c0000000000003e2a2a2a2a2a0000000000002c32222222220000000000001c222222221c000000" + // hijklmno
            "0000003c222222223c2020000000001e222222221e0202000000001e12101010100000000000001e203806023c0000000010107c101010101c00000000000022222222221e00000000000022221414140800000000000041412a2a1414000000" + // pqrstuvw
            "0000003614080814360000000000002224141418081030000000003e040c18103e0000000e08080830080808080e0000080808080808080808080800380808080608080808380000000000000038070000000000"; // xyz{|}~
    private static final byte[] BITS = decode(GLYPHS);

    private BitmapFont() {}

    /** Width in pixels of {@code text} at {@code scale}. */
    static int width(String text, int scale) {
        return text.length() * WIDTH * scale;
    }

    /** Height in pixels of a line at {@code scale}. */
    static int height(int scale) {
        return HEIGHT * scale;
    }

    /** Draws {@code text} with its cell's top-left corner at (x, y), in {@code rgb}; pixels outside the image are skipped. */
    static void draw(BufferedImage img, String text, int x, int y, int rgb, int scale) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int g = (c < 32 || c > 126 ? '?' : c) - 32;
            for (int row = 0; row < HEIGHT; row++) {
                int bits = BITS[g * HEIGHT + row];
                for (int col = 0; col < WIDTH; col++) {
                    if ((bits & (1 << (WIDTH - 1 - col))) == 0) continue;
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            int px = x + (i * WIDTH + col) * scale + dx, py = y + row * scale + dy;
                            if (px >= 0 && py >= 0 && px < img.getWidth() && py < img.getHeight()) img.setRGB(px, py, rgb);
                        }
                    }
                }
            }
        }
    }

    /**
     * Draws {@code text} turned a quarter left, reading upwards as a y-axis label: the glyphs' tops face column x
     * (their baseline is column x + ASCENT) and the text starts at row y and runs up from there.
     */
    static void drawUpwards(BufferedImage img, String text, int x, int y, int rgb, int scale) {
        BufferedImage flat = new BufferedImage(Math.max(1, width(text, scale)), height(scale), BufferedImage.TYPE_INT_ARGB);
        draw(flat, text, 0, 0, rgb | 0xff000000, scale);
        for (int ty = 0; ty < flat.getHeight(); ty++) {
            for (int tx = 0; tx < flat.getWidth(); tx++) {
                if ((flat.getRGB(tx, ty) >>> 24) == 0) continue;
                int px = x + ty, py = y - tx;       // text x runs up the image, text y runs right
                if (px >= 0 && py >= 0 && px < img.getWidth() && py < img.getHeight()) img.setRGB(px, py, rgb);
            }
        }
    }

    private static byte[] decode(String hex) {
        byte[] b = new byte[hex.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        if (b.length != 95 * HEIGHT) throw new IllegalStateException("glyph table holds " + b.length + " bytes, not 95 × " + HEIGHT);
        return b;
    }
}
