package dev.tessera.cli;

import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine.Command;

/** {@code tessera info}: version, CPU threads, and which backends are usable here (and why not). */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the version, CPU threads and the usable backends (and why one is not).")
final class InfoCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.out.println("tessera " + Tessera.version());
        System.out.println("java    " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        System.out.println("cpu     " + Runtime.getRuntime().availableProcessors() + " threads, SIMD "
                + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit (Vector API), max heap "
                + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB");
        System.out.println("backends:");
        System.out.println("  cpu   usable");
        System.out.println("  cuda  " + Devices.cudaSummary());
        return 0;
    }
}
