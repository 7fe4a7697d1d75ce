/** The {@code tessera} command line: picocli commands over the training library, and the choice of device. */
module dev.tessera.cli {
    requires dev.tessera.train;
    requires dev.tessera.kernels;
    requires info.picocli;

    // picocli reads and sets the commands' annotated fields and methods by reflection.
    opens dev.tessera.cli to info.picocli;
}
