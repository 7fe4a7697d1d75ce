package dev.tessera.train;

import dev.tessera.engine.io.AtomicFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A run's folder and the files in it:
 * <pre>
 *   config.json              every setting: model preset and full config, data, device, seed, resolved plan
 *   metrics.jsonl            one JSON object per logged step: step, epoch, loss, lr, img_s
 *   checkpoint.safetensors   model + optimizer + RNG position + data position + config (see {@link Checkpoint})
 *   loss.png                 the loss curve (rewritten at every checkpoint)
 *   recon.png                8 held-out images: original, masked, reconstruction, + visible (MAE's figure)
 *   summary.json             how the run ended: final loss, steps, minutes, img/s, paths
 * </pre>
 * Every file except metrics.jsonl is replaced atomically (temporary file + rename), so a crash leaves the
 * previous version; metrics.jsonl grows by whole lines.
 *
 * <p>A run writing the folder ({@link #create}, {@link #resume}) holds its {@link RunLock} (the file {@code .lock})
 * until {@link #close}: a second process on the same folder fails at once instead of interleaving metrics and
 * overwriting checkpoints. With the lock held, the temporary files of writes interrupted by a kill are removed.
 */
public final class RunDirectory implements AutoCloseable {
    public static final String CONFIG = "config.json", METRICS = "metrics.jsonl", CHECKPOINT = "checkpoint.safetensors",
            LOSS_PNG = "loss.png", RECON_PNG = "recon.png", SUMMARY = "summary.json";

    private final Path dir;
    private final RunLock lock;

    private RunDirectory(Path dir, RunLock lock) {
        this.dir = dir;
        this.lock = lock;
    }

    /**
     * A new run's folder: created if needed, and refused if it already holds a run. Writability is proven by
     * writing config.json, so an unwritable place fails here, before any training, with one line naming it.
     */
    public static RunDirectory create(Path dir, RunConfig config) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new IllegalArgumentException("--out " + dir + " is not writable: it is a file, not a folder");
        }
        try {
            Files.createDirectories(abs);
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException("--out " + dir + " is not writable: cannot create the folder (" + reason(e) + ")", e);
        }
        RunLock lock = RunLock.acquire(abs, "--out");
        try {
            // Checked with the lock held: two runs started together both saw an empty folder before.
            if (Files.exists(abs.resolve(CHECKPOINT)) || Files.exists(abs.resolve(METRICS))) {
                throw new IllegalArgumentException("--out " + dir + " already holds a run; continue it with --resume " + dir
                        + " or choose another --out");
            }
            AtomicFile.removeLeftovers(abs);
            RunDirectory run = new RunDirectory(abs, lock);
            try {
                run.writeConfig(config);
            } catch (UncheckedIOException e) {
                throw new IllegalArgumentException("--out " + dir + " is not writable: " + reason(e), e);
            }
            return run;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * An existing run's folder, to read: it must hold a checkpoint file. Holds no lock; a run continues through
     * {@link #resume}.
     */
    public static RunDirectory existing(Path dir) {
        return existing(dir, "--resume");
    }

    /** {@link #existing(Path)} for a folder that the command-line option {@code option} named (for the messages). */
    public static RunDirectory existing(Path dir, String option) {
        Path abs = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) throw new IllegalArgumentException(option + " " + dir + ": no such run folder");
        Path ckpt = abs.resolve(CHECKPOINT);
        if (Files.isDirectory(ckpt)) {
            throw new IllegalArgumentException(option + " " + dir + ": " + ckpt + " is a folder, not a checkpoint file");
        }
        if (!Files.exists(ckpt)) {
            throw new IllegalArgumentException(option + " " + dir + ": no " + CHECKPOINT + " in it (the run stopped before its first checkpoint)");
        }
        if (!Files.isRegularFile(ckpt)) throw new IllegalArgumentException(option + " " + dir + ": " + ckpt + " is not a regular file");
        return new RunDirectory(abs, null);
    }

    /**
     * An existing run's folder, to continue writing: as {@link #existing}, locked, its config.json readable (a run
     * resumed over a damaged one would end with a folder that no longer says what it is), and cleared of the
     * temporary files that kills mid-write left.
     */
    public static RunDirectory resume(Path dir) {
        Path abs = existing(dir).path();
        RunLock lock = RunLock.acquire(abs, "--resume");
        try {
            Path config = abs.resolve(CONFIG);
            if (!Files.isRegularFile(config)) {
                throw new IllegalArgumentException("--resume " + dir + ": " + config + " is missing; the run folder is damaged");
            }
            RunConfig recorded;
            try {
                recorded = Json.read(Files.readString(config, StandardCharsets.UTF_8), RunConfig.class, config + " (damaged)");
            } catch (IOException e) {
                throw new IllegalArgumentException("--resume " + dir + ": cannot read " + config + " (" + reason(e) + ")", e);
            }
            if (recorded == null) throw new IllegalArgumentException("--resume " + dir + ": " + config + " (damaged) holds no run configuration");
            AtomicFile.removeLeftovers(abs);
            return new RunDirectory(abs, lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** Releases the folder's lock (nothing for a folder opened only to read). */
    @Override
    public void close() {
        if (lock != null) lock.close();
    }

    private static String reason(Exception e) {
        Throwable c = e instanceof UncheckedIOException u ? u.getCause() : e;
        if (c instanceof java.nio.file.AccessDeniedException a) return "permission denied: " + a.getFile();
        if (c instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason() + ": " + f.getFile();
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    public Path path() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    public Path checkpoint() {
        return dir.resolve(CHECKPOINT);
    }

    public void writeConfig(RunConfig config) {
        writeText(CONFIG, Json.pretty(config));
    }

    public void writeSummary(RunSummary summary) {
        writeText(SUMMARY, Json.pretty(summary));
    }

    private void writeText(String name, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(dir.resolve(name), ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    /** Appends one line to metrics.jsonl (one write call, so a reader never sees half a line). */
    public void appendMetrics(StepMetrics m) {
        byte[] line = (Json.compact(m) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            Files.write(dir.resolve(METRICS), line, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + dir.resolve(METRICS) + ": " + e.getMessage(), e);
        }
    }

    /** Every line of metrics.jsonl. */
    public List<StepMetrics> readMetrics() {
        Path f = dir.resolve(METRICS);
        if (!Files.exists(f)) return List.of();
        List<StepMetrics> out = new ArrayList<>();
        try {
            int n = 0;
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                n++;
                if (!line.isBlank()) out.add(Json.read(line, StepMetrics.class, f + " line " + n));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Drops metrics.jsonl lines after {@code step} (atomically): a run that died after its last checkpoint
     * logged steps that the resumed run will redo.
     */
    public void truncateMetrics(int step) {
        List<StepMetrics> keep = new ArrayList<>();
        for (StepMetrics m : readMetrics()) if (m.step() <= step) keep.add(m);
        StringBuilder sb = new StringBuilder();
        for (StepMetrics m : keep) sb.append(Json.compact(m)).append('\n');
        writeText(METRICS, sb.toString());
    }
}
