package dev.tessera.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The run's TensorBoard log as a {@link RunListener}: {@code events.out.tfevents.<seconds>.<host>} in the run
 * directory ({@code tensorboard --logdir runs/}), as the official {@code main_pretrain.py} keeps one beside its
 * checkpoints. Every metrics.jsonl line becomes one event of scalars under {@code train/} — {@code loss}, {@code lr},
 * {@code img_s}, {@code epoch}, and the step's other terms ({@code loss_main} and {@code loss_align} for CAE,
 * {@code grad_norm} when the gradient is clipped) — at the same step; every checkpoint after which recon.png was
 * redrawn ({@link Pictures}) adds that picture as the image {@code reconstruction}. The {@link Trainer} attaches one to
 * every run that has a directory, after the caller's listeners (so recon.png is already new). Pure Java file
 * writing ({@link EventWriter}): headless runs log too. A resumed run starts a new file in the same directory;
 * TensorBoard reads them all. If the log cannot be written the run goes on and its summary says why.
 */
public final class TensorBoardLog implements RunListener {
    static final String PREFIX = "events.out.tfevents.";

    private final long createdMillis = System.currentTimeMillis();
    private EventWriter writer;
    private long reconLogged = Long.MIN_VALUE;
    private boolean failed;

    @Override
    public void onMetrics(RunEvent run, StepMetrics m) {
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("train/loss", m.loss());
        s.put("train/lr", m.lr());
        s.put("train/img_s", m.imgPerSec());
        s.put("train/epoch", m.epoch());
        m.parts().forEach((name, v) -> s.put("train/" + name, v));
        guarded(run, w -> w.scalars(m.step(), EventWriter.now(), s));
    }

    @Override
    public void onCheckpoint(RunEvent run) {
        Path png = run.dir().file(RunDirectory.RECON_PNG);
        try {
            if (!Files.isRegularFile(png)) return;
            long modified = Files.getLastModifiedTime(png).toMillis();
            if (modified < createdMillis - 1000 || modified == reconLogged) return;     // left by an earlier session, or unchanged
            byte[] bytes = Files.readAllBytes(png);
            int[] hwc = pngHeader(bytes);
            if (hwc == null) return;
            reconLogged = modified;
            guarded(run, w -> w.image(run.step(), EventWriter.now(), "reconstruction", hwc[0], hwc[1], hwc[2], bytes));
        } catch (IOException e) {
            fail(run, e);
        }
    }

    @Override
    public void onEnd(RunEvent run, String failure) {
        if (writer != null) writer.close();
        writer = null;
    }

    /** The event file, once this session has one. */
    public Path file() {
        return writer == null ? null : writer.path();
    }

    private void guarded(RunEvent run, java.util.function.Consumer<EventWriter> write) {
        if (failed) return;
        try {
            if (writer == null) writer = open(run.dir().path());
            write.accept(writer);
        } catch (UncheckedIOException e) {
            fail(run, e);
        }
    }

    private void fail(RunEvent run, Exception e) {
        failed = true;
        run.note("TensorBoard log stopped: " + e.getMessage());
    }

    /** {@code events.out.tfevents.<unix seconds>.<host>}; a second file in the same second gets a numeric suffix. */
    private static EventWriter open(Path dir) {
        String base = PREFIX + System.currentTimeMillis() / 1000 + "." + host();
        for (int i = 0; ; i++) {
            Path p = dir.resolve(i == 0 ? base : base + "." + i);
            try {
                return new EventWriter(p);
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof FileAlreadyExistsException) || i > 100) throw e;
            }
        }
    }

    private static String host() {
        String h = System.getenv("HOSTNAME");
        if (h == null || h.isBlank()) {
            try {
                h = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                h = "localhost";
            }
        }
        return h.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** {height, width, colorspace} from a PNG's IHDR chunk (colour type 0/2/4/6 → TensorBoard's 1/3/2/4), or null. */
    static int[] pngHeader(byte[] png) {
        if (png.length < 26 || (png[0] & 0xff) != 0x89 || png[1] != 'P' || png[12] != 'I' || png[15] != 'R') return null;
        int width = java.nio.ByteBuffer.wrap(png, 16, 4).getInt(), height = java.nio.ByteBuffer.wrap(png, 20, 4).getInt();
        int colorspace = switch (png[25]) {
            case 0 -> 1;
            case 4 -> 2;
            case 6 -> 4;
            default -> 3;              // RGB, and palette images (decoded to RGB)
        };
        return new int[] {height, width, colorspace};
    }
}
