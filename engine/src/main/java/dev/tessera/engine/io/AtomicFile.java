package dev.tessera.engine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file so that readers see either the old content or the complete new content, never a torn
 * file — what a checkpoint needs when a run is killed mid-save. Recipe: write a temporary file in the same
 * directory (same file system, so the rename is atomic), fsync it, rename it over the target with
 * ATOMIC_MOVE, then fsync the directory so the rename itself survives a crash. On any failure the
 * temporary file is deleted and the target is untouched.
 */
public final class AtomicFile {
    private AtomicFile() {}

    /** Produces the file's bytes. */
    @FunctionalInterface
    public interface Writer {
        void write(FileChannel channel) throws IOException;
    }

    /** Replaces {@code target} atomically with what {@code writer} writes; errors name the path. */
    public static void write(Path target, Writer writer) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UncheckedIOException(new IOException("cannot write " + abs + ": directory " + dir + " does not exist"));
        }
        Path temp;
        try {
            temp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        } catch (AccessDeniedException e) {
            throw new UncheckedIOException("cannot write " + abs + ": directory " + dir + " is not writable", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + abs + ": creating a temporary file in " + dir + " failed: " + e, e);
        }
        boolean moved = false;
        try {
            copyPermissions(abs, temp);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(ch);
                ch.force(true);
            }
            Files.move(temp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            syncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + abs + ": " + e, e);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // The original failure is the one to report; a stray temp file is named like the target.
                }
            }
        }
    }

    /**
     * Temporary files are created owner-only (rw-------); give the new file the old file's permissions, or
     * rw-r--r-- for a new one, so replacing a checkpoint does not change who can read it. POSIX only.
     */
    private static void copyPermissions(Path target, Path temp) {
        try {
            PosixFileAttributeView view = Files.getFileAttributeView(temp, PosixFileAttributeView.class);
            if (view == null) return;
            view.setPermissions(Files.exists(target) ? Files.getPosixFilePermissions(target)
                    : PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException | UnsupportedOperationException ignored) {
            // Permissions are a convenience; the write itself must not fail because of them.
        }
    }

    /** Best effort: Linux supports fsync on a directory; platforms that refuse it lose only crash safety. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // Not supported here (e.g. Windows); the rename is still atomic.
        }
    }
}
