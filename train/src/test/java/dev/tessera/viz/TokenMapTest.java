package dev.tessera.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenMapTest {
    @Test
    void everyPixelOfACellHasItsTokensColour() {
        int[] ids = {5, 9, 5, 8191};                                    // a 2×2 grid over 8×8 pixels: 4×4 cells
        float[] img = TokenMap.render(ids, 2, 2, 8, 8);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                float[] want = TokenMap.colour(ids[(y / 4) * 2 + x / 4]);
                for (int c = 0; c < 3; c++) assertEquals(want[c], img[(c * 8 + y) * 8 + x], 0);
            }
        }
        assertArrayEquals(TokenMap.colour(5), TokenMap.colour(5));
        assertFalse(java.util.Arrays.equals(TokenMap.colour(5), TokenMap.colour(6)), "neighbouring ids get different colours");
        for (float v : TokenMap.colour(123)) assertTrue(v >= 0.15f && v <= 0.95f);
        assertThrows(IllegalArgumentException.class, () -> TokenMap.render(ids, 3, 2, 8, 8));
    }

    @Test
    void writesAPngOfGreyImagesNextToTheirTokens(@TempDir Path dir) throws Exception {
        ImageGrid grid = new ImageGrid(3, 8, 8).titles("image", "tokens");
        TokenMap.addTo(grid, new float[64], 1, 8, 8, new int[] {1, 2, 3, 4}, 2, 2);
        Path png = dir.resolve("t.png");
        grid.write(png);
        assertTrue(Files.size(png) > 0);
        var read = javax.imageio.ImageIO.read(png.toFile());
        assertTrue(read.getWidth() > 2 * 8 && read.getHeight() > 8);
    }
}
