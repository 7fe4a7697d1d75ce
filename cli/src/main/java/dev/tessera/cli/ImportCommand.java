package dev.tessera.cli;

import dev.tessera.interop.ModelWeights;
import dev.tessera.interop.WeightExport;
import dev.tessera.interop.WeightImport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tessera import}: reads weights in any supported form ({@link WeightImport}: PyTorch .pth/.pt, safetensors in
 * Tessera, timm or Hugging Face names) and writes them in Tessera's names with the configuration as metadata, so every
 * command opens the result ({@code --init FILE}) without further hints.
 */
@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert PyTorch (.pth/.pt) or timm / Hugging Face safetensors weights of a ViT, MAE or CAE into a Tessera file.",
                "PyTorch checkpoints are read without running any code from them: only the classes a state dict needs are accepted.",
                "Example: tessera import mae_pretrain_vit_base.pth --out vit-b-mae.safetensors; then tessera finetune --init vit-b-mae.safetensors"})
final class ImportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The weights: .pth / .pt (torch.save) or .safetensors.")
    Path file;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "The Tessera safetensors file to write (must not exist).")
    Path out;

    @Mixin
    HeadsOption heads;

    @Override
    public Integer call() {
        ModelWeights w = WeightImport.read(file, heads.hints());
        WeightExport.Written written = WeightExport.write(w, WeightExport.Format.TESSERA, ExportCommand.prepareOut(spec, out));
        ExportCommand.report(spec.commandLine().getOut(), w, WeightExport.Format.TESSERA, written);
        return 0;
    }
}
