package dev.tessera.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code tessera pretrain mae|cae}: self-supervised pretraining; the methods are its subcommands. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pre-train a ViT encoder with MAE or CAE (writes a run directory: config, metrics, checkpoint, pictures).",
        subcommands = {PretrainMaeCommand.class, PretrainCaeCommand.class})
final class PretrainCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "choose a method: tessera pretrain mae | tessera pretrain cae");
    }
}
