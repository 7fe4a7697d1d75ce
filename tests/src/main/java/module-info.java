/**
 * Cross-module tests: PyTorch golden parity, the launch census, interop against PyTorch-made files. The module
 * has no main code; its tests are patched into it, so they see exactly the exported API of the modules below.
 */
module dev.tessera.tests {
    requires dev.tessera.train;
    requires dev.tessera.kernels;
}
