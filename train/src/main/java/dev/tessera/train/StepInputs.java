package dev.tessera.train;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.Prefetch;
import dev.tessera.engine.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The device side of an objective's {@link Objective#hostInputs}: two sets of persistent buffers, filled in turn by
 * {@link Backend#prefetch}, so the trainer copies step k+1's images and noise while step k computes (on a GPU the
 * copy runs on a second stream; on the CPU it is the plain copy). A set is refilled only after every step queued
 * before the prefetch, which includes the last step that read it. With CUDA graphs each set has its own compute
 * graph ({@link StepGraphs}), so the copy overlaps the replay just as it overlaps an eager step.
 *
 * <p>The buffers are sized by the first inputs; a later micro-batch of other shapes (there is none with the
 * trainer's drop-last loader) would be refused with both shapes named.
 */
final class StepInputs {
    /** One micro-batch's inputs on their way to set {@code set}. */
    record Staged(int set, List<Prefetch> copies, List<int[]> shapes) {}

    private final Backend backend;
    private final List<List<Buffer>> sets = new ArrayList<>();
    private List<int[]> shapes;

    StepInputs(Backend backend) {
        this.backend = backend;
    }

    /** Starts copying {@code in} into set {@code set} (0 or 1); allocates the sets on first use (outside any scope). */
    Staged stage(int set, Objective.HostInputs in) {
        if (shapes == null) {
            shapes = in.shapes();
            for (int s = 0; s < 2; s++) {
                List<Buffer> buffers = new ArrayList<>();
                for (float[] a : in.arrays()) buffers.add(backend.allocateUninitialized(a.length));
                sets.add(buffers);
            }
        }
        for (int i = 0; i < shapes.size(); i++) {
            if (!Arrays.equals(shapes.get(i), in.shapes().get(i))) {
                throw new IllegalStateException("step input " + i + " has shape " + Arrays.toString(in.shapes().get(i))
                        + " but the staged buffers were sized for " + Arrays.toString(shapes.get(i)));
            }
        }
        List<Prefetch> copies = new ArrayList<>();
        for (int i = 0; i < in.arrays().size(); i++) copies.add(backend.prefetch(in.arrays().get(i), sets.get(set).get(i)));
        return new Staged(set, copies, in.shapes());
    }

    /** Orders the copies before the work queued from now on and returns the inputs as tensors (no copy). */
    List<Tensor> await(Staged s) {
        for (Prefetch p : s.copies()) p.await();
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < s.shapes().size(); i++) out.add(Tensor.over(backend, sets.get(s.set()).get(i), s.shapes().get(i)));
        return out;
    }
}
