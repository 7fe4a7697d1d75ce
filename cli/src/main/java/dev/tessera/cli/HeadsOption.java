package dev.tessera.cli;

import dev.tessera.interop.WeightImport;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --heads H[,DEC]}: the attention-head counts of a weight file that cannot say them itself (a .pth or a timm
 * file of shapes no Tessera preset has; shapes fix the width, not how it splits into heads). A picocli mixin of the
 * commands that read weight files ({@code import}, {@code export}, {@code --init}).
 */
final class HeadsOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--heads", paramLabel = "H[,DEC]", split = ",",
            description = "Attention heads of the encoder (and of an MAE's decoder) when the file does not say and no preset has its shapes.")
    List<Integer> heads;

    WeightImport.Hints hints() {
        if (heads == null) return WeightImport.Hints.NONE;
        if (heads.size() > 2 || heads.stream().anyMatch(h -> h == null || h < 1)) {
            throw new ParameterException(spec.commandLine(), "--heads takes one or two positive counts (encoder[,decoder]), got " + heads);
        }
        return new WeightImport.Hints(heads.get(0), heads.size() > 1 ? heads.get(1) : null);
    }
}
