package dev.tessera.engine.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A strict reader of Python's pickle format that never runs anything from the file: the opcodes of protocols 0
 * to 5 (Python's {@code Lib/pickletools.py} documents each one) are interpreted by a small stack machine, and
 * the only objects it builds are plain data — {@code None}, bools, ints ({@link Long}, or {@link BigInteger} past
 * 64 bits), floats ({@link Double}), {@link String}, {@code byte[]}, lists ({@link ArrayList}), tuples
 * ({@link Tuple}), dicts ({@link LinkedHashMap}), sets — plus what the {@link Classes whitelist} names.
 *
 * <p>A pickle names a Python callable with GLOBAL ("module\nname") and calls it with REDUCE, NEWOBJ or INST; an
 * ordinary unpickler imports and calls whatever the file names, which is how a checkpoint with a crafted
 * {@code __reduce__} runs {@code os.system}. Here a name that is not on the whitelist fails at the GLOBAL, before
 * anything could use it, with a one-line {@link PickleException} that names it. The whitelist maps each allowed
 * name to a Java function of the arguments (for example {@code torch._utils._rebuild_tensor_v2} to a tensor view
 * record, see {@link TorchCheckpoint}), to an inert {@link PyObject} record (for attribute bags such as
 * {@code argparse.Namespace}), or to a constant that is only passed around (the storage types).
 *
 * <p>Persistent ids (BINPERSID/PERSID: how {@code torch.save} refers to tensor storages kept outside the pickle)
 * go to the caller's loader. Out-of-band buffers (protocol 5) and the extension registry (EXT1/2/4) are refused.
 */
public final class Pickle {

    /** A Python tuple: immutable, equal by content (so it can key a dict, as tuples do). */
    public record Tuple(List<Object> items) {
        public Tuple {
            items = java.util.Collections.unmodifiableList(new ArrayList<>(items));
        }

        public Object get(int i) {
            return items.get(i);
        }

        public int size() {
            return items.size();
        }
    }

    /** A reference to a Python global (module + name) that the whitelist lets through as a value. */
    public record Global(String module, String name) {
        public String qualified() {
            return module + "." + name;
        }

        @Override
        public String toString() {
            return qualified();
        }
    }

    /**
     * An instance of a whitelisted record class: its class, the arguments it was created with, and the state that
     * BUILD gave it (usually its {@code __dict__}). Inert: no Python code is involved in making it.
     */
    public static final class PyObject {
        private final Global type;
        private final List<Object> args;
        private Object state;

        PyObject(Global type, List<Object> args) {
            this.type = type;
            this.args = List.copyOf(nullSafe(args));
        }

        private static List<Object> nullSafe(List<Object> a) {
            return a.stream().map(x -> x == null ? NONE : x).toList();
        }

        public Global type() {
            return type;
        }

        /** The constructor arguments (Python None appears as {@link Pickle#NONE}). */
        public List<Object> args() {
            return args;
        }

        /** What BUILD set: a dict of attributes for ordinary objects, null when never built. */
        public Object state() {
            return state;
        }

        /** The attribute {@code name} of a dict state, or null. */
        public Object attribute(String name) {
            return state instanceof Map<?, ?> m ? m.get(name) : null;
        }

        @Override
        public String toString() {
            return type + "(…)";
        }
    }

    /** Python's None where a Java null cannot stand (inside {@link PyObject#args()}). */
    public static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    /** Maps a persistent id (a tuple for torch.save, a string for protocol 0) to the object it stands for. */
    @FunctionalInterface
    public interface PersistentLoader {
        Object load(Object pid);
    }

    /** A whitelisted callable: builds a value from the call's arguments, without running any Python. */
    @FunctionalInterface
    public interface Callable {
        Object call(List<Object> args);
    }

    /**
     * The whitelist: the Python globals a pickle may name, and what each becomes. Immutable; {@code with…} returns
     * an extended copy, so a reader for another kind of file (a pickled module, say) starts from
     * {@link TorchCheckpoint#STATE_DICT_CLASSES} and adds its own record classes.
     */
    public static final class Classes {
        private final Map<String, Callable> callables;
        private final Set<String> constants;

        private Classes(Map<String, Callable> callables, Set<String> constants) {
            this.callables = Map.copyOf(callables);
            this.constants = Set.copyOf(constants);
        }

        /** Nothing but plain data. */
        public static Classes none() {
            return new Classes(Map.of(), Set.of());
        }

        /** Adds {@code module.name} as a callable that REDUCE or NEWOBJ turns into {@code fn(args)}. */
        public Classes withCallable(String qualifiedName, Callable fn) {
            Map<String, Callable> c = new HashMap<>(callables);
            c.put(qualifiedName, fn);
            return new Classes(c, constants);
        }

        /**
         * Adds classes whose instances become inert {@link PyObject} records: created by REDUCE/NEWOBJ/INST with
         * their arguments, given their state by BUILD. Right for attribute bags ({@code argparse.Namespace}) and
         * for reading pickled {@code nn.Module} trees as data ({@code _modules}, {@code _parameters}).
         */
        public Classes withRecords(String... qualifiedNames) {
            Map<String, Callable> c = new HashMap<>(callables);
            for (String n : qualifiedNames) {
                Global g = split(n);
                c.put(n, args -> new PyObject(g, args));
            }
            return new Classes(c, constants);
        }

        /** Adds globals that may appear as values only (type tags such as {@code torch.FloatStorage}); calling one is refused. */
        public Classes withConstants(String... qualifiedNames) {
            Set<String> s = new LinkedHashSet<>(constants);
            s.addAll(Arrays.asList(qualifiedNames));
            return new Classes(callables, s);
        }

        boolean allows(String qualified) {
            return callables.containsKey(qualified) || constants.contains(qualified);
        }

        Callable callable(String qualified) {
            return callables.get(qualified);
        }

        /** Every allowed name, sorted, for error messages. */
        public List<String> names() {
            List<String> all = new ArrayList<>(callables.keySet());
            all.addAll(constants);
            all.sort(null);
            return all;
        }

        private static Global split(String qualified) {
            int dot = qualified.lastIndexOf('.');
            if (dot <= 0) throw new IllegalArgumentException("'" + qualified + "' is not module.name");
            return new Global(qualified.substring(0, dot), qualified.substring(dot + 1));
        }
    }

    // ================================================================== the machine

    private static final Object MARK = new Object();

    private final ByteBuffer in;
    private final String source;
    private final Classes classes;
    private final PersistentLoader persistent;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private int opcodeAt;

    private Pickle(byte[] data, String source, Classes classes, PersistentLoader persistent) {
        this.in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        this.source = source;
        this.classes = classes;
        this.persistent = persistent;
    }

    /**
     * Reads one pickle from {@code data} and returns the object it describes.
     *
     * @param source     names the data in error messages (a file, or "FILE entry NAME")
     * @param persistent resolves persistent ids; null refuses them
     * @throws PickleException for damaged data, an unsupported opcode, or a global the whitelist does not allow
     */
    public static Object load(byte[] data, String source, Classes classes, PersistentLoader persistent) {
        return new Pickle(data, source, classes, persistent).run();
    }

    private Object run() {
        while (true) {
            if (!in.hasRemaining()) throw fail("the data ends without a STOP opcode");
            opcodeAt = in.position();
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int protocol = u8();
                    if (protocol > 5) throw fail("pickle protocol " + protocol + " is newer than 5");
                }
                case 0x95 -> long8();                                   // FRAME: a length hint only
                case '.' -> {                                           // STOP
                    Object result = pop();
                    if (!stack.isEmpty()) throw fail("STOP with " + stack.size() + " more values on the stack");
                    return result;
                }
                // ---- constants and numbers
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'K' -> push((long) u8());                          // BININT1
                case 'M' -> push((long) (int16() & 0xffff));           // BININT2
                case 'J' -> push((long) int32());                       // BININT
                case 0x8a -> push(longBytes(u8()));                     // LONG1
                case 0x8b -> push(longBytes(checkedLength(int32() & 0xffffffffL)));   // LONG4
                case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(long8()))); // BINFLOAT is big-endian
                case 'I' -> push(textInt(line()));                      // INT (protocol 0; "01"/"00" are bools)
                case 'L' -> push(textLong(line()));                     // LONG (protocol 0)
                case 'F' -> push(textFloat(line()));                    // FLOAT (protocol 0)
                // ---- strings and bytes
                case 'X' -> push(utf8(checkedLength(int32() & 0xffffffffL)));     // BINUNICODE
                case 0x8c -> push(utf8(u8()));                          // SHORT_BINUNICODE
                case 0x8d -> push(utf8(checkedLength(long8())));        // BINUNICODE8
                case 'V' -> push(rawUnicode(line()));                   // UNICODE (protocol 0)
                case 'T' -> push(latin1(checkedLength(int32() & 0xffffffffL)));   // BINSTRING (Python 2 str)
                case 'U' -> push(latin1(u8()));                         // SHORT_BINSTRING
                case 'S' -> push(quotedString(line()));                 // STRING (protocol 0)
                case 'B' -> push(bytes(checkedLength(int32() & 0xffffffffL)));    // BINBYTES
                case 'C' -> push(bytes(u8()));                          // SHORT_BINBYTES
                case 0x8e -> push(bytes(checkedLength(long8())));       // BINBYTES8
                case 0x96 -> push(bytes(checkedLength(long8())));       // BYTEARRAY8
                // ---- containers
                case '(' -> { marks.add(stack.size()); push(MARK); }    // MARK
                case ')' -> push(new Tuple(List.of()));                 // EMPTY_TUPLE
                case 't' -> push(new Tuple(popMark()));                 // TUPLE
                case 0x85 -> push(new Tuple(popN(1)));                  // TUPLE1
                case 0x86 -> push(new Tuple(popN(2)));                  // TUPLE2
                case 0x87 -> push(new Tuple(popN(3)));                  // TUPLE3
                case ']' -> push(new ArrayList<>());                    // EMPTY_LIST
                case 'l' -> push(new ArrayList<>(popMark()));           // LIST
                case 'a' -> { Object v = pop(); list(peek(), "APPEND").add(v); }
                case 'e' -> { List<Object> vs = popMark(); list(peek(), "APPENDS").addAll(vs); }
                case '}' -> push(new LinkedHashMap<>());                // EMPTY_DICT
                case 'd' -> push(dictOf(popMark()));                    // DICT
                case 's' -> { Object v = pop(), k = pop(); dict(peek(), "SETITEM").put(key(k), v); }
                case 'u' -> {                                           // SETITEMS
                    List<Object> kv = popMark();
                    Map<Object, Object> d = dict(peek(), "SETITEMS");
                    if (kv.size() % 2 != 0) throw fail("SETITEMS with an odd number of items");
                    for (int i = 0; i < kv.size(); i += 2) d.put(key(kv.get(i)), kv.get(i + 1));
                }
                case 0x8f -> push(new LinkedHashSet<>());               // EMPTY_SET
                case 0x90 -> { List<Object> vs = popMark(); set(peek()).addAll(vs); } // ADDITEMS
                case 0x91 -> push(java.util.Collections.unmodifiableSet(new LinkedHashSet<>(popMark()))); // FROZENSET
                // ---- stack and memo
                case '0' -> pop();                                      // POP
                case '1' -> popMark();                                  // POP_MARK
                case '2' -> push(peek());                               // DUP
                case 'p' -> memo.put(textLong(line()).longValue(), peek());   // PUT
                case 'q' -> memo.put((long) u8(), peek());              // BINPUT
                case 'r' -> memo.put(int32() & 0xffffffffL, peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek());      // MEMOIZE
                case 'g' -> push(memoGet(textLong(line()).longValue())); // GET
                case 'h' -> push(memoGet(u8()));                        // BINGET
                case 'j' -> push(memoGet(int32() & 0xffffffffL));   // LONG_BINGET
                // ---- globals and calls: only through the whitelist
                case 'c' -> { String module = line(); push(global(module, line())); } // GLOBAL
                case 0x93 -> {                                          // STACK_GLOBAL
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) throw fail("STACK_GLOBAL needs two strings");
                    push(global(m, n));
                }
                case 'R' -> { Object args = pop(), fn = pop(); push(call(fn, args, "REDUCE")); }
                case 0x81 -> { Object args = pop(), cls = pop(); push(call(cls, args, "NEWOBJ")); }
                case 0x92 -> {                                          // NEWOBJ_EX: cls, args, kwargs
                    Object kwargs = pop(), args = pop(), cls = pop();
                    if (!(kwargs instanceof Map<?, ?> k) || !k.isEmpty()) throw fail("NEWOBJ_EX with keyword arguments");
                    push(call(cls, args, "NEWOBJ_EX"));
                }
                case 'i' -> {                                           // INST: module, name, args after MARK
                    String module = line(), name = line();
                    List<Object> args = popMark();
                    push(call(global(module, name), new Tuple(args), "INST"));
                }
                case 'o' -> {                                           // OBJ: MARK cls args...
                    List<Object> items = popMark();
                    if (items.isEmpty()) throw fail("OBJ without a class");
                    push(call(items.getFirst(), new Tuple(items.subList(1, items.size())), "OBJ"));
                }
                case 'b' -> { Object state = pop(); build(peek(), state); }   // BUILD
                // ---- persistent ids
                case 'Q' -> push(persistentLoad(pop()));                // BINPERSID
                case 'P' -> push(persistentLoad(line()));               // PERSID
                case 0x82, 0x83, 0x84 -> throw fail("the extension registry (EXT opcodes) is not supported");
                case 0x97, 0x98 -> throw fail("out-of-band buffers (pickle protocol 5) are not supported");
                default -> throw fail(String.format("unknown opcode 0x%02x", op));
            }
        }
    }

    // ---- calls

    private Object global(String module, String name) {
        String q = module + "." + name;
        if (!classes.allows(q)) {
            throw new PickleException(source + ": refusing to unpickle '" + q + "': it is not one of the classes a state dict needs,"
                    + " and loading it would import and could run Python code", q);
        }
        return new Global(module, name);
    }

    private Object call(Object fn, Object args, String opcode) {
        if (!(fn instanceof Global g)) throw fail(opcode + " on " + describe(fn) + ", not a class or function");
        if (!(args instanceof Tuple t)) throw fail(opcode + " of " + g + " with " + describe(args) + " instead of an argument tuple");
        Callable c = classes.callable(g.qualified());
        if (c == null) throw new PickleException(source + ": refusing to call '" + g + "': it is allowed only as a value", g.qualified());
        try {
            return c.call(t.items());
        } catch (PickleException e) {
            throw e;
        } catch (RuntimeException e) {
            throw fail(g + ": " + e.getMessage());
        }
    }

    private void build(Object target, Object state) {
        if (target instanceof PyObject o) {
            o.state = state;
        } else if (target instanceof Map<?, ?> && state instanceof Map<?, ?>) {
            // An OrderedDict's own attributes (a state dict's _metadata: module versions, no weights); dropped.
        } else {
            throw fail("BUILD on " + describe(target) + " (only whitelisted records take state)");
        }
    }

    private Object persistentLoad(Object pid) {
        if (persistent == null) throw fail("persistent id " + describe(pid) + " but no loader for it");
        return persistent.load(pid);
    }

    // ---- stack

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty()) throw fail("stack underflow");
        Object o = stack.removeLast();
        if (o == MARK) throw fail("a MARK where a value was expected");
        return o;
    }

    private Object peek() {
        if (stack.isEmpty()) throw fail("stack underflow");
        Object o = stack.getLast();
        if (o == MARK) throw fail("a MARK where a value was expected");
        return o;
    }

    private List<Object> popN(int n) {
        if (stack.size() < n) throw fail("stack underflow");
        List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
        if (items.contains(MARK)) throw fail("a MARK where a value was expected");
        for (int i = 0; i < n; i++) stack.removeLast();
        return items;
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw fail("no MARK to pop to");
        int at = marks.removeLast();
        List<Object> items = new ArrayList<>(stack.subList(at + 1, stack.size()));
        while (stack.size() > at) stack.removeLast();
        return items;
    }

    private Object memoGet(long i) {
        if (!memo.containsKey(i)) throw fail("memo entry " + i + " was never stored");
        return memo.get(i);
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, String opcode) {
        if (o instanceof ArrayList<?> l) return (List<Object>) l;
        throw fail(opcode + " on " + describe(o));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o, String opcode) {
        if (o instanceof LinkedHashMap<?, ?> m) return (Map<Object, Object>) m;
        throw fail(opcode + " on " + describe(o));
    }

    @SuppressWarnings("unchecked")
    private Set<Object> set(Object o) {
        if (o instanceof LinkedHashSet<?> s) return (Set<Object>) s;
        throw fail("ADDITEMS on " + describe(o));
    }

    private Map<Object, Object> dictOf(List<Object> kv) {
        if (kv.size() % 2 != 0) throw fail("DICT with an odd number of items");
        Map<Object, Object> d = new LinkedHashMap<>();
        for (int i = 0; i < kv.size(); i += 2) d.put(key(kv.get(i)), kv.get(i + 1));
        return d;
    }

    /** Dict keys must be hashable by value in Java too: lists, dicts and records with state are refused. */
    private Object key(Object k) {
        if (k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double || k instanceof Boolean
                || k instanceof Tuple || k instanceof Global) {
            return k;
        }
        throw fail("dict key " + describe(k) + " is not supported");
    }

    // ---- reading bytes

    private int u8() {
        need(1);
        return in.get() & 0xff;
    }

    private short int16() {
        need(2);
        return in.getShort();
    }

    private int int32() {
        need(4);
        return in.getInt();
    }

    private long long8() {
        need(8);
        return in.getLong();
    }

    private int checkedLength(long n) {
        if (n < 0 || n > in.remaining()) throw fail("length " + n + " runs past the end of the data (" + in.remaining() + " bytes left)");
        return (int) n;
    }

    private void need(int n) {
        if (in.remaining() < n) throw fail("the data ends inside an opcode");
    }

    private byte[] bytes(int n) {
        need(n);
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private String utf8(int n) {
        return new String(bytes(n), StandardCharsets.UTF_8);
    }

    private String latin1(int n) {
        return new String(bytes(n), StandardCharsets.ISO_8859_1);
    }

    private String line() {
        int start = in.position();
        while (in.hasRemaining()) {
            if (in.get() == '\n') {
                byte[] b = Arrays.copyOfRange(in.array(), start, in.position() - 1);
                return new String(b, StandardCharsets.UTF_8);
            }
        }
        throw fail("a text argument has no end of line");
    }

    /** LONG1/LONG4: little-endian two's complement; a Long when it fits, else a BigInteger. */
    private Object longBytes(int n) {
        byte[] le = bytes(n);
        if (n == 0) return 0L;
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) be[i] = le[n - 1 - i];
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private Object textInt(String s) {
        if (s.equals("01")) return Boolean.TRUE;
        if (s.equals("00")) return Boolean.FALSE;
        return textLong(s);
    }

    private Long textLong(String s) {
        try {
            return Long.parseLong(s.endsWith("L") ? s.substring(0, s.length() - 1) : s);
        } catch (NumberFormatException e) {
            throw fail("'" + s + "' is not an integer");
        }
    }

    private Double textFloat(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw fail("'" + s + "' is not a float");
        }
    }

    private String rawUnicode(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 5 < s.length() && s.charAt(i + 1) == 'u') {
                b.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                i += 5;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private String quotedString(String s) {
        if (s.length() >= 2 && (s.charAt(0) == '\'' || s.charAt(0) == '"') && s.charAt(s.length() - 1) == s.charAt(0)) {
            return s.substring(1, s.length() - 1);
        }
        throw fail("STRING argument " + s + " is not quoted");
    }

    private static String describe(Object o) {
        if (o == null) return "None";
        if (o instanceof Global g) return "'" + g + "'";
        if (o instanceof Tuple) return "a tuple";
        if (o instanceof List<?>) return "a list";
        if (o instanceof Map<?, ?>) return "a dict";
        if (o instanceof String) return "a string";
        return "a " + o.getClass().getSimpleName();
    }

    private PickleException fail(String problem) {
        return new PickleException(source + ": pickle byte " + opcodeAt + ": " + problem, null);
    }
}
