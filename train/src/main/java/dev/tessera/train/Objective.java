package dev.tessera.train;

import dev.tessera.data.Batch;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * What the {@link Trainer} trains, and all it knows about it: a model, a scalar loss for a mini-batch, and
 * where the model's own randomness lives. The loop never knows which method it runs; {@link MaeObjective}
 * and {@link CaeObjective} adapt the two models, and tests plug in small deterministic ones.
 *
 * <p>Randomness contract (what makes resume exact): every random choice {@link #loss} makes — masks, noise —
 * comes from its {@code rng} argument, which the trainer derives from (seed, micro-batch index). Randomness
 * the model draws by itself (drop-path) must come from {@link #modelRng()}, whose position the trainer
 * records in each checkpoint.
 */
public interface Objective {

    /** What the model is: method, preset name and full configuration (written into config.json and checkpoints). */
    ModelSpec spec();

    /** The model; its trainable parameters are what the optimizer updates. */
    Module model();

    /** The backend the model's parameters live on. */
    Backend backend();

    /** The [C, H, W] of the images the model takes. */
    int[] imageShape();

    /**
     * The generator the model keeps for its own draws (the one its constructor received: ViT blocks keep it
     * for drop-path). The trainer tracks how far it has advanced. A model that draws nothing by itself may
     * return any generator it never uses.
     */
    Rng modelRng();

    /**
     * The scalar training loss of one micro-batch, recorded on the autograd tape. Runs inside the trainer's
     * step scope, so everything it allocates is released after the step.
     */
    Tensor loss(Batch batch, RandomGenerator rng);

    /**
     * The names of the terms the loss is made of, for metrics.jsonl (CAE: {@code loss_main} and {@code loss_align},
     * whose weighted sum is the loss); empty when the loss is one term. Fixed for the objective's life: the trainer
     * sizes its read-back slots with it.
     */
    default List<String> lossTermNames() {
        return List.of();
    }

    /**
     * The terms of the last {@link #loss} call, named as {@link #lossTermNames}, as scalar tensors on the device:
     * the trainer copies them into its read-back slots, so reading them costs no extra wait for the device.
     */
    default Map<String, Tensor> lossTerms() {
        return Map.of();
    }

    /**
     * Every host array {@link #loss} would upload for this micro-batch, drawn exactly as it draws them (MAE: the
     * images [N, C, H, W] and the masking noise [N, L]), or empty when the objective uploads as it goes. With them the
     * trainer copies a batch ahead into persistent device buffers while the previous step computes
     * ({@code Backend.prefetch}), and a captured step (a CUDA graph) reads its inputs from those buffers.
     * {@link #loss(List)} on the uploaded arrays must equal {@link #loss(Batch, RandomGenerator)} bit for bit.
     */
    default Optional<HostInputs> hostInputs(Batch batch, RandomGenerator rng) {
        return Optional.empty();
    }

    /** The loss of the micro-batch whose {@link #hostInputs} are on the device as {@code inputs}, in the same order. */
    default Tensor loss(List<Tensor> inputs) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no host inputs to stage");
    }

    /** Host arrays and their shapes, in the order {@link #loss(List)} takes them. */
    record HostInputs(List<float[]> arrays, List<int[]> shapes) {
        public HostInputs {
            if (arrays.size() != shapes.size()) throw new IllegalArgumentException("HostInputs: " + arrays.size() + " arrays, "
                    + shapes.size() + " shapes");
            arrays = List.copyOf(arrays);
            shapes = List.copyOf(shapes);
        }
    }

    /** MAE's reconstruction figure, when the model predicts pixels. */
    default Optional<Reconstructor> reconstructor() {
        return Optional.empty();
    }
}
