/** JMH benchmarks of the engine's kernels and of a whole MAE step. */
module dev.tessera.bench {
    requires dev.tessera.mae;
    requires dev.tessera.train;              // StepProfile builds the MAE, CAE and classifier objectives
    requires jmh.core;
    // StepProfile reads the thread's CPU time and allocated bytes (com.sun.management.ThreadMXBean).
    requires jdk.management;

    // JMH's runner instantiates the benchmarks and the classes its annotation processor generates for them
    // (jmh_generated) by reflection. The benchmarks run from the shaded benchmarks.jar on the class path, where the
    // descriptor is left out; these lines keep a module-path run possible.
    opens dev.tessera.bench.engine to jmh.core;
    opens dev.tessera.bench.engine.jmh_generated to jmh.core;
    opens dev.tessera.bench.model to jmh.core;
    opens dev.tessera.bench.model.jmh_generated to jmh.core;
}
