package dev.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.tensor.Tensor;
import java.lang.module.ModuleDescriptor;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The modules' boundaries as a user of the libraries meets them. The rule every library module's
 * {@code module-info.java} follows: every package is exported to everyone, except a package named
 * {@code internal} (the engine's op hooks), which no other module can reach. A new API package without its
 * {@code exports} line fails here; so does an export of an internal package.
 */
class ModuleBoundaryTest {

    private static final List<String> LIBRARIES = List.of(
            "dev.tessera.engine", "dev.tessera.kernels", "dev.tessera.vit", "dev.tessera.mae", "dev.tessera.cae", "dev.tessera.train");

    @Test
    void theseTestsRunInsideANamedModule() {
        // Surefire patches the test classes into dev.tessera.tests, so what compiles and runs here is what a modular
        // program that requires the libraries sees; on the class path every package would be readable.
        assertEquals("dev.tessera.tests", getClass().getModule().getName());
        assertTrue(Tensor.class.getModule().isNamed(), "the engine must be loaded as a module, not from the class path");
    }

    @Test
    void everyLibraryExportsExactlyItsPackagesOutsideInternal() {
        for (String name : LIBRARIES) {
            Module module = ModuleLayer.boot().findModule(name)
                    .orElseThrow(() -> new AssertionError(name + " is not in the boot layer of the tests"));
            Set<String> packages = new TreeSet<>(module.getPackages());
            Set<String> exported = module.getDescriptor().exports().stream().filter(e -> !e.isQualified())
                    .map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new));
            Set<String> expected = packages.stream().filter(p -> !isInternal(p)).collect(Collectors.toCollection(TreeSet::new));
            assertEquals(expected, exported, name + ": exported packages (module-info.java) against its non-internal packages");
            assertFalse(packages.isEmpty(), name + " has no packages");
        }
    }

    @Test
    void theEngineHidesItsOpHooks() throws Exception {
        Module engine = Tensor.class.getModule();
        assertTrue(engine.getPackages().contains("dev.tessera.engine.tensor.internal"));
        assertFalse(engine.isExported("dev.tessera.engine.tensor.internal", getClass().getModule()));
        // Reflection cannot open it either: the class loads, its methods stay out of reach.
        Class<?> hooks = Class.forName("dev.tessera.engine.tensor.internal.TensorInternals");
        var method = hooks.getDeclaredMethods()[0];
        assertThrows(RuntimeException.class, () -> method.setAccessible(true),
                "setAccessible on " + method + " must fail: the package is neither exported nor open");
    }

    private static boolean isInternal(String pkg) {
        return pkg.endsWith(".internal") || pkg.contains(".internal.");
    }
}
