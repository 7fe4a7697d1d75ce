package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command's checks; the comparison itself is MethodComparisonTest's (on synthetic data, seconds). */
class CompareCommandTest {
    @TempDir
    Path tmp;

    @Test
    void badBudgetsAndSizesAreUsageErrorsThatNameTheOption() {
        String[][] cases = {
                {"--minutes", "0"}, {"--minutes must be positive, got 0.0"},
                {"--minutes", "Infinity"}, {"--minutes must be positive, got Infinity"},
                {"--batch", "1"}, {"--batch must be at least 2, got 1"},
                {"--blr", "-1"}, {"--blr must be positive, got -1.0"},
                {"--eval-train", "5"}, {"--eval-train must be 0 (all) or at least 20 (kNN-20), got 5"},
                {"--eval-test", "-3"}, {"--eval-test must be 0 (all) or positive, got -3"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            String[] r = LinprobeCommandTest.run(new CompareCommand(), cases[i]);
            assertEquals("2", r[0], String.join(" ", cases[i]));
            assertTrue(r[2].contains(cases[i + 1][0]), r[2]);
        }
    }

    @Test
    void fineTuningBudgetsAreCheckedToo() {
        String[] r = LinprobeCommandTest.run(new CompareCommand(), "--finetune", "--finetune-epochs", "0");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--finetune-epochs must be at least 1, got 0"), r[2]);
        r = LinprobeCommandTest.run(new CompareCommand(), "--finetune", "--finetune-train", "10");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--finetune-train must be 0 (all) or at least one batch of 64, got 10"), r[2]);
    }

    @Test
    void refusesAFolderThatHoldsAComparison() throws Exception {
        Files.createDirectories(tmp.resolve("used/mae"));
        String[] r = LinprobeCommandTest.run(new CompareCommand(), "--out", tmp.resolve("used").toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("already holds a comparison"), r[2]);
    }
}
