package dev.tessera.engine.io;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reader and writer of the safetensors format (huggingface/safetensors README and {@code tensor.rs}):
 * an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON mapping each tensor
 * name to {@code {"dtype", "shape", "data_offsets": [begin, end)}} (offsets relative to the data section)
 * plus an optional {@code "__metadata__"} string→string map, then the raw little-endian row-major bytes.
 *
 * <p>Reading validates what the reference implementation enforces, and a little more, so a damaged
 * checkpoint fails with a message naming the file and field rather than loading garbage: header length
 * (negative, above 100,000,000, or past the end of the file), JSON syntax and duplicate keys, each entry's
 * dtype, shape and offsets, byte counts, and that the tensors tile the data section exactly. F32, F16 and
 * BF16 are read as float32; I32 and I64 as int32 (I64 values outside int32 are an error).
 *
 * <p>Writing is deterministic (tensors sorted by name, metadata sorted by key), pads the header with spaces
 * to a multiple of 8 bytes so the data section is 8-byte aligned, and always goes through
 * {@link AtomicFile}.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Dtypes Tessera reads and writes. */
    static final Set<String> SUPPORTED = Set.of("F32", "F16", "BF16", "I32", "I64");

    /** Every dtype the format defines; those not in {@link #SUPPORTED} are recognised but refused. */
    private static final Set<String> KNOWN = Set.of("BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16",
            "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64", "C64", "F4", "F6_E2M3", "F6_E3M2");

    /** The reference implementation's MAX_HEADER_SIZE. */
    static final long MAX_HEADER = 100_000_000L;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static int dtypeSize(String dtype) {
        return switch (dtype) {
            case "F16", "BF16" -> 2;
            case "F32", "I32" -> 4;
            case "I64" -> 8;
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
        };
    }

    // ================================================================== reading

    /** One header entry before its bytes are read. */
    private record Entry(String name, String dtype, int[] shape, long begin, long end) {}

    /** Reads and validates a whole file. */
    public static SafeTensorsFile read(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            if (size < 8) fail(path, "header length", "the file has " + size + " bytes, fewer than the 8-byte header length");
            ByteBuffer lenBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBytes, 0);
            long n = lenBytes.getLong(0);
            if (n < 0) fail(path, "header length", Long.toUnsignedString(n) + " is negative as a signed 64-bit value");
            if (n > MAX_HEADER) fail(path, "header length", n + " exceeds the limit of " + MAX_HEADER + " bytes");
            if (8 + n > size) {
                fail(path, "header length", n + " bytes of header do not fit in a file of " + size + " bytes");
            }
            ByteBuffer header = ByteBuffer.allocate((int) n);
            readFully(ch, header, 8);
            JsonNode root = parseHeader(path, header.array());
            long dataSize = size - 8 - n;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = parseEntries(path, root, dataSize, metadata);
            checkTiling(path, entries, dataSize);
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            MemorySegment data = dataSize == 0 ? MemorySegment.NULL
                    : ch.map(FileChannel.MapMode.READ_ONLY, 8 + n, dataSize, arena);
            for (Entry e : entries) tensors.put(e.name(), decode(path, e, data));
            return new SafeTensorsFile(tensors, metadata);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("safetensors file " + path + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read safetensors file " + path + ": " + e, e);
        }
    }

    private static JsonNode parseHeader(Path path, byte[] header) {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw new SafeTensorsFormatException(path + ": header JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (root == null || !root.isObject()) {
            fail(path, "header JSON", "must be an object, got " + (root == null ? "nothing" : root.getNodeType()));
        }
        return root;
    }

    private static List<Entry> parseEntries(Path path, JsonNode root, long dataSize, Map<String, String> metadata) {
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) fail(path, "__metadata__", "must be an object of strings, got " + v.getNodeType());
                v.fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) {
                        fail(path, "__metadata__." + m.getKey(), "must be a string, got " + m.getValue().getNodeType());
                    }
                    metadata.put(m.getKey(), m.getValue().textValue());
                });
                continue;
            }
            String field = "tensor '" + name + "'";
            if (!v.isObject()) fail(path, field, "entry must be an object, got " + v.getNodeType());
            JsonNode dt = v.get("dtype");
            if (dt == null || !dt.isTextual()) fail(path, field + ".dtype", "missing or not a string");
            String dtype = dt.textValue();
            if (!KNOWN.contains(dtype)) fail(path, field + ".dtype", "unknown dtype '" + dtype + "'");
            if (!SUPPORTED.contains(dtype)) {
                fail(path, field + ".dtype", dtype + " is a safetensors dtype Tessera does not read (supported: F32, F16, BF16, I32, I64)");
            }
            long[] shapeL = longArray(path, field + ".shape", v.get("shape"), -1);
            int[] shape = new int[shapeL.length];
            long numel = 1;
            for (int i = 0; i < shapeL.length; i++) {
                if (shapeL[i] > Integer.MAX_VALUE) fail(path, field + ".shape", "dimension " + shapeL[i] + " is too large");
                shape[i] = (int) shapeL[i];
                numel = multiply(path, field + ".shape", numel, shapeL[i]);
            }
            if (numel > Integer.MAX_VALUE) {
                fail(path, field + ".shape", Arrays.toString(shape) + " has " + numel + " elements; one tensor holds at most 2^31-1");
            }
            long[] off = longArray(path, field + ".data_offsets", v.get("data_offsets"), 2);
            if (off[0] > off[1]) fail(path, field + ".data_offsets", "begin " + off[0] + " > end " + off[1]);
            if (off[1] > dataSize) {
                fail(path, field + ".data_offsets", "[" + off[0] + ", " + off[1] + ") lies beyond the data section of "
                        + dataSize + " bytes");
            }
            long bytes = numel * dtypeSize(dtype);
            if (off[1] - off[0] != bytes) {
                fail(path, field + ".data_offsets", "[" + off[0] + ", " + off[1] + ") holds " + (off[1] - off[0])
                        + " bytes but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes);
            }
            entries.add(new Entry(name, dtype, shape, off[0], off[1]));
        }
        return entries;
    }

    /** A JSON array of non-negative integers ({@code length} of them unless −1). */
    private static long[] longArray(Path path, String field, JsonNode node, int length) {
        if (node == null || !node.isArray()) fail(path, field, "missing or not an array");
        if (length >= 0 && node.size() != length) fail(path, field, "must have " + length + " entries, has " + node.size());
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = node.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToLong() || x.longValue() < 0) {
                fail(path, field, "entry " + i + " (" + x + ") is not a non-negative integer");
            }
            out[i] = x.longValue();
        }
        return out;
    }

    private static long multiply(Path path, String field, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new SafeTensorsFormatException(path + ": " + field + ": element count overflows");
        }
    }

    /** The byte ranges, sorted, must cover [0, dataSize) exactly: no gap, no overlap, nothing left over. */
    private static void checkTiling(Path path, List<Entry> entries, long dataSize) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() > covered) {
                fail(path, "tensor '" + e.name() + "'.data_offsets", "bytes [" + covered + ", " + e.begin()
                        + ") of the data section belong to no tensor (gap)");
            }
            if (e.begin() < covered) {
                fail(path, "tensor '" + e.name() + "'.data_offsets", "[" + e.begin() + ", " + e.end() + ") overlaps tensor '"
                        + previous.name() + "' [" + previous.begin() + ", " + previous.end() + ")");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != dataSize) {
            fail(path, "data section", dataSize + " bytes, but the tensors cover only the first " + covered);
        }
    }

    private static TensorData decode(Path path, Entry e, MemorySegment data) {
        int n = (int) ((e.end() - e.begin()) / dtypeSize(e.dtype()));
        long at = e.begin();
        switch (e.dtype()) {
            case "F32" -> {
                float[] f = new float[n];
                MemorySegment.copy(data, F32_LE, at, f, 0, n);
                return new TensorData("F32", e.shape(), f, null);
            }
            case "F16", "BF16" -> {
                short[] s = new short[n];
                MemorySegment.copy(data, I16_LE, at, s, 0, n);
                float[] f = new float[n];
                boolean half = e.dtype().equals("F16");
                for (int i = 0; i < n; i++) f[i] = half ? Float.float16ToFloat(s[i]) : Float.intBitsToFloat((s[i] & 0xffff) << 16);
                return new TensorData(e.dtype(), e.shape(), f, null);
            }
            case "I32" -> {
                int[] v = new int[n];
                MemorySegment.copy(data, I32_LE, at, v, 0, n);
                return new TensorData("I32", e.shape(), null, v);
            }
            case "I64" -> {
                long[] l = new long[n];
                MemorySegment.copy(data, I64_LE, at, l, 0, n);
                int[] v = new int[n];
                for (int i = 0; i < n; i++) {
                    if (l[i] < Integer.MIN_VALUE || l[i] > Integer.MAX_VALUE) {
                        fail(path, "tensor '" + e.name() + "'", "I64 value " + l[i] + " at index " + i + " does not fit in int32");
                    }
                    v[i] = (int) l[i];
                }
                return new TensorData("I64", e.shape(), null, v);
            }
            default -> throw new IllegalStateException("unreachable: " + e.dtype());
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            int r = ch.read(dst, position + dst.position());
            if (r < 0) throw new IOException("unexpected end of file at byte " + (position + dst.position()));
        }
    }

    private static void fail(Path path, String field, String problem) {
        throw new SafeTensorsFormatException(path + ": " + field + ": " + problem);
    }

    // ================================================================== writing

    /** Writes {@code tensors} (any order; stored sorted by name) and {@code metadata} atomically to {@code path}. */
    public static void write(Path path, Map<String, TensorData> tensors, Map<String, String> metadata) {
        TreeMap<String, TensorData> sorted = new TreeMap<>(tensors);
        for (String name : sorted.keySet()) {
            if (name.isEmpty() || name.equals("__metadata__")) {
                throw new IllegalArgumentException("safetensors " + path + ": '" + name + "' cannot be a tensor name");
            }
        }
        byte[] header = header(sorted, new TreeMap<>(metadata));
        AtomicFile.write(path, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            for (TensorData t : sorted.values()) writeData(ch, t);
        });
    }

    /** The JSON header, space-padded to a multiple of 8 bytes. */
    private static byte[] header(TreeMap<String, TensorData> tensors, TreeMap<String, String> metadata) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart("__metadata__");
                for (var m : metadata.entrySet()) g.writeStringField(m.getKey(), m.getValue());
                g.writeEndObject();
            }
            long offset = 0;
            for (var e : tensors.entrySet()) {
                TensorData t = e.getValue();
                long bytes = (long) t.numel() * dtypeSize(t.dtype());
                g.writeObjectFieldStart(e.getKey());
                g.writeStringField("dtype", t.dtype());
                g.writeArrayFieldStart("shape");
                for (int d : t.shape()) g.writeNumber(d);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + bytes);
                g.writeEndArray();
                g.writeEndObject();
                offset += bytes;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int pad = (8 - out.size() % 8) % 8;
        for (int i = 0; i < pad; i++) out.write(' ');
        return out.toByteArray();
    }

    /** Streams one tensor's bytes in chunks of at most 1 Mi elements. */
    private static void writeData(FileChannel ch, TensorData t) throws IOException {
        int size = dtypeSize(t.dtype()), n = t.numel(), chunk = 1 << 20;
        ByteBuffer buf = ByteBuffer.allocate(Math.min(n, chunk) * size).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            buf.clear();
            for (int i = from; i < to; i++) {
                switch (t.dtype()) {
                    case "F32" -> buf.putFloat(t.floats()[i]);
                    case "F16" -> buf.putShort(Float.floatToFloat16(t.floats()[i]));
                    case "BF16" -> buf.putShort(toBfloat16(t.floats()[i]));
                    case "I32" -> buf.putInt(t.ints()[i]);
                    case "I64" -> buf.putLong(t.ints()[i]);
                    default -> throw new IllegalStateException("unreachable: " + t.dtype());
                }
            }
            buf.flip();
            writeFully(ch, buf);
        }
    }

    /** float32 → bfloat16 by round-to-nearest-even on the upper 16 bits (torch's conversion); NaN stays NaN. */
    static short toBfloat16(float f) {
        if (Float.isNaN(f)) return (short) 0x7fc0;
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    // ================================================================== tensors on a backend

    /** Reads a file into tensors on {@code backend}: floating dtypes as float32, integer dtypes as int32. */
    public static Map<String, Tensor> readTensors(Path path, Backend backend) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        read(path).tensors().forEach((n, t) -> out.put(n, t.isFloating()
                ? Tensor.of(backend, t.floats(), t.shape()) : Tensor.ofInts(backend, t.ints(), t.shape())));
        return out;
    }

    /** Writes tensors (e.g. {@code module.stateDict()}): float32 tensors as F32, int32 tensors as I32. */
    public static void writeTensors(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Map<String, TensorData> data = new LinkedHashMap<>();
        tensors.forEach((n, t) -> data.put(n, t.isInt() ? TensorData.i32(t.toIntArray(), t.shape())
                : TensorData.f32(t.toArray(), t.shape())));
        write(path, data, metadata);
    }
}
