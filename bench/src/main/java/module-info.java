/** JMH benchmarks of the engine's kernels and of a whole MAE step. */
module dev.tessera.bench {
    requires dev.tessera.mae;
    requires jmh.core;
    // StepProfile reads the thread's CPU time and allocated bytes (com.sun.management.ThreadMXBean).
    requires jdk.management;

    // JMH's runner instantiates the benchmarks and the classes it generates for them by reflection.
    opens dev.tessera.bench.engine to jmh.core;
    opens dev.tessera.bench.model to jmh.core;
}
