package dev.tessera.cli;

import dev.tessera.interop.ModelWeights;
import dev.tessera.interop.WeightExport;
import dev.tessera.interop.WeightImport;
import dev.tessera.train.RunDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tessera export}: a model's weights — no optimizer state — as safetensors in the names another tool loads
 * strictly ({@link WeightExport}): Tessera's / the official code's, timm's VisionTransformer, or Hugging Face's ViT /
 * ViTMAE classes. Reads a run directory, a checkpoint, or any file {@code tessera import} reads.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a model's weights (no optimizer state) in Tessera, timm or Hugging Face names.",
                "tessera: the official models_mae.py / modeling_cae.py / models_vit.py names; timm: VisionTransformer (an MAE's or CAE's"
                        + " encoder, or a classifier); hf: ViTMAEForPreTraining (a whole MAE), ViTModel (an encoder), ViTForImageClassification.",
                "Example: tessera export --checkpoint runs/mae1 --format hf --out export/model.safetensors"})
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", paramLabel = "RUN_OR_FILE", required = true,
            description = "A run directory, its checkpoint.safetensors, or any weight file 'tessera import' reads.")
    Path checkpoint;

    @Option(names = "--format", paramLabel = "FORMAT", required = true, description = "tessera, timm or hf.")
    String format;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "The safetensors file to write (must not exist).")
    Path out;

    @Mixin
    HeadsOption heads;

    @Override
    public Integer call() {
        WeightExport.Format f;
        try {
            f = WeightExport.Format.parse(format);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--format: " + e.getMessage());
        }
        Path source = Files.isDirectory(checkpoint) ? RunDirectory.existing(checkpoint, "--checkpoint").checkpoint() : checkpoint;
        ModelWeights w = WeightImport.read(source, heads.hints());
        WeightExport.Written written = WeightExport.write(w, f, prepareOut(spec, out));
        report(spec.commandLine().getOut(), w, f, written);
        return 0;
    }

    /** The output file's folder, created; an existing file is refused (nothing already written is lost). */
    static Path prepareOut(CommandSpec spec, Path out) {
        if (Files.exists(out)) throw new ParameterException(spec.commandLine(), "--out " + out + " already exists; choose another file");
        try {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
        } catch (IOException e) {
            throw new UncheckedIOException("--out " + out + ": cannot create its folder (" + e.getMessage() + ")", e);
        }
        return out;
    }

    static void report(PrintWriter log, ModelWeights w, WeightExport.Format f, WeightExport.Written written) {
        log.println("read: " + w.description());
        for (String n : w.notes()) log.println("note: " + n);
        log.println("wrote " + written.tensors() + " tensors in " + f.label() + " names: " + written.file().toAbsolutePath());
        log.println("load with: " + written.loadWith());
        if (written.hfConfig() != null) log.println("HF config: " + written.hfConfig().toAbsolutePath());
        else if (f == WeightExport.Format.HF) log.println("HF config: a config.json already exists beside the file and was kept; this"
                + " model's is in the file's metadata (tessera.hf_config)");
        log.flush();
    }
}
