package dev.tessera.kernels;

/**
 * Queues one kernel by name. {@link KernelModule} is the real one; the ABI test (KernelAbiTest) records the
 * calls instead, to check on a machine without a GPU that every launcher passes arguments of the types and
 * count each kernel's C signature declares.
 */
interface KernelLauncher {
    void launch(String kernel, LaunchConfig config, KernelArgs args);
}
