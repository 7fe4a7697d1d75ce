package dev.tessera.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * docs/tour.md shows each example's output under the command that runs it; the example tests pass what the example
 * printed here, which keeps those transcripts true. Decimal numbers are masked before comparing (they may differ in
 * the last digit on a CPU with another vector width), so shapes, counts, ids and wording must match exactly.
 */
final class Tour {
    private Tour() {}

    static void assertTranscript(String example, String printed) {
        Path root = Path.of(System.getProperty("tessera.repo.root", "..")).toAbsolutePath().normalize();
        String tour;
        try {
            tour = Files.readString(root.resolve("docs/tour.md"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String command = "dev.tessera.examples." + example + "\n";
        int at = tour.indexOf(command);
        assertTrue(at >= 0, "docs/tour.md has no command running " + example);
        String shown = tour.substring(at + command.length(), tour.indexOf("```", at));
        assertEquals(masked(shown), masked(printed.replace(System.lineSeparator(), "\n")),
                "docs/tour.md's transcript of " + example + " (update it to what the example prints)");
    }

    private static List<String> masked(String s) {
        return s.lines().map(l -> l.replaceAll("-?\\d+\\.\\d+(e[-+]\\d+)?", "#").stripTrailing()).toList();
    }
}
