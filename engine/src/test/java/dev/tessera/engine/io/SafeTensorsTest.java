package dev.tessera.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    final Backend be = Backends.cpu();

    // ------------------------------------------------------------------ round trips

    @Test
    void roundTripKeepsValuesShapesDtypesAndMetadata() throws IOException {
        Map<String, TensorData> in = new LinkedHashMap<>();
        in.put("z.weight", TensorData.f32(new float[] {1.5f, -2f, 3.25f, 0f, Float.MIN_VALUE, -0f}, 2, 3));
        in.put("labels", TensorData.i32(new int[] {7, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}, 4));
        in.put("step", TensorData.i64(new int[] {123456, -5}, 2));
        in.put("empty", TensorData.f32(new float[0], 0, 3));
        in.put("scalar", TensorData.f32(new float[] {42f}));
        Path p = dir.resolve("rt.safetensors");
        SafeTensors.write(p, in, Map.of("format", "pt", "epoch", "3"));
        SafeTensorsFile f = SafeTensors.read(p);
        assertEquals(List.of("empty", "labels", "scalar", "step", "z.weight"), List.copyOf(f.tensors().keySet()));
        assertEquals(Map.of("format", "pt", "epoch", "3"), f.metadata());
        for (var e : in.entrySet()) {
            TensorData t = f.get(e.getKey());
            assertEquals(e.getValue().dtype(), t.dtype(), e.getKey());
            assertArrayEquals(e.getValue().shape(), t.shape(), e.getKey());
            if (t.isFloating()) assertArrayEquals(e.getValue().floats(), t.floats(), e.getKey());
            else assertArrayEquals(e.getValue().ints(), t.ints(), e.getKey());
        }
        // Header padded with spaces so the data section starts 8-byte aligned.
        byte[] bytes = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"epoch\":\"3\",\"format\":\"pt\"},\"empty\":"), header);
        // 6·4 + 4·4 + 2·8 + 0 + 4 data bytes.
        assertEquals(8 + n + 24 + 16 + 16 + 4, bytes.length);
    }

    @Test
    void writingIsDeterministicWhateverTheMapOrder() throws IOException {
        Map<String, TensorData> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        TensorData x = TensorData.f32(new float[] {1, 2}, 2), y = TensorData.i32(new int[] {3}, 1);
        a.put("x", x);
        a.put("y", y);
        b.put("y", y);
        b.put("x", x);
        SafeTensors.write(dir.resolve("a.safetensors"), a, Map.of());
        SafeTensors.write(dir.resolve("b.safetensors"), b, Map.of());
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.safetensors")), Files.readAllBytes(dir.resolve("b.safetensors")));
        // The exact header: sorted names, offsets back to back, padded to 8 bytes.
        byte[] bytes = Files.readAllBytes(dir.resolve("a.safetensors"));
        String header = new String(bytes, 8, bytes.length - 8 - 12, StandardCharsets.UTF_8);
        String json = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertEquals(json + " ".repeat((8 - json.length() % 8) % 8), header);
    }

    @Test
    void moduleStateDictRoundTripThroughTensors() {
        Linear saved = new Linear(be, 3, 2, true, new Rng(1));
        saved.bias().tensor().copyFrom(new float[] {0.5f, -0.5f});
        Path p = dir.resolve("linear.safetensors");
        SafeTensors.writeTensors(p, saved.stateDict(), Map.of());
        Linear loaded = new Linear(be, 3, 2, true, new Rng(2));
        SafeTensorsFile f = SafeTensors.read(p);
        loaded.loadStateDict(f.floats(), f.shapes());
        assertArrayEquals(saved.weight().tensor().toArray(), loaded.weight().tensor().toArray());
        assertArrayEquals(new float[] {0.5f, -0.5f}, loaded.bias().tensor().toArray());
        Map<String, Tensor> t = SafeTensors.readTensors(p, be);
        assertArrayEquals(new int[] {2, 3}, t.get("weight").shape());
    }

    // ------------------------------------------------------------------ half precision

    @Test
    void f16AndBf16KnownBitPatterns() throws IOException {
        // IEEE half: 0x3C00 = 1, 0xC000 = −2, 0x7BFF = 65504 (max), 0x0001 = 2⁻²⁴ (min subnormal),
        // 0x3555 = 0.333251953125, 0x7C00 = +∞.
        short[] half = {0x3C00, (short) 0xC000, 0x7BFF, 0x0001, 0x3555, 0x7C00};
        float[] halfValues = {1f, -2f, 65504f, 0x1.0p-24f, 0.333251953125f, Float.POSITIVE_INFINITY};
        // bfloat16 is the top half of a float32: 0x3F80 = 1, 0xC0A0 = −5, 0x4049 = 3.140625,
        // 0x0080 = 2⁻¹²⁶ (min normal), 0xFF80 = −∞.
        short[] bf = {0x3F80, (short) 0xC0A0, 0x4049, 0x0080, (short) 0xFF80};
        float[] bfValues = {1f, -5f, 3.140625f, 0x1.0p-126f, Float.NEGATIVE_INFINITY};
        ByteBuffer data = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : half) data.putShort(s);
        for (short s : bf) data.putShort(s);
        Path p = raw("half.safetensors", "{\"h\":{\"dtype\":\"F16\",\"shape\":[6],\"data_offsets\":[0,12]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[5],\"data_offsets\":[12,22]}}", data.array());
        SafeTensorsFile f = SafeTensors.read(p);
        assertArrayEquals(halfValues, f.get("h").floats());
        assertArrayEquals(bfValues, f.get("b").floats());
        assertEquals("F16", f.get("h").dtype());

        // Writing converts back to the same bits.
        Path q = dir.resolve("half-out.safetensors");
        SafeTensors.write(q, Map.of("h", new TensorData("F16", new int[] {6}, halfValues, null),
                "b", new TensorData("BF16", new int[] {5}, bfValues, null)), Map.of());
        byte[] bytes = Files.readAllBytes(q);
        ByteBuffer back = ByteBuffer.wrap(bytes, bytes.length - 22, 22).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : bf) assertEquals(s, back.getShort()); // "b" sorts first
        for (short s : half) assertEquals(s, back.getShort());
        // bfloat16 rounds to nearest even: 1 + 2⁻⁸ is halfway between 0x3F80 and 0x3F81 → 0x3F80;
        // 1 + 3·2⁻⁸ is halfway between 0x3F81 and 0x3F82 → 0x3F82.
        assertEquals((short) 0x3F80, SafeTensors.toBfloat16(1f + 0x1.0p-8f));
        assertEquals((short) 0x3F82, SafeTensors.toBfloat16(1f + 3 * 0x1.0p-8f));
    }

    // ------------------------------------------------------------------ malformed files

    @Test
    void headerLengthProblems() throws IOException {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[5]);
        assertFormatError(tiny, "header length", "fewer than the 8-byte");
        assertFormatError(withLength("neg.safetensors", -1L, 16), "header length", "negative");
        assertFormatError(withLength("huge.safetensors", 100_000_001L, 16), "header length", "exceeds the limit of 100000000");
        assertFormatError(withLength("past.safetensors", 1000L, 16), "header length", "do not fit in a file of 24 bytes");
    }

    @Test
    void jsonProblems() throws IOException {
        assertFormatError(raw("syntax.safetensors", "{\"a\": ", new byte[0]), "header JSON", "");
        assertFormatError(raw("array.safetensors", "[1, 2]", new byte[0]), "header JSON", "must be an object");
        assertFormatError(raw("dup.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "header JSON", "Duplicate field 'a'");
        assertFormatError(raw("meta.safetensors", "{\"__metadata__\":{\"epoch\":3}}", new byte[0]),
                "__metadata__.epoch", "must be a string");
        assertFormatError(raw("meta2.safetensors", "{\"__metadata__\":[\"x\"]}", new byte[0]), "__metadata__", "must be an object");
    }

    @Test
    void entryProblems() throws IOException {
        assertFormatError(one("unknown", "\"F33\"", "[1]", "[0,4]", 4), "tensor 't'.dtype", "unknown dtype 'F33'");
        assertFormatError(one("f64", "\"F64\"", "[1]", "[0,8]", 8), "tensor 't'.dtype", "F64 is a safetensors dtype Tessera does not read");
        assertFormatError(one("negshape", "\"F32\"", "[-1]", "[0,4]", 4), "tensor 't'.shape", "not a non-negative integer");
        assertFormatError(one("fracshape", "\"F32\"", "[1.5]", "[0,4]", 4), "tensor 't'.shape", "not a non-negative integer");
        assertFormatError(one("offsets3", "\"F32\"", "[1]", "[0,4,8]", 4), "tensor 't'.data_offsets", "must have 2 entries");
        assertFormatError(one("reversed", "\"F32\"", "[0]", "[4,0]", 4), "tensor 't'.data_offsets", "begin 4 > end 0");
        assertFormatError(one("beyond", "\"F32\"", "[4]", "[0,16]", 8), "tensor 't'.data_offsets", "beyond the data section of 8 bytes");
        assertFormatError(one("count", "\"F32\"", "[3]", "[0,8]", 8), "tensor 't'.data_offsets",
                "holds 8 bytes but shape [3] of F32 needs 12");
        ByteBuffer big = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        assertFormatError(raw("i64.safetensors", "{\"t\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", big.array()),
                "tensor 't'", "I64 value 1099511627776 at index 0 does not fit in int32");
    }

    @Test
    void offsetsMustTileTheDataSection() throws IOException {
        String f32 = "{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%d,%d]}";
        assertFormatError(raw("gap.safetensors", "{\"a\":" + f32.formatted(1, 0, 4) + ",\"b\":" + f32.formatted(1, 8, 12) + "}",
                new byte[12]), "tensor 'b'.data_offsets", "bytes [4, 8) of the data section belong to no tensor");
        assertFormatError(raw("overlap.safetensors", "{\"a\":" + f32.formatted(2, 0, 8) + ",\"b\":" + f32.formatted(2, 4, 12) + "}",
                new byte[12]), "tensor 'b'.data_offsets", "[4, 12) overlaps tensor 'a' [0, 8)");
        assertFormatError(raw("trailing.safetensors", "{\"a\":" + f32.formatted(2, 0, 8) + "}", new byte[12]),
                "data section", "12 bytes, but the tensors cover only the first 8");
        // Tensors listed out of order and a zero-size tensor in between are fine.
        SafeTensorsFile ok = SafeTensors.read(raw("ok.safetensors", "{\"b\":" + f32.formatted(1, 4, 8) + ",\"e\":"
                + f32.formatted(0, 4, 4) + ",\"a\":" + f32.formatted(1, 0, 4) + "}", new byte[8]));
        assertEquals(List.of("b", "e", "a"), List.copyOf(ok.tensors().keySet()));
    }

    @Test
    void missingFileNamesThePath() {
        Path p = dir.resolve("nope.safetensors");
        Exception e = assertThrows(RuntimeException.class, () -> SafeTensors.read(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
    }

    // ------------------------------------------------------------------ helpers

    private static void assertFormatError(Path p, String field, String problem) {
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(p));
        String msg = e.getMessage();
        assertTrue(msg.startsWith(p + ": " + field + ": ") && msg.contains(problem), "message: " + msg);
    }

    /** One tensor "t" with the given JSON fragments and {@code dataBytes} zero bytes of data. */
    private Path one(String name, String dtype, String shape, String offsets, int dataBytes) throws IOException {
        return raw(name + ".safetensors", "{\"t\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets
                + "}}", new byte[dataBytes]);
    }

    /** A file with a correct length prefix for {@code json}, then {@code data}. */
    private Path raw(String name, String json, byte[] data) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    /** A file whose length prefix is {@code length}, followed by {@code rest} bytes of '{'. */
    private Path withLength(String name, long length, int rest) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + rest).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(length);
        while (b.hasRemaining()) b.put((byte) '{');
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }
}
