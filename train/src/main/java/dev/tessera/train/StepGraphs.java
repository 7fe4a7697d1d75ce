package dev.tessera.train;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.CapturedStep;
import dev.tessera.engine.backend.StepCaptureException;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The trainer's CUDA graphs ({@code --no-cuda-graph} turns them off): a step's device work recorded once and replayed
 * as one launch each, in two parts because the host must read the loss between them — the update may only run
 * after the trainer has seen a finite loss (so a non-finite one still stops the run with nothing updated):
 * <pre>
 *   graph "compute":  forward, loss slots, backward, gradient clipping       → read the loss (the step's one D2H)
 *   graph "update":   AdamW over every group, zero the gradients             ← AdamW's constants written before it
 * </pre>
 * The first {@value #EAGER_STEPS} steps of a session run eagerly (they fill the caching allocator with every block
 * the step needs: a capture may not call cuMemAlloc), step {@value #EAGER_STEPS}+1 is captured (the capture records,
 * then the graph is replayed for that same step), and every later step replays. Inputs stay identical to an eager
 * run: images and noise are drawn exactly as eagerly and copied into the buffers the graph reads
 * ({@link StepInputs}), AdamW's constants by {@code AdamW.prepareStep}. A backend without graphs (the CPU) runs
 * everything eagerly; a capture that fails logs one line and the run goes on eagerly.
 */
final class StepGraphs implements AutoCloseable {
    static final int EAGER_STEPS = 2;

    private final Backend backend;
    private final Consumer<String> warn;
    private String off;
    private int eagerSteps;
    private CapturedStep compute, update;

    /** @param off null when graphs may be used, else the reason they are not (logged once by the trainer) */
    StepGraphs(Backend backend, String off, Consumer<String> warn) {
        this.backend = backend;
        this.off = off;
        this.warn = warn;
    }

    /** Why graphs are not used (null while they are or may be). */
    String off() {
        return off;
    }

    /** Turns graphs off for the rest of the session (e.g. the model drew random numbers during a step). */
    void disable(String reason) {
        if (off != null) return;
        off = reason;
        close();
    }

    /** Whether this step's inputs go to the captured buffer set (from the capture on). */
    boolean capturing() {
        return off == null && eagerSteps >= EAGER_STEPS;
    }

    /** Runs the compute part of a step: eagerly, captured then replayed, or replayed. */
    void compute(Runnable body) {
        compute = run(body, compute, "compute");
    }

    /** Runs the update part of a step, then counts the step. */
    void update(Runnable body) {
        update = run(body, update, "update");
        if (off == null && eagerSteps < EAGER_STEPS) eagerSteps++;
    }

    private CapturedStep run(Runnable body, CapturedStep graph, String part) {
        if (off != null || eagerSteps < EAGER_STEPS) {
            body.run();
            return graph;
        }
        if (graph == null) {
            try {
                Optional<CapturedStep> g = backend.captureStep(body);
                if (g.isEmpty()) {
                    off = backend.name() + " records no CUDA graphs";
                    close();
                    body.run();
                    return null;
                }
                graph = g.get();
            } catch (StepCaptureException e) {
                disable("capture of the " + part + " graph failed (" + e.getMessage() + ")");
                warn.accept("warning: CUDA graph off, steps run eagerly: " + off);
                body.run();
                return null;
            }
        }
        graph.replay();
        return graph;
    }

    @Override
    public void close() {
        if (compute != null) compute.close();
        if (update != null) update.close();
        compute = update = null;
    }
}
