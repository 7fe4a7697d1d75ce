package dev.tessera.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exclusive right to write a run directory, for as long as the run lasts: an operating-system lock on the
 * file {@code .lock} inside it ({@link FileChannel#tryLock}), which also holds the holder's process id for the
 * message a second process gets. Two processes writing one directory would interleave metrics.jsonl and
 * overwrite each other's checkpoints, so the second one fails at once instead. The operating system drops the
 * lock when its process dies, so a run killed with {@code kill -9} leaves a stale file but no stale lock. The
 * file itself is never deleted: deleting it would let a third process lock a new file while the second still
 * holds the old one.
 */
final class RunLock implements AutoCloseable {
    static final String FILE = ".lock";
    /**
     * The folders this JVM holds. Checked before opening the file: POSIX drops every lock a process holds on a file
     * when it closes any descriptor of it, so a second channel opened (and closed) here would free the first's lock.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dir} (which must exist) or fails with one line naming it and the holder's process id;
     * {@code option} is the command-line option that named the folder, for the message.
     */
    static RunLock acquire(Path dir, String option) {
        Path key = dir.toAbsolutePath().normalize();
        if (!HELD.add(key)) throw inUse(dir, "process " + ProcessHandle.current().pid(), option);
        try {
            return lock(key, dir, option);
        } catch (RuntimeException e) {
            HELD.remove(key);
            throw e;
        }
    }

    private static IllegalStateException inUse(Path dir, String holder, String option) {
        return new IllegalStateException("run directory " + dir + " is in use by " + holder + "; wait for it to finish or choose another "
                + option);
    }

    private static RunLock lock(Path key, Path dir, String option) {
        Path file = dir.resolve(FILE);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
            throw new IllegalArgumentException(option + " " + dir + " is not writable: cannot create the lock file " + file + " (" + why + ")", e);
        }
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;                                  // another class loader's copy of this class holds it
        } catch (IOException e) {
            close(ch);
            throw new UncheckedIOException("cannot lock " + file + ": " + e.getMessage(), e);
        }
        if (lock == null) {
            String holder = holder(file);
            close(ch);
            throw inUse(dir, holder, option);
        }
        try {
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(pid), 0);
            ch.force(false);
        } catch (IOException e) {
            close(ch);
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return new RunLock(key, ch, lock);
    }

    /** "process 1234" from the lock file, or "another process" while the holder has not written its id yet. */
    private static String holder(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (text.matches("\\d{1,19}")) return "process " + text;
        } catch (IOException | RuntimeException ignored) {
            // The holder may be between creating and writing the file; the directory is still busy.
        }
        return "another process";
    }

    private static void close(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // Closing a channel we only opened to lock cannot lose data.
        }
    }

    /** Releases the lock (the file stays; see the class comment). */
    @Override
    public void close() {
        try {
            if (lock.isValid()) lock.release();
        } catch (IOException ignored) {
            // Closing the channel below releases it in any case.
        }
        close(channel);
        HELD.remove(dir);
    }
}
