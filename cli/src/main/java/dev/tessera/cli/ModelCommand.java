package dev.tessera.cli;

import dev.tessera.cae.CaeConfig;
import dev.tessera.cae.ContextAutoencoder;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.random.Rng;
import dev.tessera.mae.MaeConfig;
import dev.tessera.mae.MaskedAutoencoder;
import dev.tessera.vit.ModelSummary;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.VisionTransformer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tessera model NAME}: a preset's configuration and its parameter table per part (vit's
 * {@link ModelSummary}), then the totals of its main sections — for MAE-B the encoder's 85,647,360 and the
 * decoder's 26,008,320 trainable parameters of docs/mae.md#parameter-counts. {@code tessera model --list} lists every MAE, CAE and
 * ViT preset. The model is built on the CPU to count its tensors (MAE-H needs about 2.7 GB of heap).
 */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = {"Print a model preset's configuration and parameter counts per part.", "List the presets with --list."})
final class ModelCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "NAME", description = "A preset name, e.g. mae-tiny or mae-vit-base-patch16.")
    String name;

    @Option(names = "--list", description = "List every preset.")
    boolean list;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (list) {
            if (name != null) throw new ParameterException(spec.commandLine(), "give a NAME or --list, not both");
            listPresets(out);
            return 0;
        }
        if (name == null) throw new ParameterException(spec.commandLine(), "give a preset NAME, or --list to see them");
        try (CpuBackend cpu = new CpuBackend(1)) {
            Rng rng = new Rng(0);
            if (MaeConfig.presetNames().contains(name)) {
                MaskedAutoencoder m = new MaskedAutoencoder(MaeConfig.preset(name), cpu, rng);
                out.print(m.summary());
                sections(out, m, Map.of("encoder", n -> !n.startsWith("decoder_") && !n.equals("mask_token"),
                        "decoder", n -> n.startsWith("decoder_") || n.equals("mask_token")), List.of("encoder", "decoder"));
            } else if (CaeConfig.presetNames().contains(name)) {
                ContextAutoencoder m = new ContextAutoencoder(CaeConfig.preset(name), cpu, rng);
                out.print(m.summary());
                sections(out, m, Map.of("encoder", n -> n.startsWith("encoder."),
                        "regressor", n -> n.startsWith("regresser."),
                        "decoder + head", n -> n.startsWith("decoder."),
                        "mask token, projection, neck position table", n -> !n.startsWith("encoder.") && !n.startsWith("regresser.")
                                && !n.startsWith("decoder.")),
                        List.of("encoder", "regressor", "decoder + head", "mask token, projection, neck position table"));
            } else if (ViTConfig.presetNames().contains(name)) {
                out.print(new VisionTransformer(ViTConfig.preset(name), cpu, rng).summary());
            } else {
                throw new IllegalArgumentException("unknown model '" + name + "'; valid: " + String.join(", ", allNames())
                        + " (tessera model --list)");
            }
        }
        return 0;
    }

    /** Trainable and fixed totals of named sections (each a name predicate over parameters and buffers). */
    private static void sections(PrintWriter out, Module m, Map<String, Predicate<String>> sections, List<String> order) {
        out.println();
        int width = 0;
        for (String s : order) width = Math.max(width, s.length());
        for (String s : order) {
            Predicate<String> in = sections.get(s);
            long trainable = 0, fixed = 0;
            for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
                if (!in.test(e.getKey())) continue;
                if (e.getValue().trainable()) trainable += e.getValue().numel();
                else fixed += e.getValue().numel();
            }
            for (var e : m.namedBuffers().entrySet()) if (in.test(e.getKey())) fixed += e.getValue().numel();
            if (trainable + fixed == 0) continue;
            out.println(String.format(Locale.ROOT, "  %-" + width + "s  %15s trainable%s", s, ModelSummary.thousands(trainable),
                    fixed > 0 ? " + " + ModelSummary.thousands(fixed) + " fixed" : ""));
        }
    }

    private static List<String> allNames() {
        List<String> all = new ArrayList<>(MaeConfig.presetNames());
        all.addAll(CaeConfig.presetNames());
        all.addAll(ViTConfig.presetNames());
        return all;
    }

    private static void listPresets(PrintWriter out) {
        Map<String, String> rows = new LinkedHashMap<>();
        for (String n : MaeConfig.presetNames()) {
            MaeConfig c = MaeConfig.preset(n);
            rows.put(n, "MAE  " + image(c.encoder()) + "; encoder " + width(c.encoder()) + "; decoder " + c.decoderDim() + "×"
                    + c.decoderDepth() + "; mask " + Math.round(c.maskRatio() * 100) + "%");
        }
        for (String n : CaeConfig.presetNames()) {
            CaeConfig c = CaeConfig.preset(n);
            rows.put(n, "CAE  " + image(c.encoder()) + "; encoder " + width(c.encoder()) + "; regressor " + c.decoderDim() + "×"
                    + c.regressorDepth() + ", decoder " + c.decoderDim() + "×" + c.decoderDepth() + "; " + c.numMasked() + " masked");
        }
        for (String n : ViTConfig.presetNames()) {
            ViTConfig c = ViTConfig.preset(n);
            rows.put(n, "ViT  " + image(c) + "; " + width(c) + "; " + c.numClasses() + " classes");
        }
        int w = 0;
        for (String n : rows.keySet()) w = Math.max(w, n.length());
        for (var e : rows.entrySet()) out.println(String.format(Locale.ROOT, "%-" + w + "s  %s", e.getKey(), e.getValue()));
    }

    private static String image(ViTConfig c) {
        return c.imgSize() + "×" + c.imgSize() + "×" + c.inChans() + " /" + c.patchSize();
    }

    private static String width(ViTConfig c) {
        return c.dim() + "×" + c.depth() + " (" + c.heads() + " heads)";
    }
}
