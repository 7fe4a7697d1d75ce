package dev.tessera.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.testing.Backends;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TensorBoard log every run directory gets, read back by an independent reader: the TFRecord framing with
 * java.util.zip.CRC32C and the masking formula of tensorflow/core/lib/hash/crc32c.h, and the protobuf messages with
 * protobuf-java's schema-less {@link UnknownFieldSet} parser, by the standard field numbers of event.proto and
 * summary.proto. The values must be metrics.jsonl's and recon.png's.
 */
class TensorBoardLogTest {
    private static final Backend CPU = Backends.cpu();

    @TempDir
    Path tmp;

    /** One decoded event: step, file_version (or null) and its summary values. */
    record Event(double wallTime, long step, String fileVersion, Map<String, Float> scalars, Map<String, UnknownFieldSet> images) {}

    static List<Event> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] len = new byte[8];
            b.get(len);
            assertEquals(masked(len), b.getInt(), "length CRC of record " + events.size());
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] data = new byte[(int) n];
            b.get(data);
            assertEquals(masked(data), b.getInt(), "data CRC of record " + events.size());
            UnknownFieldSet e = UnknownFieldSet.parseFrom(data);
            double wall = Double.longBitsToDouble(e.getField(1).getFixed64List().getFirst());
            long step = e.getField(2).getVarintList().isEmpty() ? 0 : e.getField(2).getVarintList().getFirst();
            String version = e.hasField(3) ? e.getField(3).getLengthDelimitedList().getFirst().toStringUtf8() : null;
            Map<String, Float> scalars = new LinkedHashMap<>();
            Map<String, UnknownFieldSet> images = new LinkedHashMap<>();
            if (e.hasField(5)) {
                for (ByteString v : UnknownFieldSet.parseFrom(e.getField(5).getLengthDelimitedList().getFirst()).getField(1).getLengthDelimitedList()) {
                    UnknownFieldSet value = UnknownFieldSet.parseFrom(v);
                    String tag = value.getField(1).getLengthDelimitedList().getFirst().toStringUtf8();
                    if (value.hasField(2)) scalars.put(tag, Float.intBitsToFloat(value.getField(2).getFixed32List().getFirst()));
                    if (value.hasField(4)) images.put(tag, UnknownFieldSet.parseFrom(value.getField(4).getLengthDelimitedList().getFirst()));
                }
            }
            events.add(new Event(wall, step, version, scalars, images));
        }
        return events;
    }

    /** crc32c.h's Mask: rotate right by 15 bits and add a constant. */
    static int masked(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        int crc = (int) c.getValue();
        return Integer.rotateRight(crc, 15) + 0xa282ead8;
    }

    static Path eventFile(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents.")).toList();
            assertEquals(1, files.size(), "one event file in " + dir + ": " + files);
            return files.getFirst();
        }
    }

    @Test
    void everyMetricsLineAndEveryReconstructionIsAnEvent() throws IOException {
        Path dir = tmp.resolve("mae");
        new Trainer(MaeObjective.create(TrainerTest.tinyMae(), CPU, 5), SyntheticImages.fashionSized(3),
                TrainerTest.base("mae").steps(6).logEvery(2).checkpointEvery(4).build())
                .heldOut(new SyntheticImages(16, 1, 28, 28, 4)).output(dir).listen(new Pictures()).log(null, false).run();
        List<Event> events = read(eventFile(dir));
        assertEquals("brain.Event:2", events.getFirst().fileVersion(), "the first event names the file version");
        List<StepMetrics> metrics = RunDirectory.existing(dir).readMetrics();
        List<Event> scalars = events.stream().filter(e -> !e.scalars().isEmpty()).toList();
        assertEquals(metrics.size(), scalars.size());
        for (int i = 0; i < metrics.size(); i++) {
            StepMetrics m = metrics.get(i);
            Event e = scalars.get(i);
            assertEquals(m.step(), e.step());
            assertEquals((float) m.loss(), e.scalars().get("train/loss"));
            assertEquals((float) m.lr(), e.scalars().get("train/lr"));
            assertEquals((float) m.imgPerSec(), e.scalars().get("train/img_s"));
            assertEquals((float) m.epoch(), e.scalars().get("train/epoch"));
            assertTrue(Math.abs(e.wallTime() - System.currentTimeMillis() / 1000.0) < 600, "wall time in seconds: " + e.wallTime());
        }
        List<Event> images = events.stream().filter(e -> !e.images().isEmpty()).toList();
        assertEquals(List.of(4L, 6L), images.stream().map(Event::step).toList(), "one picture per checkpoint");
        UnknownFieldSet last = images.getLast().images().get("reconstruction");
        byte[] png = Files.readAllBytes(dir.resolve(RunDirectory.RECON_PNG));
        assertArrayEquals(png, last.getField(4).getLengthDelimitedList().getFirst().toByteArray(), "the PNG of the last recon.png");
        var decoded = ImageIO.read(dir.resolve(RunDirectory.RECON_PNG).toFile());
        assertEquals(decoded.getHeight(), last.getField(1).getVarintList().getFirst());
        assertEquals(decoded.getWidth(), last.getField(2).getVarintList().getFirst());
    }

    @Test
    void caeTermsAndTheClippedGradientNormAreScalars() throws IOException {
        Path dir = tmp.resolve("cae");
        new Trainer(CaeObjective.create(TrainerTest.tinyCae(), CPU, 3, null), SyntheticImages.fashionSized(6),
                TrainerTest.base("cae").steps(3).build()).output(dir).log(null, false).run();
        List<StepMetrics> metrics = RunDirectory.existing(dir).readMetrics();
        List<Event> scalars = read(eventFile(dir)).stream().filter(e -> !e.scalars().isEmpty()).toList();
        assertEquals(3, scalars.size());
        for (int i = 0; i < 3; i++) {
            Map<String, Double> parts = metrics.get(i).parts();
            for (String term : List.of("loss_main", "loss_align", "grad_norm")) {
                assertEquals(parts.get(term).floatValue(), scalars.get(i).scalars().get("train/" + term), term + " at step " + (i + 1));
            }
        }
        assertTrue(read(eventFile(dir)).stream().allMatch(e -> e.images().isEmpty()), "a headless run logs no pictures");
    }
}
