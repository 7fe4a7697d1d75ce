package dev.tessera.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The JShell recipe of docs/tour.md, run for real: the startup file loads and a tensor session gives the right numbers. */
class JShellRecipeTest {

    @Test
    void theStartupFileWorksInJShell() throws Exception {
        Path root = Path.of(System.getProperty("tessera.repo.root", "..")).toAbsolutePath().normalize();
        Path startup = root.resolve("examples/jshell/tessera.jsh");
        assertTrue(Files.isRegularFile(startup), "missing " + startup);
        Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
        // Surefire's own paths (the examples' classes and every dependency) stand in for tessera-examples.jar, which
        // is only built after the tests. Surefire runs these tests on the module path: the modules (examples, mae,
        // vit, engine, Jackson) are in jdk.module.path, the rest on the class path; JShell gets both as its class
        // path, as the recipe's shaded jar is (where the module descriptors are ignored).
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null && !modulePath.isEmpty()) classPath = modulePath + File.pathSeparator + classPath;
        String script = String.join("\n",
                "var x = t(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);",
                "x.mul(x).sum().backward();",
                "show(x.grad())",
                "System.out.println(\"lenKeep=\" + MaeConfig.preset(\"mae-tiny\").lenKeep())",
                "/exit", "");
        Process p = new ProcessBuilder(List.of(jshell.toString(), "--class-path", classPath,
                "--add-modules", "jdk.incubator.vector", "-R--add-modules=jdk.incubator.vector",
                "--startup", "DEFAULT", "--startup", startup.toString(), "-q"))
                .redirectErrorStream(true).start();
        p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "jshell did not finish");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("Tensor[2, 3] [2.0, 4.0, 6.0, 8.0, 10.0, 12.0]"), "d Σx²/dx = 2x; jshell printed:\n" + out);
        assertTrue(out.contains("lenKeep=12"), out);
        assertTrue(!out.contains("Error") && !out.contains("Exception"), out);
    }
}
