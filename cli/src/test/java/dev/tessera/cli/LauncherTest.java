package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The launchers (the repository's {@code ./tessera} and the one {@code kernels/make-dist.sh} writes) drop the JVM's
 * incubator warning and nothing else: their filter, taken from the scripts themselves, run over a real JVM's stderr.
 */
class LauncherTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern FILTER = Pattern.compile("(?ms)^quiet_incubator\\(\\) \\{\\n.*?^\\}\\n");

    private static String filter(Path script) throws IOException {
        Matcher m = FILTER.matcher(Files.readString(script));
        assertTrue(m.find(), "quiet_incubator in " + script);
        return m.group();
    }

    /** Runs {@code java ARGS} with stderr through the script's filter (none if empty); returns {stdout, stderr}. */
    private static String[] run(String filter, String... javaArgs) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        StringBuilder cmd = new StringBuilder(filter).append("\"").append(java).append("\"");
        for (String a : javaArgs) cmd.append(" '").append(a).append("'");
        if (!filter.isEmpty()) cmd.append(" 2> >(quiet_incubator >&2); wait");
        Process p = new ProcessBuilder("bash", "-c", cmd.toString()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished");
        return new String[] {new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)};
    }

    @Test
    void bothLaunchersDropTheIncubatorWarningAndNothingElse() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")),
                "launcher test skipped: no bash");
        String repo = filter(ROOT.resolve("tessera")), dist = filter(ROOT.resolve("kernels/make-dist.sh"));
        assertEquals(repo, dist.replace("\\\\n", "\\n"), "the two launchers filter alike");
        assertTrue(Files.readString(ROOT.resolve("tessera")).contains("\"$@\" 2> >(quiet_incubator >&2)"), "./tessera applies it");
        assertTrue(Files.readString(ROOT.resolve("kernels/make-dist.sh")).contains("2> >(quiet_incubator >&2)"), "the dist applies it");

        // A real JVM with the incubator module: its warning is the line that goes, a later warning stays
        Path src = Files.createTempDirectory("launcher").resolve("Err.java");
        Files.writeString(src, "class Err { public static void main(String[] a) { System.out.println(\"out\");"
                + " System.err.println(\"WARNING: a real warning\"); System.err.print(\"last, no newline\"); } }");
        String[] plain = run("", "--add-modules=jdk.incubator.vector", src.toString());
        assertTrue(plain[1].startsWith("WARNING: Using incubator modules: jdk.incubator.vector\n"), "the JVM does print it: " + plain[1]);
        for (String f : List.of(repo, dist.replace("\\\\n", "\\n"))) {
            String[] r = run(f, "--add-modules=jdk.incubator.vector", src.toString());
            assertEquals("out\n", r[0]);
            assertEquals("WARNING: a real warning\nlast, no newline", r[1]);
        }
    }
}
