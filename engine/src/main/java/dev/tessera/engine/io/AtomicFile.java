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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a file so that readers see either the old content or the complete new content, never a torn
 * file — what a checkpoint needs when a run is killed mid-save. Recipe: write a temporary file in the same
 * directory (same file system, so the rename is atomic), fsync it, rename it over the target with
 * ATOMIC_MOVE, then fsync the directory so the rename itself survives a crash. On any failure the
 * temporary file is deleted and the target is untouched.
 *
 * <p>Temporary files are named {@code .<target>.<pid>-<n>.tmp}: hidden, unique per process and write (so two
 * writers never share one), and never ending like the target (no reader mistakes one for a checkpoint). A write
 * in progress when the JVM shuts down (Ctrl-C, SIGTERM) has its temporary file deleted by a shutdown hook; one
 * killed outright (kill -9, power loss) leaves it behind, and the owner of the directory removes such leftovers
 * with {@link #removeLeftovers} once it knows no other process writes there.
 */
public final class AtomicFile {
    private AtomicFile() {}

    /** What {@link #write} names a temporary file: dot, target name, dot, pid-counter, ".tmp". */
    private static final Pattern TEMP = Pattern.compile("\\..+\\.[0-9]+(-[0-9]+)?\\.tmp");
    private static final AtomicLong COUNTER = new AtomicLong();
    private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : IN_FLIGHT) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // Best effort at exit; removeLeftovers catches what remains.
                }
            }
        }, "atomic-file-cleanup"));
    }

    /**
     * Deletes the temporary files that interrupted writes left in {@code dir} (its own files only, not
     * subfolders) and returns how many. Call it only while no other process can be writing in {@code dir} —
     * for a run directory, after taking its lock. The pattern (older random-number names included) matches
     * nothing else a run writes.
     */
    public static int removeLeftovers(Path dir) {
        int n = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (TEMP.matcher(p.getFileName().toString()).matches() && !IN_FLIGHT.contains(p) && Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                    n++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove leftover temporary files in " + dir + ": " + e, e);
        }
        return n;
    }

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
            temp = createTemp(dir, abs.getFileName().toString());
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
            IN_FLIGHT.remove(temp);
            if (!moved) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // The original failure is the one to report; a stray temp file is named like the target.
                }
            }
        }
    }

    /** A new, empty temporary file; a leftover of an earlier process with the same pid is skipped, not reused. */
    private static Path createTemp(Path dir, String target) throws IOException {
        String prefix = "." + target + "." + ProcessHandle.current().pid() + "-";
        while (true) {
            Path p = dir.resolve(prefix + COUNTER.incrementAndGet() + ".tmp");
            try {
                Path created = Files.createFile(p);
                IN_FLIGHT.add(created);
                return created;
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                // try the next number
            }
        }
    }

    /**
     * Give the new file the old file's permissions, or
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
