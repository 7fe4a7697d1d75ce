package dev.tessera.train.testing;

import java.io.File;

/** What a test needs to start another JVM on the code under test. */
public final class ChildJvm {
    private ChildJvm() {}

    /**
     * The class path for a child JVM that runs test classes: Surefire runs the tests inside their named module, so
     * the modules are in {@code jdk.module.path} and the test classes with the rest in
     * {@code surefire.test.class.path}; the child runs all of them from its class path.
     */
    public static String classPath() {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String modulePath = System.getProperty("jdk.module.path", "");
        return modulePath.isEmpty() ? classPath : modulePath + File.pathSeparator + classPath;
    }
}
