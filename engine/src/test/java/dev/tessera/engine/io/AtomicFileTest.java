package dev.tessera.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @TempDir
    Path dir;

    @Test
    void successfulWriteLeavesOnlyTheTarget() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        SafeTensors.write(p, Map.of("a", TensorData.f32(new float[] {1}, 1)), Map.of());
        SafeTensors.write(p, Map.of("a", TensorData.f32(new float[] {2}, 1)), Map.of());
        assertEquals(List.of(p), list());
        assertArrayEquals(new float[] {2}, SafeTensors.read(p).get("a").floats());
        // Not the owner-only mode of temporary files.
        if (Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class) != null) {
            assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        }
    }

    @Test
    void aWriterFailingMidwayKeepsTheOldFileAndDeletesTheTemp() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        SafeTensors.write(p, Map.of("a", TensorData.f32(new float[] {1, 2, 3}, 3)), Map.of("epoch", "1"));
        byte[] before = Files.readAllBytes(p);
        UncheckedIOException io = assertThrows(UncheckedIOException.class, () -> AtomicFile.write(p, ch -> {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
            throw new IOException("disk full");
        }));
        assertTrue(io.getMessage().contains(p.toAbsolutePath().toString()) && io.getMessage().contains("disk full"), io.getMessage());
        assertThrows(IllegalStateException.class, () -> AtomicFile.write(p, ch -> {
            ch.write(ByteBuffer.wrap(new byte[100]));
            throw new IllegalStateException("serialiser bug");
        }));
        assertArrayEquals(before, Files.readAllBytes(p));
        assertEquals(List.of(p), list());
    }

    @Test
    void temporaryFilesAreNamedPerProcessAndNeverLikeTheTarget() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        List<List<Path>> during = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) AtomicFile.write(p, ch -> during.add(list()));
        String prefix = ".ckpt.safetensors." + ProcessHandle.current().pid() + "-";
        for (List<Path> files : during) {
            Path temp = files.stream().filter(f -> !f.equals(p)).findFirst().orElseThrow();
            String name = temp.getFileName().toString();
            assertTrue(name.startsWith(prefix) && name.endsWith(".tmp") && !name.endsWith(".safetensors"), name);
        }
        assertTrue(!during.get(0).equals(during.get(1)) || during.get(0).size() == 1, "two writes, two names");
        assertEquals(List.of(p), list());
    }

    @Test
    void leftoversAreTheAtomicWritersTemporaryFilesOnly() throws IOException {
        List<Path> leftovers = List.of(Files.createFile(dir.resolve(".ckpt.safetensors.123-4.tmp")),
                Files.createFile(dir.resolve(".config.json.8123456789012345.tmp")));
        List<Path> kept = List.of(Files.createFile(dir.resolve("ckpt.safetensors")), Files.createFile(dir.resolve("notes.tmp")),
                Files.createFile(dir.resolve(".lock")), Files.createFile(dir.resolve(".hidden.tmp")),
                Files.createDirectory(dir.resolve(".sub.1-2.tmp")));
        assertEquals(2, AtomicFile.removeLeftovers(dir));
        for (Path l : leftovers) assertTrue(!Files.exists(l), l.toString());
        for (Path k : kept) assertTrue(Files.exists(k), k.toString());
    }

    @Test
    void invalidTensorsFailBeforeTouchingTheFile() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        SafeTensors.write(p, Map.of("a", TensorData.f32(new float[] {1}, 1)), Map.of());
        byte[] before = Files.readAllBytes(p);
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(p, Map.of("__metadata__", TensorData.f32(new float[] {1}, 1)), Map.of()));
        assertArrayEquals(before, Files.readAllBytes(p));
        assertEquals(List.of(p), list());
    }

    @Test
    void anUnwritableDestinationNamesThePath() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        Path inFile = file.resolve("ckpt.safetensors");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> SafeTensors.write(inFile, Map.of("a", TensorData.f32(new float[] {1}, 1)), Map.of()));
        assertTrue(e.getMessage().contains(inFile.toString()) && e.getMessage().contains(file.toString()), e.getMessage());
        Path missing = dir.resolve("missing/ckpt.safetensors");
        e = assertThrows(UncheckedIOException.class,
                () -> SafeTensors.write(missing, Map.of("a", TensorData.f32(new float[] {1}, 1)), Map.of()));
        assertTrue(e.getMessage().contains("does not exist") && e.getMessage().contains(missing.getParent().toString()), e.getMessage());
    }

    private List<Path> list() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
