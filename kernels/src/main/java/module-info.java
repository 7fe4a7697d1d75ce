/**
 * The CUDA backend: a {@code Backend} that runs the engine's ops as CUDA kernels (fatbin built by nvcc) and GEMM
 * through cuBLAS, over the JCuda driver API.
 */
module dev.tessera.kernels {
    requires transitive dev.tessera.engine;
    // JCuda's jars carry no module descriptor: they are automatic modules named after their files
    // (jcuda-12.6.0.jar → jcuda, jcublas-12.6.0.jar → jcublas); the natives jars hold no classes.
    requires jcuda;
    requires jcublas;

    exports dev.tessera.kernels;
}
