package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.UnaryOp;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The op codes Java passes to the kernels must match the enums in common.cuh. This parses the CUDA header
 * (the module's source folder; Surefire runs in the module directory) and compares name by name, so adding a
 * UnaryOp/BinaryOp without its CUDA case fails here on CI rather than as NaNs on a GPU.
 */
class OpCodesTest {

    private static Map<String, Integer> codes(String prefix) throws IOException {
        String src = Files.readString(CudaSources.dir().resolve("common.cuh"));
        Map<String, Integer> m = new HashMap<>();
        Matcher mt = Pattern.compile("\\b" + prefix + "_([A-Z_]+) = (\\d+),").matcher(src);
        while (mt.find()) m.put(mt.group(1), Integer.parseInt(mt.group(2)));
        return m;
    }

    @Test
    void unaryCodesMatchCommonCuh() throws IOException {
        Map<String, Integer> cuda = codes("U");
        assertEquals(UnaryOp.values().length, cuda.size(), "UnaryCode has one entry per UnaryOp: " + cuda);
        for (UnaryOp op : UnaryOp.values()) {
            assertTrue(cuda.containsKey(op.name()), "common.cuh lacks U_" + op.name());
            assertEquals(cuda.get(op.name()), StridedCuda.code(op), "code of " + op);
        }
    }

    @Test
    void binaryCodesMatchCommonCuh() throws IOException {
        Map<String, Integer> cuda = codes("B");
        assertEquals(BinaryOp.values().length, cuda.size(), "BinaryCode has one entry per BinaryOp: " + cuda);
        for (BinaryOp op : BinaryOp.values()) {
            assertTrue(cuda.containsKey(op.name()), "common.cuh lacks B_" + op.name());
            assertEquals(cuda.get(op.name()), StridedCuda.code(op), "code of " + op);
        }
    }
}
