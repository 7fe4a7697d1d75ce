package dev.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every citation in the repository must resolve for a person who clones it: docs/, the papers, the official code.
 * This fails when a tracked text file points at the reference material the project was built from, which is not
 * part of the repository (a folder next to it, its spec and style notes). The fix is to cite the docs/ heading, the
 * paper section or the official code file instead.
 */
class RepositoryHygieneTest {

    /** Spelled in pieces so that this file does not contain what it looks for. */
    private static final List<String> FORBIDDEN = List.of(
            "../" + "shared", "/work/" + "shared", "SPEC" + " §", "SPEC" + ".md", "STYLE" + ".md",
            "JAVA-GPU" + ".md", "BASELINES" + ".md", "anti" + "-pattern");

    @Test
    void noTrackedFileCitesMaterialOutsideTheRepository() throws IOException {
        Path root = Path.of(System.getProperty("tessera.repo.root", "..")).toAbsolutePath().normalize();
        List<Path> files = trackedFiles(root);
        assertTrue(files.size() > 100, "found only " + files.size() + " files under " + root + "; is tessera.repo.root right?");
        List<String> found = new ArrayList<>();
        for (Path rel : files) {
            Path file = root.resolve(rel);
            if (!Files.isRegularFile(file)) continue;                 // deleted in the working tree
            String text = textOf(Files.readAllBytes(file));
            if (text == null) continue;                                // binary
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                for (String bad : FORBIDDEN) {
                    if (lines[i].contains(bad)) found.add(rel + ":" + (i + 1) + ": '" + bad + "' in: " + lines[i].strip());
                }
            }
        }
        if (!found.isEmpty()) {
            fail(found.size() + " citations point outside the repository (cite a docs/ heading, the paper section or the "
                    + "official code file instead):\n  " + String.join("\n  ", found));
        }
    }

    /** The files git tracks (as `git ls-files`); without git, every file outside build output and VCS folders. */
    private static List<Path> trackedFiles(Path root) throws IOException {
        if (Files.isDirectory(root.resolve(".git")) || Files.isRegularFile(root.resolve(".git"))) {
            try {
                Process p = new ProcessBuilder("git", "-C", root.toString(), "ls-files", "-z").redirectErrorStream(false).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    List<Path> files = new ArrayList<>();
                    for (String name : new String(out, StandardCharsets.UTF_8).split("\0")) {
                        if (!name.isEmpty()) files.add(Path.of(name));
                    }
                    return files;
                }
            } catch (IOException e) {
                // no git on the PATH: walk the tree instead
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while listing the repository's files", e);
            }
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).map(root::relativize)
                    .filter(p -> {
                        String first = p.getName(0).toString();
                        for (Path part : p) {
                            String s = part.toString();
                            if (s.startsWith("target") || s.equals(".git") || s.equals("runs")) return false;
                        }
                        return !first.startsWith(".device");
                    })
                    .toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The UTF-8 text of a file, or null for a binary one (a NUL byte early on, as git decides, or not UTF-8). */
    private static String textOf(byte[] bytes) {
        for (int i = 0; i < Math.min(bytes.length, 8000); i++) if (bytes[i] == 0) return null;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
