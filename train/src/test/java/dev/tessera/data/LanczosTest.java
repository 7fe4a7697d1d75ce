package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.io.SafeTensorsFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Lanczos resizing against Pillow 9.4's {@code Image.resize(size, Image.LANCZOS)} on RGB images (make_dalle.py). */
class LanczosTest {

    /** HWC samples (as floats) → planar CHW ints. */
    static int[] planar(float[] hwc, int h, int w) {
        int[] out = new int[hwc.length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) out[(c * h + y) * w + x] = (int) hwc[(y * w + x) * 3 + c];
        return out;
    }

    @Test
    void everySampleEqualsPillows() throws Exception {
        SafeTensorsFile f = SafeTensors.read(Path.of(getClass().getResource("/lanczos/pil_lanczos.safetensors").toURI()));
        int cases = 0;
        for (int i = 0; f.tensors().containsKey("case" + i + ".in"); i++, cases++) {
            var in = f.get("case" + i + ".in");
            var out = f.get("case" + i + ".out");
            int h = in.shape()[0], w = in.shape()[1], oh = out.shape()[0], ow = out.shape()[1];
            int[] got = Lanczos.resize(planar(in.floats(), h, w), 3, h, w, oh, ow);
            assertArrayEquals(planar(out.floats(), oh, ow), got, "case " + i + ": " + h + "x" + w + " -> " + oh + "x" + ow);
        }
        assertEquals(4, cases);
    }

    @Test
    void kernelIsTheThreeLobeWindowedSinc() {
        assertEquals(1.0, Lanczos.kernel(0), 0);
        assertEquals(0.0, Lanczos.kernel(1), 1e-15);
        assertEquals(0.0, Lanczos.kernel(3), 0);                               // [−3, 3): the right end is out
        double x = 0.5;
        double want = Math.sin(Math.PI * x) / (Math.PI * x) * Math.sin(Math.PI * x / 3) / (Math.PI * x / 3);
        assertEquals(want, Lanczos.kernel(x), 1e-15);
    }

    @Test
    void aConstantImageStaysConstantAndFloatsRoundTripThroughEightBits() {
        float[] grey = new float[3 * 20 * 30];
        java.util.Arrays.fill(grey, 100 / 255f);
        PlanarImage r = Lanczos.resize(new PlanarImage(grey, 3, 20, 30), 7, 11);
        for (float v : r.data()) assertEquals(100 / 255f, v, 0);
    }
}
