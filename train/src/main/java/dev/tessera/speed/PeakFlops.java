package dev.tessera.speed;

import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The dense peak arithmetic rate of the GPUs Tessera is measured on, from NVIDIA's data sheets, for the model
 * FLOP utilisation (MFU = achieved model FLOP/s ÷ this). Dense means without the 2:4-sparsity doubling the
 * sheets print next to it. A CPU has no entry (its peak depends on clocks and SIMD units no API reports):
 * give {@code --peak-tflops} to get an MFU there.
 *
 * <table>
 *   <tr><th>GPU</th><th>fp32</th><th>tf32 tensor cores</th><th>bf16 tensor cores</th></tr>
 *   <tr><td>H100 SXM / H200 (SXM)</td><td>67</td><td>494.7</td><td>989.4</td></tr>
 *   <tr><td>H100 PCIe</td><td>51</td><td>378</td><td>756</td></tr>
 *   <tr><td>A100</td><td>19.5</td><td>156</td><td>312</td></tr>
 * </table>
 */
final class PeakFlops {
    private PeakFlops() {}

    /** TFLOP/s of the device the backend names at {@code precision} ("fp32", "tf32" or "bf16"), or empty when unknown. */
    static OptionalDouble lookup(String backendName, String precision) {
        String n = backendName.toUpperCase(Locale.ROOT);
        int col = switch (precision) {
            case "tf32" -> 1;
            case "bf16" -> 2;
            default -> 0;
        };
        if (n.contains("H200") || (n.contains("H100") && !n.contains("PCIE"))) return OptionalDouble.of(new double[] {67, 494.7, 989.4}[col]);
        if (n.contains("H100")) return OptionalDouble.of(new double[] {51, 378, 756}[col]);
        if (n.contains("A100")) return OptionalDouble.of(new double[] {19.5, 156, 312}[col]);
        return OptionalDouble.empty();
    }
}
