package dev.tessera.train;

import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.tensor.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The resume check on a real (tiny) MAE and CAE with drop-path, as a program: {@link TrainerTest} runs it in a
 * fresh child JVM, once with the fast Vector API kernels and once with the scalar references
 * ({@code -Dtessera.cpu.scalar=true}), so the methods are JIT-compiled part-way through the run as in real use.
 * That the fast kernels pass depends on their giving identical bits in every JIT tier (backend/cpu/VectorMath).
 * Prints one "bit-identical" line per method and exits 0, or names the first differing tensor and exits 1.
 */
public final class ResumeCheck {
    private ResumeCheck() {}

    public static void main(String[] args) {
        Path tmp = Path.of(args[0]);
        try (CpuBackend cpu = new CpuBackend(2)) {
            check("mae", tmp.resolve("mae"), () -> MaeObjective.create(TrainerTest.tinyMae(), cpu, 7));
            check("cae", tmp.resolve("cae"), () -> CaeObjective.create(TrainerTest.tinyCae(), cpu, 7, null));
        }
    }

    /** 20 steps at once against 10 + resume + 10; every objective from {@code fresh} is built as a new process would. */
    private static void check(String method, Path tmp, Supplier<Objective> fresh) {
        SyntheticImages data = SyntheticImages.fashionSized(1);
        TrainSettings full = TrainerTest.base(method).steps(20).blr(1e-2).build();   // 8 steps per epoch

        Objective a = fresh.get();
        new Trainer(a, data, full).log(null, false).output(tmp.resolve("a")).run();

        new Trainer(fresh.get(), data, full.toBuilder().stopAfter(10).build()).log(null, false).output(tmp.resolve("b")).run();
        long draws = Checkpoint.read(tmp.resolve("b").resolve(RunDirectory.CHECKPOINT)).rngDraws();
        Objective b = fresh.get();
        new Trainer(b, data, full).log(null, false).resumeFrom(tmp.resolve("b")).run();

        Map<String, Tensor> sa = a.model().stateDict(), sb = b.model().stateDict();
        for (String n : sa.keySet()) {
            if (!Arrays.equals(sa.get(n).toArray(), sb.get(n).toArray())) {
                System.out.println(method + " differs: " + n);
                System.exit(1);
            }
        }
        System.out.println(method + " bit-identical after 20 steps (resumed at 10; " + draws + " drop-path draws replayed)");
    }
}
