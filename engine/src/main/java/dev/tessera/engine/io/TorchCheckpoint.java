package dev.tessera.engine.io;

import dev.tessera.engine.io.Pickle.Global;
import dev.tessera.engine.io.Pickle.Tuple;
import dev.tessera.engine.tensor.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads PyTorch's checkpoint files ({@code .pth}/{@code .pt}, what {@code torch.save} writes since PyTorch 1.6)
 * without Python and without running anything from the file.
 *
 * <p>The format (torch/serialization.py {@code _save} and {@code _load}): a zip archive whose entries share one
 * top folder (the file name's stem, or {@code archive}): {@code data.pkl} is the pickled object, with every tensor
 * storage replaced by a persistent id {@code ('storage', torch.FloatStorage, key, location, numel)}, and
 * {@code data/<key>} holds that storage's raw bytes, little-endian ({@code byteorder} says so in newer files). A
 * tensor in the pickle is {@code torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
 * hooks)}: a strided view of a storage, which several tensors may share. The pickle is read by {@link Pickle} with
 * the whitelist {@link #STATE_DICT_CLASSES}: tensors, parameters, storages of every real dtype,
 * {@code collections.OrderedDict}, {@code argparse.Namespace} (the official MAE/CAE training checkpoints store their
 * command line as one), {@code torch.Size} and sets. Anything else is refused with the name of the class.
 *
 * <p>Tensors come back as {@link TensorData}: F32, F16 and BF16 as floats (F64 rounded to F32), I64 and I32 as
 * ints (I8, U8, I16 and bool widened to I32). Views with any offset and strides are gathered; a view reaching past
 * its storage is an error naming the tensor. The legacy format (before PyTorch 1.6) and TorchScript archives are
 * recognised and refused with a one-line reason.
 */
public final class TorchCheckpoint implements AutoCloseable {

    /** The storage classes torch.save names (torch/storage.py), with their element types. */
    enum StorageType {
        FLOAT("FloatStorage", 4), DOUBLE("DoubleStorage", 8), HALF("HalfStorage", 2), BFLOAT16("BFloat16Storage", 2),
        LONG("LongStorage", 8), INT("IntStorage", 4), SHORT("ShortStorage", 2), CHAR("CharStorage", 1),
        BYTE("ByteStorage", 1), BOOL("BoolStorage", 1);

        final String pythonName;
        final int bytes;

        StorageType(String pythonName, int bytes) {
            this.pythonName = pythonName;
            this.bytes = bytes;
        }

        static StorageType of(Global g) {
            for (StorageType t : values()) if (("torch." + t.pythonName).equals(g.qualified())) return t;
            throw new IllegalArgumentException("'" + g + "' is not a storage type");
        }
    }

    /** One storage: its key in the archive, element type and element count (from the persistent id). */
    public record Storage(String key, StorageType type, long numel) {}

    /**
     * A tensor as the pickle describes it: a view of {@code storage} starting at element {@code offset} with
     * {@code size} and {@code stride} (in elements). Read its values with {@link TorchCheckpoint#tensor}.
     */
    public record TensorRef(Storage storage, long offset, int[] size, long[] stride) {
        @Override
        public String toString() {
            return storage.type().pythonName.replace("Storage", "") + Shape.str(size);
        }
    }

    private static final String UTILS = "torch._utils.";

    /** What a state dict (and MAE/CAE training checkpoints around one) may contain; see the class comment. */
    public static final Pickle.Classes STATE_DICT_CLASSES = stateDictClasses();

    private static Pickle.Classes stateDictClasses() {
        Pickle.Classes c = Pickle.Classes.none()
                .withCallable(UTILS + "_rebuild_tensor_v2", TorchCheckpoint::rebuildTensor)
                .withCallable(UTILS + "_rebuild_tensor", TorchCheckpoint::rebuildTensor)
                .withCallable(UTILS + "_rebuild_parameter", args -> tensorArg(args, 0, "_rebuild_parameter"))
                .withCallable(UTILS + "_rebuild_parameter_with_state", args -> tensorArg(args, 0, "_rebuild_parameter_with_state"))
                .withCallable(UTILS + "_rebuild_from_type_v2", TorchCheckpoint::rebuildFromType)
                .withCallable("collections.OrderedDict", TorchCheckpoint::orderedDict)
                .withCallable("torch.Size", args -> new Tuple(args.isEmpty() ? List.of() : asList(args.getFirst(), "torch.Size")))
                .withCallable("builtins.set", TorchCheckpoint::set)
                .withCallable("__builtin__.set", TorchCheckpoint::set)        // protocol 2 spells it the Python 2 way
                .withCallable("_codecs.encode", TorchCheckpoint::latin1Bytes)   // how protocol 2 writes Python 3 bytes
                .withRecords("argparse.Namespace")
                .withConstants("torch._tensor.Tensor", "torch.Tensor", "torch.nn.parameter.Parameter");
        for (StorageType t : StorageType.values()) c = c.withConstants("torch." + t.pythonName);
        return c;
    }

    private static Object rebuildTensor(List<Object> args) {
        if (args.size() < 4 || !(args.get(0) instanceof Storage s)) {
            throw new IllegalArgumentException("expects (storage, offset, size, stride, …)");
        }
        long offset = asLong(args.get(1), "storage offset");
        List<Object> size = asList(args.get(2), "size"), stride = asList(args.get(3), "stride");
        if (size.size() != stride.size()) throw new IllegalArgumentException("size " + size + " and stride " + stride + " differ in rank");
        int[] dims = new int[size.size()];
        long[] steps = new long[size.size()];
        for (int i = 0; i < dims.length; i++) {
            long d = asLong(size.get(i), "size"), st = asLong(stride.get(i), "stride");
            if (d < 0 || d > Integer.MAX_VALUE || st < 0) throw new IllegalArgumentException("size " + size + " / stride " + stride + " out of range");
            dims[i] = (int) d;
            steps[i] = st;
        }
        if (offset < 0) throw new IllegalArgumentException("negative storage offset " + offset);
        return new TensorRef(s, offset, dims, steps);
    }

    private static Object tensorArg(List<Object> args, int i, String what) {
        if (args.size() <= i || !(args.get(i) instanceof TensorRef t)) throw new IllegalArgumentException("" + what + " without a tensor");
        return t;
    }

    /** {@code _rebuild_from_type_v2(func, type, args, state)}: a tensor subclass; only Tensor and Parameter are allowed. */
    private static Object rebuildFromType(List<Object> args) {
        if (args.size() != 4 || !(args.get(0) instanceof Global fn) || !(args.get(1) instanceof Global type) || !(args.get(2) instanceof Tuple a)) {
            throw new IllegalArgumentException("expects (function, type, args, state)");
        }
        if (!type.name().equals("Tensor") && !type.name().equals("Parameter")) throw new IllegalArgumentException("tensor type " + type + " is not supported");
        return switch (fn.qualified()) {
            case UTILS + "_rebuild_tensor_v2", UTILS + "_rebuild_tensor" -> rebuildTensor(a.items());
            case UTILS + "_rebuild_parameter", UTILS + "_rebuild_parameter_with_state" -> tensorArg(a.items(), 0, fn.name());
            default -> throw new IllegalArgumentException("rebuilding with " + fn + " is not supported");
        };
    }

    /** {@code _codecs.encode(text, 'latin1')}: protocol 2 stores bytes as their latin-1 text; only that codec is accepted. */
    private static Object latin1Bytes(List<Object> args) {
        if (args.size() != 2 || !(args.get(0) instanceof String text) || !("latin1".equals(args.get(1)) || "latin-1".equals(args.get(1)))) {
            throw new IllegalArgumentException("only encode(text, 'latin1') is supported");
        }
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static Object set(List<Object> args) {
        return new LinkedHashSet<>(args.isEmpty() ? List.of() : asList(args.getFirst(), "set"));
    }

    private static Object orderedDict(List<Object> args) {
        Map<Object, Object> d = new LinkedHashMap<>();
        if (!args.isEmpty()) {
            for (Object pair : asList(args.getFirst(), "OrderedDict items")) {
                List<Object> kv = asList(pair, "OrderedDict item");
                if (kv.size() != 2) throw new IllegalArgumentException("an item is not a (key, value) pair");
                d.put(kv.get(0), kv.get(1));
            }
        }
        return d;
    }

    private static List<Object> asList(Object o, String what) {
        if (o instanceof Tuple t) return t.items();
        if (o instanceof List<?> l) return Collections.unmodifiableList(l);
        throw new IllegalArgumentException("" + what + " is not a tuple or list");
    }

    private static long asLong(Object o, String what) {
        if (o instanceof Long l) return l;
        throw new IllegalArgumentException("" + what + " " + o + " is not an int");
    }

    // ================================================================== the archive

    private final Path path;
    private final ZipFile zip;
    private final String prefix;
    private final Object root;
    private final Map<String, byte[]> storages = new HashMap<>();

    private TorchCheckpoint(Path path, ZipFile zip, String prefix, Object root) {
        this.path = path;
        this.zip = zip;
        this.prefix = prefix;
        this.root = root;
    }

    /** Opens {@code file} and unpickles its object with the state-dict whitelist; tensors stay in the file until read. */
    public static TorchCheckpoint open(Path file) {
        return open(file, STATE_DICT_CLASSES);
    }

    /** Opens {@code file} with another whitelist (e.g. {@link #STATE_DICT_CLASSES} extended by record classes). */
    public static TorchCheckpoint open(Path file, Pickle.Classes classes) {
        checkMagic(file);
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new IllegalArgumentException(file + ": not a readable zip archive (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            String prefix = archivePrefix(file, zip);
            String order = zip.getEntry(prefix + "byteorder") == null ? "little" : new String(entry(file, zip, prefix + "byteorder"),
                    StandardCharsets.US_ASCII).trim();
            if (!order.equals("little")) throw new IllegalArgumentException(file + ": storages are " + order + "-endian; Tessera reads little-endian files");
            byte[] pkl = entry(file, zip, prefix + "data.pkl");
            Object root;
            try {
                root = Pickle.load(pkl, file + " (data.pkl)", classes, pid -> storage(file, pid));
            } catch (PickleException e) {
                String g = e.refusedGlobal();
                if (g == null || !g.startsWith("torch.nn.")) throw e;
                throw new PickleException(e.getMessage() + " (this file is a whole pickled module, torch.save(model);"
                        + " save model.state_dict() instead)", g);
            }
            return new TorchCheckpoint(file, zip, prefix, root);
        } catch (RuntimeException e) {
            closeQuietly(zip);
            throw e;
        }
    }

    /** The zip magic, else a reason: the pre-1.6 format starts with a pickle, TorchScript is a zip too (see archivePrefix). */
    private static void checkMagic(Path file) {
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, 4);
            if (n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return;
            if (n >= 1 && (head[0] & 0xff) == 0x80) {
                throw new IllegalArgumentException(file + " is in PyTorch's legacy format (before 1.6), which Tessera does not read;"
                        + " re-save it with torch.save(torch.load(F), F2) in a newer PyTorch");
            }
            throw new IllegalArgumentException(file + " is not a PyTorch checkpoint (no zip archive; torch.save writes one)");
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException(file + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String archivePrefix(Path file, ZipFile zip) {
        String prefix = null;
        boolean script = false;
        for (var it = zip.entries(); it.hasMoreElements(); ) {
            String name = it.nextElement().getName();
            int slash = name.indexOf('/');
            String rest = slash < 0 ? name : name.substring(slash + 1);
            if (rest.equals("data.pkl")) {
                if (prefix != null) throw new IllegalArgumentException(file + ": more than one data.pkl in the archive");
                prefix = name.substring(0, name.length() - "data.pkl".length());
            }
            if (rest.equals("constants.pkl") || rest.startsWith("code/")) script = true;
        }
        if (script) {
            throw new IllegalArgumentException(file + " is a TorchScript archive (torch.jit.save); save the weights with"
                    + " torch.save(model.state_dict(), F) instead");
        }
        if (prefix == null) throw new IllegalArgumentException(file + ": a zip archive without data.pkl, not a torch.save file");
        return prefix;
    }

    private static Storage storage(Path file, Object pid) {
        if (!(pid instanceof Tuple t) || t.size() != 5 || !"storage".equals(t.get(0)) || !(t.get(1) instanceof Global type)
                || !(t.get(2) instanceof String key) || !(t.get(4) instanceof Long numel)) {
            throw new IllegalArgumentException(file + ": persistent id " + pid + " is not ('storage', type, key, location, numel)");
        }
        if (numel < 0) throw new IllegalArgumentException(file + ": storage " + key + " has " + numel + " elements");
        return new Storage(key, StorageType.of(type), numel);
    }

    private static byte[] entry(Path file, ZipFile zip, String name) {
        ZipEntry e = zip.getEntry(name);
        if (e == null) throw new IllegalArgumentException(file + ": the archive has no entry " + name);
        try (InputStream in = zip.getInputStream(e)) {
            return in.readAllBytes();
        } catch (IOException ex) {
            throw new UncheckedIOException(file + ": cannot read entry " + name + ": " + ex.getMessage(), ex);
        } catch (OutOfMemoryError ex) {
            throw new IllegalArgumentException(file + ": entry " + name + " does not fit in memory (" + e.getSize() + " bytes); raise -Xmx");
        }
    }

    /** The unpickled object: dicts, lists, tuples, numbers, strings, {@link TensorRef}s, {@link Pickle.PyObject}s. */
    public Object root() {
        return root;
    }

    public Path path() {
        return path;
    }

    /** The values of {@code t} ({@code name} is used in messages). */
    public TensorData tensor(TensorRef t, String name) {
        Storage s = t.storage();
        byte[] bytes = storages.computeIfAbsent(s.key(), k -> {
            byte[] b = entry(path, zip, prefix + "data/" + k);
            if (b.length != s.numel() * s.type().bytes) {
                throw new IllegalArgumentException(path + ": storage " + k + " holds " + b.length + " bytes but its id says " + s.numel()
                        + " × " + s.type().bytes);
            }
            return b;
        });
        long n = 1;
        long last = t.offset();
        for (int i = 0; i < t.size().length; i++) {
            n = Math.multiplyExact(n, t.size()[i]);
            if (t.size()[i] > 0) last += (t.size()[i] - 1) * t.stride()[i];
        }
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(path + ": tensor '" + name + "' has " + n + " elements; at most 2^31-1");
        if (n > 0 && last >= s.numel()) {
            throw new IllegalArgumentException(path + ": tensor '" + name + "' " + Shape.str(t.size()) + " at offset " + t.offset() + " with strides "
                    + java.util.Arrays.toString(t.stride()) + " reaches element " + last + " of a storage of " + s.numel());
        }
        long[] index = elementIndices(t, (int) n);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int[] shape = t.size().clone();
        switch (s.type()) {
            case FLOAT, DOUBLE, HALF, BFLOAT16 -> {
                float[] f = new float[index.length];
                for (int i = 0; i < f.length; i++) {
                    int at = (int) (index[i] * s.type().bytes);
                    f[i] = switch (s.type()) {
                        case FLOAT -> b.getFloat(at);
                        case DOUBLE -> (float) b.getDouble(at);
                        case HALF -> Float.float16ToFloat(b.getShort(at));
                        default -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
                    };
                }
                String dtype = switch (s.type()) {
                    case HALF -> "F16";
                    case BFLOAT16 -> "BF16";
                    default -> "F32";
                };
                return new TensorData(dtype, shape, f, null);
            }
            default -> {
                int[] v = new int[index.length];
                for (int i = 0; i < v.length; i++) {
                    int at = (int) (index[i] * s.type().bytes);
                    long x = switch (s.type()) {
                        case LONG -> b.getLong(at);
                        case INT -> b.getInt(at);
                        case SHORT -> b.getShort(at);
                        case CHAR -> b.get(at);
                        default -> b.get(at) & 0xff;          // uint8 and bool
                    };
                    if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
                        throw new IllegalArgumentException(path + ": tensor '" + name + "' holds " + x + ", which does not fit in int32");
                    }
                    v[i] = (int) x;
                }
                return s.type() == StorageType.LONG ? TensorData.i64(v, shape) : TensorData.i32(v, shape);
            }
        }
    }

    /** Storage element index of each element of the view, in row-major order. */
    private static long[] elementIndices(TensorRef t, int n) {
        int[] size = t.size();
        long[] out = new long[n];
        int[] idx = new int[size.length];
        long at = t.offset();
        for (int i = 0; i < n; i++) {
            out[i] = at;
            for (int d = size.length - 1; d >= 0; d--) {           // odometer: advance the last axis, carry left
                if (++idx[d] < size[d]) {
                    at += t.stride()[d];
                    break;
                }
                at -= (long) (size[d] - 1) * t.stride()[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    // ================================================================== the state dict

    /** A state dict found in a checkpoint, and where ("the top level", "under 'model'"). */
    public record StateDict(Map<String, TensorData> tensors, String location) {}

    /** Keys under which training scripts keep the weights: MAE/CAE/DeiT {@code model}, Lightning {@code state_dict}. */
    private static final List<String> WRAPPERS = List.of("model", "state_dict", "model_state_dict", "module");

    /**
     * Reads the state dict of {@code file}: the top-level dict when its values are tensors, or the one under
     * {@code model} (the official MAE releases: {@code torch.load(F)['model']}), {@code state_dict},
     * {@code model_state_dict} or {@code module}. Other entries (optimizer, epoch, args) are never read.
     */
    public static StateDict readStateDict(Path file) {
        try (TorchCheckpoint c = open(file)) {
            Object root = c.root();
            if (!(root instanceof Map<?, ?> top)) throw new IllegalArgumentException(file + " holds " + kind(root) + ", not a state dict");
            Map<?, ?> dict = isStateDict(top) ? top : null;
            String where = "the top level";
            for (String w : WRAPPERS) {
                if (dict == null && top.get(w) instanceof Map<?, ?> inner && isStateDict(inner)) {
                    dict = inner;
                    where = "under '" + w + "'";
                }
            }
            if (dict == null) {
                List<String> keys = new ArrayList<>();
                for (Object k : top.keySet()) keys.add(String.valueOf(k));
                throw new IllegalArgumentException(file + " holds a dict with keys " + keys.subList(0, Math.min(10, keys.size()))
                        + " but no state dict of tensors at the top level or under " + WRAPPERS);
            }
            Map<String, TensorData> out = new LinkedHashMap<>();
            for (var e : dict.entrySet()) {
                if (!(e.getKey() instanceof String name)) throw new IllegalArgumentException(file + ": a state dict key " + e.getKey() + " is not a string");
                if (!(e.getValue() instanceof TensorRef t)) {
                    throw new IllegalArgumentException(file + ": state dict entry '" + name + "' is " + kind(e.getValue()) + ", not a tensor");
                }
                out.put(name, c.tensor(t, name));
            }
            return new StateDict(out, where);
        }
    }

    /** A dict whose values are mostly tensors (a few non-tensor entries are reported by name when read). */
    private static boolean isStateDict(Map<?, ?> m) {
        if (m.isEmpty()) return false;
        long tensors = m.values().stream().filter(v -> v instanceof TensorRef).count();
        return tensors * 2 > m.size();
    }

    private static String kind(Object o) {
        if (o == null) return "None";
        if (o instanceof Map<?, ?>) return "a dict";
        if (o instanceof List<?> || o instanceof Tuple) return "a sequence";
        if (o instanceof Pickle.PyObject p) return "a " + p.type();
        return "a " + o.getClass().getSimpleName();
    }

    @Override
    public void close() {
        storages.clear();
        closeQuietly(zip);
    }

    private static void closeQuietly(ZipFile z) {
        try {
            z.close();
        } catch (IOException ignored) {
            // read-only; nothing to lose
        }
    }
}
