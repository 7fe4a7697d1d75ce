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
 *   graph "compute" (one per input set): forward, loss slots, backward, clipping → read the loss (the step's one D2H)
 *   graph "update":   AdamW over every group, zero the gradients             ← AdamW's constants written before it
 * </pre>
 * The inputs stay double-buffered as in eager mode ({@link StepInputs}: step k+1's images and noise are copied while
 * step k replays), so there are two compute graphs, one reading each buffer set; they run one after the other on
 * the one stream, so the second shares the first's memory ({@code Backend.captureStep(body, sharesMemoryWith)}) and
 * two cost the activation memory of one (a device-to-device copy into one fixed set before every replay would have
 * cost a copy of the batch per step instead of a second capture once).
 *
 * <p>The first {@value #EAGER_STEPS} steps of a session run eagerly (they fill the caching allocator with every block
 * the step needs: a capture may not call cuMemAlloc), steps {@value #EAGER_STEPS}+1 and +2 capture the compute graph
 * of their set (the capture records, then the graph is replayed for that same step), and every later step replays.
 * Inputs stay identical to an eager run: images and noise are drawn exactly as eagerly and copied into the buffers
 * the graph reads, AdamW's constants by {@code AdamW.prepareStep}. A backend without graphs (the CPU) runs everything
 * eagerly; a capture that fails logs one line and the run goes on eagerly.
 */
final class StepGraphs implements AutoCloseable {
    static final int EAGER_STEPS = 2;

    private final Backend backend;
    private final Consumer<String> warn;
    private String off;
    private int eagerSteps;
    private final CapturedStep[] compute = new CapturedStep[2];
    private CapturedStep update;

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

    /** Runs the compute part of a step whose inputs are in buffer set {@code set}: eagerly, captured then replayed, or replayed. */
    void compute(int set, Runnable body) {
        compute[set] = run(body, compute[set], compute[set ^ 1], "compute");
    }

    /** Runs the update part of a step, then counts the step. */
    void update(Runnable body) {
        update = run(body, update, null, "update");
        if (off == null && eagerSteps < EAGER_STEPS) eagerSteps++;
    }

    private CapturedStep run(Runnable body, CapturedStep graph, CapturedStep sibling, String part) {
        if (off != null || eagerSteps < EAGER_STEPS) {
            body.run();
            return graph;
        }
        if (graph == null) {
            try {
                Optional<CapturedStep> g = backend.captureStep(body, sibling);
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
        for (int s = 0; s < 2; s++) {
            if (compute[s] != null) compute[s].close();
            compute[s] = null;
        }
        if (update != null) update.close();
        update = null;
    }
}
