package dev.tessera.cae;

import dev.tessera.engine.io.Pickle;
import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.io.TorchCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The DALL-E encoder's weights from a file, by their official state-dict keys ({@code blocks.input.w}, …).
 * Three forms are read, none of them by running Python:
 * <ul>
 *   <li>the released {@code encoder.pkl} as downloaded: {@code torch.save} of the whole {@code dall_e.encoder.Encoder}
 *       module. Its classes are whitelisted as inert records ({@link #MODULE_CLASSES}), never imported; the weights are
 *       the {@code _parameters} found by walking {@code _modules} from the root, named by the path walked;</li>
 *   <li>a state dict saved by PyTorch ({@code .pth}, e.g. {@code torch.save(torch.load('encoder.pkl').state_dict(), 'encoder.pth')});</li>
 *   <li>a {@code .safetensors} file with the same keys.</li>
 * </ul>
 */
public final class DalleWeights {
    private DalleWeights() {}

    /** Where the released encoder is published (dall_e/__init__.py's example, BEiT's and CAE's READMEs). */
    public static final String RELEASE_URL = "https://cdn.openai.com/dall-e/encoder.pkl";

    /**
     * The Python globals a pickled encoder holds besides tensors: the dall_e module classes, the torch.nn containers
     * and parameter-free layers inside them, and the {@code torch.device} the attrs fields store. Each becomes a
     * {@link Pickle.PyObject} carrying its {@code __dict__}.
     */
    public static final Pickle.Classes MODULE_CLASSES = TorchCheckpoint.STATE_DICT_CLASSES.withRecords(
            "dall_e.encoder.Encoder", "dall_e.encoder.EncoderBlock", "dall_e.utils.Conv2d",
            "torch.nn.modules.container.Sequential", "torch.nn.modules.activation.ReLU",
            "torch.nn.modules.pooling.MaxPool2d", "torch.nn.modules.linear.Identity", "torch.device");

    /** Reads {@code file}; a missing file names where to download the released weights. */
    public static Map<String, TensorData> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("DALL-E tokenizer weights not found: " + file + " (download the released encoder once"
                    + " from " + RELEASE_URL + ")");
        }
        if (file.getFileName().toString().endsWith(".safetensors")) return SafeTensors.read(file).tensors();
        try (TorchCheckpoint c = TorchCheckpoint.open(file, MODULE_CLASSES)) {
            if (c.root() instanceof Pickle.PyObject module) {
                Map<String, TensorData> out = new LinkedHashMap<>();
                collect(c, module, "", out);
                return out;
            }
        }
        return TorchCheckpoint.readStateDict(file).tensors();
    }

    /** The parameters of {@code module} and of its children, depth first, as {@code prefix + name}. */
    private static void collect(TorchCheckpoint c, Pickle.PyObject module, String prefix, Map<String, TensorData> out) {
        if (module.attribute("_parameters") instanceof Map<?, ?> params) {
            for (var e : params.entrySet()) {
                if (e.getValue() instanceof TorchCheckpoint.TensorRef t) out.put(prefix + e.getKey(), c.tensor(t, prefix + e.getKey()));
            }
        }
        if (module.attribute("_modules") instanceof Map<?, ?> children) {
            for (var e : children.entrySet()) {
                if (e.getValue() instanceof Pickle.PyObject child) collect(c, child, prefix + e.getKey() + ".", out);
            }
        }
    }

    /** A DALL-E encoder of the size the weights in {@code file} have, holding them. */
    public static DalleEncoder load(dev.tessera.engine.backend.Backend backend, Path file) {
        Map<String, TensorData> tensors = read(file);
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        tensors.forEach((k, t) -> {
            if (!t.isFloating()) throw new IllegalArgumentException(file + ": tensor '" + k + "' is " + t.dtype() + ", not floating point");
            values.put(k, t.floats());
            shapes.put(k, t.shape());
        });
        DalleConfig config;
        try {
            config = DalleConfig.fromShapes(shapes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        DalleEncoder encoder = new DalleEncoder(config, backend, new dev.tessera.engine.random.Rng(0));
        try {
            encoder.loadStateDict(values, shapes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        encoder.train(false);
        for (var p : encoder.namedParameters().values()) p.setTrainable(false);
        return encoder;
    }
}
