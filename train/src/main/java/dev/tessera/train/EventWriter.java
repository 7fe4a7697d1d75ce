package dev.tessera.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A TensorBoard event file: a sequence of TFRecords, each an {@code Event} protocol buffer.
 *
 * <p>Framing (tensorflow/core/lib/io/record_writer.cc): {@code uint64 length}, {@code uint32 masked_crc32c(length)},
 * {@code data}, {@code uint32 masked_crc32c(data)}, all little-endian, where {@code masked(c) = ((c >>> 15) | (c << 17))
 * + 0xa282ead8} (crc32c.h: a CRC of data that contains CRCs is masked so it cannot be mistaken for one).
 *
 * <p>Messages (tensorboard/compat/proto/event.proto, summary.proto), only the fields written here:
 * <pre>
 *   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary { repeated Value value = 1; }
 *   Value   { string tag = 1; float simple_value = 2; Image image = 4; }
 *   Image   { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
 * </pre>
 * Encoded by hand in the protobuf wire format (varint keys {@code field << 3 | wire type}; wire type 0 varint, 1 fixed
 * 64-bit, 2 length-delimited, 5 fixed 32-bit): five small messages do not justify a protobuf runtime and generated
 * classes in the distribution. Every record is one write call, so a reader never sees half a record, and the file
 * is opened for appending only.
 */
final class EventWriter implements AutoCloseable {
    /** What the first event of every file says; TensorBoard checks the "brain.Event:" prefix. */
    static final String FILE_VERSION = "brain.Event:2";

    private final Path path;
    private final FileChannel channel;

    EventWriter(Path path) {
        this.path = path;
        try {
            channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + path + ": " + e.getMessage(), e);
        }
        write(event(now(), 0, w -> w.string(3, FILE_VERSION)));
    }

    Path path() {
        return path;
    }

    /** One event with a scalar per entry of {@code scalars} (tag → value). */
    void scalars(long step, double wallTime, Map<String, Double> scalars) {
        write(event(wallTime, step, e -> e.message(5, summary -> scalars.forEach((tag, v) ->
                summary.message(1, value -> value.string(1, tag).fixed32(2, Float.floatToRawIntBits(v.floatValue())))))));
    }

    /** One event with an encoded image (PNG bytes) of {@code height × width}; colorspace 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
    void image(long step, double wallTime, String tag, int height, int width, int colorspace, byte[] encoded) {
        write(event(wallTime, step, e -> e.message(5, summary -> summary.message(1, value -> value.string(1, tag).message(4, image ->
                image.varint(1, height).varint(2, width).varint(3, colorspace).bytes(4, encoded))))));
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    private static byte[] event(double wallTime, long step, java.util.function.Consumer<Proto> body) {
        Proto e = new Proto().fixed64(1, Double.doubleToRawLongBits(wallTime)).varint(2, step);
        body.accept(e);
        return e.bytes();
    }

    private void write(byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(data.length);
        b.putInt(maskedCrc(b.array(), 0, 8));
        b.put(data);
        b.putInt(maskedCrc(data, 0, data.length));
        b.flip();
        try {
            while (b.hasRemaining()) channel.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + path + ": " + e.getMessage(), e);
        }
    }

    static int maskedCrc(byte[] data, int from, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, from, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + path + ": " + e.getMessage(), e);
        }
    }

    /** A protobuf message being encoded: fields appended in the order given. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long v) {
            key(field, 0);
            raw(v);
            return this;
        }

        Proto fixed64(int field, long bits) {
            key(field, 1);
            for (int i = 0; i < 8; i++) out.write((int) (bits >>> (8 * i)));
            return this;
        }

        Proto fixed32(int field, int bits) {
            key(field, 5);
            for (int i = 0; i < 4; i++) out.write(bits >>> (8 * i));
            return this;
        }

        Proto bytes(int field, byte[] b) {
            key(field, 2);
            raw(b.length);
            out.writeBytes(b);
            return this;
        }

        Proto string(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, java.util.function.Consumer<Proto> body) {
            Proto m = new Proto();
            body.accept(m);
            return bytes(field, m.bytes());
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void key(int field, int wireType) {
            raw((long) field << 3 | wireType);
        }

        /** Base-128 varint, least significant group first; a negative value takes all 10 bytes, as protobuf's int64. */
        private void raw(long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) (v & 0x7f) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
