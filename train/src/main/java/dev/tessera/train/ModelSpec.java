package dev.tessera.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.cae.CaeConfig;
import dev.tessera.cae.CaeTarget;
import dev.tessera.engine.backend.Backend;
import dev.tessera.mae.MaeConfig;
import java.nio.file.Path;

/**
 * What a checkpoint's model is, as data: the method, the preset name, the full configuration record as JSON
 * (so a checkpoint rebuilds its model without knowing the preset table of the build that wrote it), and
 * for CAE's token target the tokenizer file. Two specs are equal exactly when they describe the same
 * architecture and objective.
 *
 * @param method    "mae", "cae", or a custom objective's name
 * @param name      the preset name ("mae-tiny") or "custom"
 * @param config    the configuration record ({@link MaeConfig}, {@link CaeConfig}) as a JSON tree
 * @param tokenizer the k-means tokenizer file for CAE's token target, else null
 */
public record ModelSpec(String method, String name, JsonNode config, String tokenizer) {

    public static ModelSpec of(MaeConfig c) {
        return new ModelSpec("mae", c.name(), Json.tree(c), null);
    }

    /** A CAE; {@code tokenizer} is required for the token target and must be null for pixels. */
    public static ModelSpec of(CaeConfig c, Path tokenizer) {
        if ((c.target() == CaeTarget.TOKENS) != (tokenizer != null)) {
            throw new IllegalArgumentException(c.target() == CaeTarget.TOKENS
                    ? "the token target needs a tokenizer file (tessera tokenizer fit … --out FILE, then --tokenizer FILE)"
                    : "a tokenizer is only used with the token target (--target tokens)");
        }
        return new ModelSpec("cae", c.name(), Json.tree(c), tokenizer == null ? null : tokenizer.toAbsolutePath().normalize().toString());
    }

    public MaeConfig maeConfig() {
        require("mae");
        return Json.convert(config, MaeConfig.class, "MAE configuration of '" + name + "'");
    }

    public CaeConfig caeConfig() {
        require("cae");
        return Json.convert(config, CaeConfig.class, "CAE configuration of '" + name + "'");
    }

    private void require(String m) {
        if (!method.equals(m)) throw new IllegalArgumentException("model '" + name + "' is a " + method.toUpperCase() + ", not a " + m.toUpperCase());
    }

    /** Builds a fresh model (initialised from {@code seed}) wrapped as its objective. */
    public Objective build(Backend backend, long seed) {
        return switch (method) {
            case "mae" -> MaeObjective.create(maeConfig(), backend, seed);
            case "cae" -> CaeObjective.create(caeConfig(), backend, seed, tokenizer == null ? null : Path.of(tokenizer));
            default -> throw new IllegalArgumentException("cannot rebuild a model of method '" + method
                    + "' (only mae and cae); build its objective in code");
        };
    }

    /** "mae-tiny (MAE)". */
    public String describe() {
        return name + " (" + method.toUpperCase() + ")";
    }
}
