package dev.tessera.data;

import java.nio.file.Path;

/**
 * A data file or folder could not be found, read, verified or decoded. The message always names the file (or
 * the folders that were searched), so the one line the CLI prints is enough to act on. {@link #file()} is
 * the offending file when there is one; the loader's skip-bad mode uses it to report what it skipped.
 */
public final class DataException extends RuntimeException {
    private final transient Path file;

    public DataException(String message) {
        this(null, message, null);
    }

    public DataException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The file this error is about, or null when it is about a search (nothing found) rather than a file. */
    public Path file() {
        return file;
    }
}
