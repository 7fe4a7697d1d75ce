package dev.tessera.cli;

import dev.tessera.engine.backend.Precision;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --precision fp32|tf32|bf16}, one spelling for pretrain, finetune, the probes and {@code bench step} (a picocli
 * mixin). It sets the arithmetic of GEMMs and attention only ({@link Precision}); the backend opened with it either
 * computes in that precision or refuses to start, and the run records it.
 */
final class PrecisionOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--precision", paramLabel = "P", description = "fp32 (default), tf32 or bf16: the arithmetic of GEMMs and attention"
            + " (autocast: operands rounded, fp32 sums; weights, optimizer, norms, softmax and losses stay fp32). CUDA runs tf32/bf16"
            + " on tensor cores (sm_80+), the CPU computes the same rounded numerics.")
    String value;

    /** Whether --precision was given. */
    boolean given() {
        return value != null;
    }

    /** The given precision, or fp32; a misspelling is a usage error naming the allowed values. */
    Precision get() {
        if (value == null) return Precision.FP32;
        try {
            return Precision.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(mixee.commandLine(), e.getMessage());
        }
    }
}
