package dev.tessera.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The pickle machine on byte strings that CPython 3.11 wrote ({@code pickle.dumps(obj, protocol=P).hex()}; the
 * Python object is in each test's comment), so the expected values are the objects Python pickled, not anything
 * this reader computed.
 */
class PickleTest {

    private static Object load(String hex, Pickle.Classes classes) {
        return Pickle.load(HexFormat.of().parseHex(hex), "test.pkl", classes, null);
    }

    // {"a": [1, -2, 300, 70000, 2**40, -2**70, 1.5, True, None, "héllo", b"\x00\x01", (1, 2), (), (3,)], "b": {"x": 1}}
    private static final String PLAIN_P4 = "80049560000000000000007d94288c0161945d94284b014afeffffff4d2c014a701101008a060000000000018a09"
            + "0000000000000000c0473ff8000000000000884e8c0668c3a96c6c6f9443020001944b014b028694294b038594658c0162947d948c0178944b0173752e";
    private static final String PLAIN_P2 = "80027d71002858010000006171015d7102284b014afeffffff4d2c014a701101008a060000000000018a09000000"
            + "0000000000c0473ff8000000000000884e580600000068c3a96c6c6f7103635f636f646563730a656e636f64650a710458020000000001710558060000"
            + "006c6174696e3171068671075271084b014b02867109294b0385710a65580100000062710b7d710c580100000078710d4b0173752e";

    @Test
    void plainDataProtocol4() {
        checkPlain(load(PLAIN_P4, Pickle.Classes.none()));
    }

    @Test
    void plainDataProtocol2WithBytesAsLatin1Text() {
        // protocol 2 writes bytes as _codecs.encode(text, 'latin1'): allowed by the state-dict whitelist, refused by none()
        checkPlain(load(PLAIN_P2, TorchCheckpoint.STATE_DICT_CLASSES));
        PickleException e = assertThrows(PickleException.class, () -> load(PLAIN_P2, Pickle.Classes.none()));
        assertEquals("_codecs.encode", e.refusedGlobal());
    }

    private static void checkPlain(Object o) {
        Map<?, ?> m = assertInstanceOf(Map.class, o);
        List<?> a = assertInstanceOf(List.class, m.get("a"));
        assertEquals(1L, a.get(0));
        assertEquals(-2L, a.get(1));
        assertEquals(300L, a.get(2));
        assertEquals(70000L, a.get(3));
        assertEquals(1L << 40, a.get(4));
        assertEquals(BigInteger.TWO.pow(70).negate(), a.get(5));
        assertEquals(1.5, a.get(6));
        assertEquals(Boolean.TRUE, a.get(7));
        assertNull(a.get(8));
        assertEquals("héllo", a.get(9));
        assertArrayEquals(new byte[] {0, 1}, (byte[]) a.get(10));
        assertEquals(new Pickle.Tuple(List.of(1L, 2L)), a.get(11));
        assertEquals(new Pickle.Tuple(List.of()), a.get(12));
        assertEquals(new Pickle.Tuple(List.of(3L)), a.get(13));
        assertEquals(Map.of("x", 1L), m.get("b"));
    }

    @Test
    void protocol0Text() {
        // pickle.dumps({"a": [1, 2.5, "s", None, True]}, protocol=0)
        Object o = load("286470300a56610a70310a286c70320a49310a6146322e350a6156730a70330a614e614930310a61732e", Pickle.Classes.none());
        assertEquals(Map.of("a", java.util.Arrays.asList(1L, 2.5, "s", null, true)), o);
    }

    @Test
    void orderedDictThroughTheWhitelist() {
        // collections.OrderedDict([("k", 1), ("j", [1, 2])]), protocols 2 and 4 (GLOBAL vs STACK_GLOBAL)
        for (String hex : List.of("800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271012858010000006b71024b01580100"
                + "00006a71035d7104284b014b0265752e", "80049536000000000000008c0b636f6c6c656374696f6e73948c0b4f7264657265644469637494"
                + "9394295294288c016b944b018c016a945d94284b014b0265752e")) {
            Map<?, ?> m = assertInstanceOf(Map.class, load(hex, TorchCheckpoint.STATE_DICT_CLASSES));
            assertEquals(List.of("k", "j"), List.copyOf(m.keySet()));
            assertEquals(List.of(1L, 2L), m.get("j"));
        }
    }

    @Test
    void namespaceIsAnInertRecord() {
        // argparse.Namespace(lr=0.1, name="x"): NEWOBJ, then BUILD with its __dict__
        Pickle.PyObject ns = assertInstanceOf(Pickle.PyObject.class, load("80026361726770617273650a4e616d6573706163650a7100298171017d"
                + "71022858020000006c727103473fb999999999999a58040000006e616d657104580100000078710575622e", TorchCheckpoint.STATE_DICT_CLASSES));
        assertEquals("argparse.Namespace", ns.type().qualified());
        assertEquals(0.1, ns.attribute("lr"));
        assertEquals("x", ns.attribute("name"));
    }

    @Test
    void reduceCallingOsSystemIsRefusedAtItsName() {
        // {"model": {}, "x": Evil()} where Evil.__reduce__ returns (os.system, ("echo pwned",)); protocols 2 and 4
        for (String hex : List.of("80027d71002858050000006d6f64656c71017d7102580100000078710363706f7369780a73797374656d0a7104580a00"
                + "00006563686f2070776e65647105857106527107752e", "80049537000000000000007d94288c056d6f64656c947d948c0178948c05706f"
                + "736978948c0673797374656d9493948c0a6563686f2070776e65649485945294752e")) {
            PickleException e = assertThrows(PickleException.class, () -> load(hex, TorchCheckpoint.STATE_DICT_CLASSES));
            assertEquals("posix.system", e.refusedGlobal());
            assertTrue(e.getMessage().startsWith("test.pkl: refusing to unpickle 'posix.system'"), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), "one line");
        }
    }

    @Test
    void aConstantMayNotBeCalled() {
        // GLOBAL torch.FloatStorage, EMPTY_TUPLE, REDUCE, STOP: a storage type is a tag, never a callable
        String hex = "800263746f7263680a466c6f617453746f726167650a29522e";
        PickleException e = assertThrows(PickleException.class, () -> load(hex, TorchCheckpoint.STATE_DICT_CLASSES));
        assertEquals("torch.FloatStorage", e.refusedGlobal());
        assertTrue(e.getMessage().contains("refusing to call 'torch.FloatStorage'"), e.getMessage());
    }

    @Test
    void damagedDataFailsWithThePosition() {
        String truncated = PLAIN_P4.substring(0, 60);
        PickleException e = assertThrows(PickleException.class, () -> load(truncated, Pickle.Classes.none()));
        assertTrue(e.getMessage().startsWith("test.pkl: pickle byte "), e.getMessage());
        // BINUNICODE claiming 2^31 bytes
        PickleException big = assertThrows(PickleException.class, () -> load("800258ffffff7f2e", Pickle.Classes.none()));
        assertTrue(big.getMessage().contains("runs past the end of the data"), big.getMessage());
        PickleException ext = assertThrows(PickleException.class, () -> load("8002820100", Pickle.Classes.none()));
        assertTrue(ext.getMessage().contains("extension registry"), ext.getMessage());
    }

    @Test
    void recordClassesCanBeAdded() {
        // the same Namespace bytes, read with only a record class added to none(): the extension mechanism alone
        Pickle.Classes c = Pickle.Classes.none().withRecords("argparse.Namespace");
        Object o = load("80026361726770617273650a4e616d6573706163650a7100298171017d71022858020000006c727103473fb999999999999a58"
                + "040000006e616d657104580100000078710575622e", c);
        assertEquals("x", ((Pickle.PyObject) o).attribute("name"));
    }
}
