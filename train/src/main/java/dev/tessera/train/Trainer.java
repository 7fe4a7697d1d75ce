package dev.tessera.train;

import dev.tessera.data.Batch;
import dev.tessera.data.Dataset;
import dev.tessera.data.Loader;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.dist.Collectives;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.GradClip;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.ModelSummary;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The pretraining loop, the same for every model (MAE {@code engine_pretrain.py}, docs/mae.md#pretraining-recipe; kept apart from the
 * models and the command line): it sees an {@link Objective}, never a model class.
 *
 * <pre>
 *   for each optimizer step s (0-based):
 *       lr = plan.lr(s)                                   warmup + half cosine, per iteration
 *       repeat accum times:                               gradient accumulation
 *           in a StepScope:  loss = objective.loss(batch, rng(seed, micro-batch))
 *                            stop if loss is not finite   (nothing updated, no checkpoint written)
 *                            (loss / accum).backward()    gradients add up in the flat store
 *       clip the global gradient norm (if set);  AdamW step;  zero the gradients
 *       log / checkpoint / stop on --stop-after or the time limit
 * </pre>
 * Parameters, gradients and AdamW's moments live in one {@link ParameterStore} built outside any scope; every
 * micro-batch's activations live in its own {@link StepScope}, so memory stays flat over the run.
 *
 * <p>Determinism: the model's init and drop-path draw from the generator the objective was built with
 * ({@link Objective#modelRng}, position checkpointed by {@link RngCursor}); masks draw from a generator
 * derived from (seed, micro-batch index); the data order and augmentation are functions of (seed, epoch,
 * batch) ({@link Loader}). A run stopped after step k and resumed from its checkpoint therefore computes the
 * same numbers as one that never stopped.
 *
 * <p>Data-parallel ({@link #distributed}, docs/distributed.md): each rank reads its {@link dev.tessera.data.DistributedSampler}
 * shard, the plan's lr follows batch × accum × world, the last micro-batch's backward hands finished gradients to
 * {@link DataParallel}, and only rank 0 writes files and logs.
 *
 * <p>Use from code (no files are written unless {@link #output} or {@link #resumeFrom} is given):
 * <pre>{@code
 *   Backend be = new CpuBackend(2);
 *   MaeObjective mae = MaeObjective.create(MaeConfig.preset("mae-tiny"), be, 0);
 *   TrainSettings s = TrainSettings.forMethod("mae").toBuilder().batchSize(64).steps(300).timeLimitMinutes(10).build();
 *   TrainResult r = new Trainer(mae, fashionTrain, s).heldOut(fashionTest).output(Path.of("runs/demo")).run();
 *   MaskedAutoencoder trained = mae.model();      // or r.model(); r.losses() has every step's loss
 * }</pre>
 */
public final class Trainer {
    private static final long STEP_STREAM = 0x73746570L; // "step"

    private final Objective objective;
    private final Dataset train;
    private final TrainSettings settings;
    private Dataset heldOut;
    private Path outDir;
    private Path resumeDir;
    private PrintWriter log = new PrintWriter(System.out, true);
    private boolean terminal = System.console() != null;
    private DataSource data;
    private String dataDescription;
    private List<String> command = List.of();
    private StepTimer timer;
    private final List<RunListener> listeners = new ArrayList<>();
    private Collectives comm = Collectives.single();
    private boolean cudaGraph = true;

    /** A run of {@code objective} on {@code train} with {@code settings}; configure further, then {@link #run}. */
    public Trainer(Objective objective, Dataset train, TrainSettings settings) {
        this.objective = objective;
        this.train = train;
        this.settings = settings;
        this.data = DataSource.custom(train.getClass().getSimpleName() + " (" + train.size() + " images)");
    }

    /**
     * Tells {@code listener} about the run's metrics, checkpoints and end (for example {@link Pictures}); only runs
     * with an {@link #output} or {@link #resumeFrom} directory have events.
     */
    public Trainer listen(RunListener listener) {
        listeners.add(listener);
        return this;
    }

    /** Images for recon.png (a test split); without it the figure shows training images. */
    public Trainer heldOut(Dataset d) {
        this.heldOut = d;
        return this;
    }

    /** Writes a new run directory there (see {@link RunDirectory}); it must not already hold a run. */
    public Trainer output(Path dir) {
        this.outDir = dir;
        return this;
    }

    /**
     * Continues the run in {@code runDir} from its checkpoint. The objective must be freshly built from the
     * checkpoint's model spec and seed, and the settings must train identically (only workers, intervals,
     * stop-after and the time limit may differ).
     */
    public Trainer resumeFrom(Path runDir) {
        this.resumeDir = runDir;
        return this;
    }

    /**
     * Receives the wall time of every optimizer step (data hand-off, forward, backward, clipping, AdamW), the
     * backend synchronised at its end so that a GPU's queued work is inside the measurement. For benchmarks
     * ({@code tessera bench step}); the extra synchronisation is only made when a timer is set.
     */
    public Trainer timeSteps(StepTimer t) {
        this.timer = t;
        return this;
    }

    /**
     * Whether a step may run as CUDA graphs ({@link StepGraphs}; on by default, {@code --no-cuda-graph} turns it off).
     * The numbers are the same either way; where graphs cannot work the run says why in one line and runs eagerly.
     */
    public Trainer cudaGraph(boolean on) {
        this.cudaGraph = on;
        return this;
    }

    /** Where progress goes ({@code null}: nowhere) and whether it is a terminal (a redrawn bar) or a log. */
    public Trainer log(PrintWriter out, boolean isTerminal) {
        this.log = out == null ? new PrintWriter(PrintWriter.nullWriter()) : out;
        this.terminal = isTerminal;
        return this;
    }

    /**
     * What config.json says about the data and the command line, and the data's one-line description for the
     * log (the CLI fills these in; see {@link DataSource.Opened#description}).
     */
    public Trainer source(DataSource source, String description, List<String> commandLine) {
        this.data = source;
        this.dataDescription = description;
        this.command = List.copyOf(commandLine);
        return this;
    }

    /**
     * Trains data-parallel over {@code c}'s processes (docs/distributed.md): each reads its shard of every
     * epoch, gradients are averaged over all of them, and only rank 0 writes the run directory and the log.
     */
    public Trainer distributed(Collectives c) {
        this.comm = c;
        return this;
    }

    // ================================================================ the run

    /** Trains until the plan is done, --stop-after or the time limit; see the class comment. */
    public TrainResult run() {
        // ---- everything that can be wrong with the input is checked before a file is written
        checkImages(train, "the data");
        if (heldOut != null) checkImages(heldOut, "the held-out data");
        TrainingPlan plan = TrainingPlan.of(settings, train.size(), comm.worldSize());
        if (comm.rank() != 0) {                          // rank 0 alone writes the run's files and log
            outDir = null;
            listeners.clear();
            log = new PrintWriter(PrintWriter.nullWriter());
        }
        Checkpoint ckpt = resumeDir == null ? null : readResumable(plan);
        Backend be = objective.backend();
        Module model = objective.model();
        RunConfig config = ckpt != null ? ckpt.run()
                : new RunConfig(version(), OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString(), command,
                        objective.spec(), data, be.name(), be.precision().label(), settings, plan);
        if (config.precisionOrFp32() != be.precision()) {
            throw new IllegalArgumentException("--resume " + resumeDir + ": the run was trained with --precision "
                    + config.precisionOrFp32().label() + " but the backend computes in " + be.precision().label());
        }

        // ---- persistent state, outside any scope
        RngCursor cursor = new RngCursor(objective.modelRng());
        model.train(true);
        ParameterStore store = new ParameterStore(be, model);
        AdamW opt = new AdamW(store, AdamW.Config.pretrain((float) settings.weightDecay())
                .withBetas((float) settings.beta1(), (float) settings.beta2()));
        opt.wroteNonFinite();              // forget what another optimizer on this backend left unread: the guard is this run's
        List<Double> losses = new ArrayList<>();
        int step = 0;
        if (ckpt != null) {
            ckpt.loadInto(model, objective.spec().describe());
            ckpt.loadOptimizerInto(opt);
            cursor.replay(ckpt.rngDraws(), ckpt.rngState(), ckpt.path().toString());
            step = ckpt.step();
            for (float f : ckpt.losses()) losses.add((double) f);
        }
        DataParallel parallel = new DataParallel(comm, store, DataParallel.BUCKET_FLOATS);
        if (comm.worldSize() > 1) parallel.broadcastParameters();
        RunDirectory dir = null;
        if (resumeDir != null && comm.rank() == 0) {      // other ranks read the checkpoint above and touch no file
            dir = RunDirectory.resume(resumeDir);          // locked from here until the run ends
            dir.truncateMetrics(step);
        } else if (outDir != null) {
            dir = RunDirectory.create(outDir, config);
        }
        // every run directory gets a TensorBoard log, after the caller's listeners (Pictures draws recon.png first)
        try (RunDirectory locked = dir) {
            if (dir != null && listeners.stream().noneMatch(l -> l instanceof TensorBoardLog)) listeners.add(new TensorBoardLog());
            announce(plan, store, dir, ckpt);
            return new Session(plan, config, store, opt, cursor, dir, losses, step, ckpt == null ? null : step, parallel).run();
        }
    }

    private void checkImages(Dataset d, String what) {
        checkImageShape(objective.spec().name(), objective.imageShape(), d, what + " (" + data.describe() + ")");
    }

    /**
     * The images of {@code d} must have the model's [C, H, W] {@code want}; the message names both shapes and
     * {@code source}, e.g. "model mae-tiny expects 1×28×28 images, but the data (image-folder /x) gives 3×224×224".
     */
    public static void checkImageShape(String modelName, int[] want, Dataset d, String source) {
        int[] got = {d.channels(), d.height(), d.width()};
        if (!Arrays.equals(want, got)) {
            throw new IllegalArgumentException("model " + modelName + " expects " + shape(want) + " images, but " + source + " gives "
                    + shape(got));
        }
    }

    private static String shape(int[] s) {
        return s[0] + "×" + s[1] + "×" + s[2];
    }

    /** Reads the checkpoint to resume and checks that it continues exactly this run. */
    private Checkpoint readResumable(TrainingPlan plan) {
        RunDirectory dir = RunDirectory.existing(resumeDir);
        Checkpoint c = Checkpoint.read(dir.checkpoint());
        String where = "--resume " + resumeDir;
        if (!c.isTrainingCheckpoint()) throw new IllegalArgumentException(where + ": " + c.path() + " holds weights only, no training state");
        ModelSpec mine = objective.spec();
        if (!c.spec().method().equals(mine.method()) || !c.spec().name().equals(mine.name())) {
            throw new IllegalArgumentException(where + ": the checkpoint is " + c.spec().describe() + " but this run's model is "
                    + mine.describe());
        }
        c.checkFits(objective.model(), mine.describe());
        if (!c.spec().equals(mine)) {
            throw new IllegalArgumentException(where + ": the checkpoint's " + c.spec().name() + " is configured differently from this "
                    + "run's (compare model_spec in " + c.path() + " with the model you built)");
        }
        int before = c.run().plan().worldSize();
        if (before != plan.worldSize()) {
            throw new IllegalArgumentException(where + ": the run was trained on " + before + " process" + (before == 1 ? "" : "es")
                    + ", this one has " + plan.worldSize() + "; resume with the same world size (" + (before == 1 ? "without --distributed"
                    : "mpirun -np " + before + " … --distributed") + "), since the data order and the lr depend on it (docs/distributed.md#resume)");
        }
        String diff = trainingDifference(c.run().settings(), settings);
        if (diff != null) throw new IllegalArgumentException(where + ": " + diff + "; a resumed run keeps its settings");
        if (!c.run().plan().equals(plan)) {
            throw new IllegalArgumentException(where + ": the data gives a different plan (" + plan.stepsPerEpoch() + " steps per epoch, "
                    + plan.totalSteps() + " in all) than the checkpoint's run (" + c.run().plan().stepsPerEpoch() + ", "
                    + c.run().plan().totalSteps() + "); resume with the same data");
        }
        if (c.step() >= plan.totalSteps()) {
            throw new IllegalArgumentException(where + ": the run already finished (step " + c.step() + " of " + plan.totalSteps() + ")");
        }
        if (c.epoch() != plan.epochOf(c.step()) || c.batch() != plan.firstBatchOf(c.step(), settings.accum())) {
            throw new IllegalArgumentException(where + ": data position (epoch " + c.epoch() + ", batch " + c.batch()
                    + ") does not match step " + c.step());
        }
        return c;
    }

    /** Null when {@code a} and {@code b} train identically, else which setting differs. */
    static String trainingDifference(TrainSettings a, TrainSettings b) {
        Map<String, Object[]> fields = new LinkedHashMap<>();
        fields.put("method", new Object[] {a.method(), b.method()});
        fields.put("batch", new Object[] {a.batchSize(), b.batchSize()});
        fields.put("accum", new Object[] {a.accum(), b.accum()});
        fields.put("epochs", new Object[] {a.epochs(), b.epochs()});
        fields.put("steps", new Object[] {a.steps(), b.steps()});
        fields.put("lr", new Object[] {a.lr(), b.lr()});
        fields.put("blr", new Object[] {a.blr(), b.blr()});
        fields.put("min lr", new Object[] {a.minLr(), b.minLr()});
        fields.put("warmup epochs", new Object[] {a.warmupEpochs(), b.warmupEpochs()});
        fields.put("warmup fraction", new Object[] {a.warmupFraction(), b.warmupFraction()});
        fields.put("weight decay", new Object[] {a.weightDecay(), b.weightDecay()});
        fields.put("beta1", new Object[] {a.beta1(), b.beta1()});
        fields.put("beta2", new Object[] {a.beta2(), b.beta2()});
        fields.put("clip grad", new Object[] {a.clipGrad(), b.clipGrad()});
        fields.put("seed", new Object[] {a.seed(), b.seed()});
        for (var e : fields.entrySet()) {
            Object x = e.getValue()[0], y = e.getValue()[1];
            if (x == null ? y != null : !x.equals(y)) return e.getKey() + " differs (checkpoint " + x + ", now " + y + ")";
        }
        return null;
    }

    private void announce(TrainingPlan plan, ParameterStore store, RunDirectory dir, Checkpoint ckpt) {
        if (dir != null) log.println("run directory: " + dir.path());
        log.println("model: " + objective.spec().describe() + ", " + ModelSummary.thousands(store.size()) + " trainable parameters");
        log.println("data: " + (dataDescription != null ? dataDescription
                : data.describe() + ", " + train.size() + " images of " + shape(objective.imageShape())));
        log.println(String.format(Locale.ROOT, "plan: %d steps (%.2f epochs of %d), batch %d × accum %d%s, peak lr %.3g, warmup %.1f steps, seed %d",
                plan.totalSteps(), plan.epochs(), plan.stepsPerEpoch(), settings.batchSize(), settings.accum(),
                plan.worldSize() > 1 ? " × " + plan.worldSize() + " processes" : "", plan.peakLr(), plan.warmupSteps(), settings.seed()));
        if (ckpt != null) log.println("resuming at step " + ckpt.step() + " from " + ckpt.path());
        log.flush();
    }

    static String version() {
        // A resource of this module's own package: found on the class path and on the module path alike (a
        // named module looks resources up only in itself).
        try (InputStream in = Trainer.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("tessera.version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    // ================================================================ one session of the loop

    /** The mutable state of one run() call. */
    private final class Session {
        private final TrainingPlan plan;
        private final RunConfig config;
        private final ParameterStore store;
        private final AdamW opt;
        private final RngCursor cursor;
        private final RunDirectory dir;
        private final List<Double> losses;
        private final Integer resumedFrom;
        private final Rng streams = new Rng(settings.seed()).fork(STEP_STREAM);
        private final Progress progress;
        private final List<String> notes = new ArrayList<>();
        private final long startNanos = System.nanoTime();
        private final int startStep;
        private int step;
        private int lastCheckpoint = -1;
        /** Whether the optimizer's non-finite record has been read since the last AdamW step. */
        private boolean stateChecked = true;
        /** The last step's loss parts (means over its micro-batches), for metrics.jsonl. */
        private Map<String, Double> lastParts = Map.of();
        private long windowNanos = System.nanoTime();
        private int windowStep;
        /** The step's losses, loss terms and gradient norm on the device, read once per step. */
        private final LossReadback readback;
        private final DataParallel parallel;
        /** The staged inputs (accum 1 and an objective with host inputs), the next step's copy, and the graphs. */
        private StepInputs inputs;
        private Boolean staged;
        private StepInputs.Staged pending;
        private int nextSet;
        private final StepGraphs graphs;

        Session(TrainingPlan plan, RunConfig config, ParameterStore store, AdamW opt, RngCursor cursor, RunDirectory dir,
                List<Double> losses, int step, Integer resumedFrom, DataParallel parallel) {
            this.parallel = parallel;
            this.plan = plan;
            this.config = config;
            this.store = store;
            this.opt = opt;
            this.cursor = cursor;
            this.dir = dir;
            this.losses = losses;
            this.step = step;
            this.readback = new LossReadback(objective.backend(), settings.accum() * (1 + objective.lossTermNames().size()) + 1);
            this.startStep = step;
            this.windowStep = step;
            this.resumedFrom = resumedFrom;
            if (resumedFrom != null) lastCheckpoint = step;
            this.progress = new Progress(log, terminal, step, plan.totalSteps(), settings.logEvery());
            this.graphs = new StepGraphs(objective.backend(), !cudaGraph ? "--no-cuda-graph"
                    : settings.accum() > 1 ? "gradient accumulation (--accum " + settings.accum() + ")"
                    : parallel.worldSize() > 1 ? "distributed training (the all-reduce runs between backward and the update)" : null,
                    progress::message);
            if (settings.accum() > 1) staged = false;
        }

        TrainResult run() {
            String stopReason = null;
            Loader.Options options = new Loader.Options(settings.batchSize(), true, settings.seed(), settings.workers(), true, false);
            try {
                outer:
                while (step < plan.totalSteps()) {
                    int epoch = plan.epochOf(step);
                    try (Loader loader = new Loader(train, options, epoch, plan.firstBatchOf(step, settings.accum()), parallel.rank(),
                            parallel.worldSize())) {
                        Iterator<Batch> batches = loader.iterator();
                        pending = null;                                       // a prefetch never crosses a loader
                        while (step < plan.totalSteps() && plan.epochOf(step) == epoch) {
                            double lr = plan.lr(step);
                            long t0 = System.nanoTime();
                            boolean nextInEpoch = step + 1 < plan.totalSteps() && plan.epochOf(step + 1) == epoch;
                            double loss = staged != Boolean.FALSE ? stagedStep(batches, lr, nextInEpoch) : optimizerStep(batches, lr);
                            if (timer != null) {
                                objective.backend().synchronize();
                                timer.stepDone(step + 1, System.nanoTime() - t0);
                            }
                            step++;
                            losses.add(loss);
                            stopReason = stopReason();
                            boolean last = step == plan.totalSteps() || stopReason != null;
                            if (last) guardOptimizer();
                            afterStep(loss, lr, last);
                            if (stopReason != null) break outer;
                        }
                    }
                }
            } catch (NonFiniteLossException e) {
                graphs.close();
                progress.finish();
                if (dir != null) {
                    RunEvent event = event();
                    for (RunListener l : listeners) l.onEnd(event, e.getMessage());
                    dir.writeSummary(summary("failed: " + e.getMessage()));
                }
                throw e;
            }
            graphs.close();
            progress.finish();
            if (parallel.worldSize() > 1) progress.message(parallel.summary());
            if (stopReason != null) progress.message("stopped: " + stopReason);
            if (dir != null) {
                RunEvent event = event();
                for (RunListener l : listeners) l.onEnd(event, null);
                dir.writeSummary(summary(stopReason == null ? "finished" : "stopped: " + stopReason));
            }
            return new TrainResult(objective, objective.backend(), dir == null ? null : dir.path(), step, plan.totalSteps(), losses,
                    minutes(), imagesPerSecond(), stopReason);
        }

        /**
         * One optimizer step over accum micro-batches; returns the mean micro-batch loss. The losses, their terms and
         * the gradient norm stay on the device until one read before the update ({@link LossReadback}); a non-finite
         * one stops the run there, before any parameter changes.
         */
        @SuppressWarnings("try") // the scope is only closed: it frees the micro-batch's activations
        private double optimizerStep(Iterator<Batch> batches, double lr) {
            Backend be = objective.backend();
            int accum = settings.accum();
            List<String> names = objective.lossTermNames();
            int perBatch = 1 + names.size(), normSlot = accum * perBatch;
            store.reattachGrads();
            for (int j = 0; j < accum; j++) {
                Batch b = batches.next();
                Rng rng = streams.fork((long) step * accum + j);             // a function of (seed, micro-batch index)
                try (StepScope s = be.openScope()) {
                    backwardMicroBatch(objective.loss(b, rng), j * perBatch, accum, j == accum - 1);
                }
            }
            finishGradients(normSlot);
            double loss = checkedLoss(lr);
            opt.step((float) lr);
            store.zeroGrad();
            stateChecked = false;
            return loss;
        }

        /**
         * One optimizer step of accum 1 over inputs staged by {@link StepInputs}: the next step's images and noise are
         * copied while this one computes, and from the third step on the step runs as CUDA graphs ({@link StepGraphs}).
         * The same ops in the same order as {@link #optimizerStep}, so the numbers are identical.
         */
        @SuppressWarnings("try")
        private double stagedStep(Iterator<Batch> batches, double lr, boolean nextInEpoch) {
            Backend be = objective.backend();
            StepInputs.Staged cur = pending;
            pending = null;
            if (cur == null) {
                Batch b = batches.next();
                Optional<Objective.HostInputs> in = objective.hostInputs(b, streams.fork(step));
                if (in.isEmpty()) {
                    staged = false;
                    graphs.disable(objective.spec().method() + " draws on the host inside each step (CAE: drop-path and block masks)");
                    noteGraphsOff();
                    return optimizerStep(prepend(b, batches), lr);
                }
                if (inputs == null) inputs = new StepInputs(be);
                cur = inputs.stage(takeSet(), in.get());
            }
            staged = true;
            if (nextInEpoch) {                                               // before this step is queued: the copy overlaps it
                Batch next = batches.next();
                pending = inputs.stage(takeSet(), objective.hostInputs(next, streams.fork(step + 1)).orElseThrow());
            }
            List<Tensor> in = inputs.await(cur);
            store.reattachGrads();
            int normSlot = 1 + objective.lossTermNames().size();
            long draws = cursor.draws();
            graphs.compute(cur.set(), () -> {
                try (StepScope s = be.openScope()) {
                    backwardMicroBatch(objective.loss(in), 0, 1, true);
                }
                finishGradients(normSlot);
            });
            if (cursor.draws() != draws) {
                // a graph would replay one step's draws forever: the model's own randomness (drop-path) rules it out
                graphs.disable("the model draws from its generator during a step (drop-path)");
                noteGraphsOff();
            }
            double loss = checkedLoss(lr);
            opt.prepareStep((float) lr);                                     // AdamW's constants: written before the update runs
            graphs.update(() -> {
                opt.applyStep();
                store.zeroGrad();
            });
            stateChecked = false;
            return loss;
        }

        /**
         * Puts a micro-batch's loss and its named terms into the read-back slots from {@code slot} and runs its backward.
         * The step's loss is the mean of the micro-batch means: each contributes 1/accum of the gradient (and each rank
         * 1/world: the all-reduce sums); the {@code last} backward starts the all-reduce bucket by bucket.
         */
        private void backwardMicroBatch(Tensor loss, int slot, int accum, boolean last) {
            List<String> names = objective.lossTermNames();
            readback.put(slot, loss);
            Map<String, Tensor> terms = objective.lossTerms();
            for (int t = 0; t < names.size(); t++) readback.put(slot + 1 + t, term(terms, names.get(t)));
            int shares = accum * parallel.worldSize();
            Tensor scaled = shares == 1 ? loss : loss.mul(1f / shares);
            if (parallel.worldSize() > 1 && last) scaled.backward(parallel.beginLastBackward());
            else scaled.backward();
        }

        /** After the last backward: every bucket's all-reduce has landed, then the clipping (its norm to {@code normSlot}). */
        private void finishGradients(int normSlot) {
            if (parallel.worldSize() > 1) parallel.finish();
            if (settings.clipGrad() > 0) GradClip.clipGlobalNorm(store, (float) settings.clipGrad(), readback.slot(normSlot));
        }

        private int takeSet() {
            int s = nextSet;
            nextSet ^= 1;
            return s;
        }

        private boolean notedOff;

        /** One line saying why graphs are off, once, on a backend that could record them. */
        private void noteGraphsOff() {
            if (notedOff || objective.backend() instanceof CpuBackend || graphs.off() == null || !cudaGraph) return;
            notedOff = true;
            progress.message("CUDA graph off: " + graphs.off());
        }

        private static Iterator<Batch> prepend(Batch first, Iterator<Batch> rest) {
            return new Iterator<>() {
                private boolean given;

                @Override
                public boolean hasNext() {
                    return !given || rest.hasNext();
                }

                @Override
                public Batch next() {
                    if (given) return rest.next();
                    given = true;
                    return first;
                }
            };
        }

        /**
         * Reads the step's loss slots (its one wait), checks them and returns the mean micro-batch loss; throws
         * {@link NonFiniteLossException} with the gradients zeroed when the loss or the gradient norm is not finite.
         */
        private double checkedLoss(double lr) {
            int accum = settings.accum();
            List<String> names = objective.lossTermNames();
            int perBatch = 1 + names.size(), normSlot = accum * perBatch;
            boolean clip = settings.clipGrad() > 0;
            float[] r = readback.read(normSlot + (clip ? 1 : 0));
            guardOptimizer();                                              // the read drained the queue: the flag is free
            double sum = 0;
            float firstBad = Float.NaN;
            Map<String, Double> parts = new LinkedHashMap<>();
            for (int j = 0; j < accum; j++) {
                float v = r[j * perBatch];
                if (!Float.isFinite(v) && Float.isNaN(firstBad)) firstBad = v;
                sum += v;
                for (int t = 0; t < names.size(); t++) parts.merge(names.get(t), (double) r[j * perBatch + 1 + t] / accum, Double::sum);
            }
            if (parallel.worldSize() > 1) {
                // The logged loss is the global batch's; a non-finite loss on any rank makes the mean non-finite, so
                // every rank stops at the same step instead of one waiting for the others in a collective.
                double[] local = new double[parts.size() + 1];
                local[0] = sum / accum;
                int k = 1;
                for (double v : parts.values()) local[k++] = v;
                double[] mean = parallel.mean(local);
                sum = mean[0] * accum;
                k = 1;
                for (var e : parts.entrySet()) e.setValue(mean[k++]);
            }
            if (!Double.isFinite(sum)) {
                store.zeroGrad();
                throw nonFinite("loss", Float.isNaN(firstBad) ? (float) (sum / accum) : firstBad, lr);
            }
            if (clip) {
                float norm = r[normSlot];
                if (!Float.isFinite(norm)) {
                    store.zeroGrad();
                    throw nonFinite("gradient norm", norm, lr);
                }
                parts.put("grad_norm", (double) norm);                       // before clipping, as CAE's engine logs it
            }
            lastParts = parts;
            return (float) (sum / accum);    // float, as the checkpoint's history stores it: resumed histories match
        }

        private static Tensor term(Map<String, Tensor> terms, String name) {
            Tensor t = terms.get(name);
            if (t == null) throw new IllegalStateException("the objective named the loss term " + name + " but did not report it");
            return t;
        }

        private NonFiniteLossException nonFinite(String what, float value, double lr) {
            int s = step + 1;
            return new NonFiniteLossException(String.format(Locale.ROOT, "%s is %s at step %d (epoch %.3f, lr %.3g); training stopped%s",
                    what, value, s, plan.epoch(step), lr, keptCheckpoint()), s, value);
        }

        /** Where the last finite state is: the checkpoint written after step {@code lastCheckpoint}, or the resumed one. */
        private String keptCheckpoint() {
            if (dir == null) return "";
            if (lastCheckpoint < 0) return "; no checkpoint had been written yet";
            return "; the last finite checkpoint (" + (resumedFrom != null && lastCheckpoint == resumedFrom
                    ? "step " + lastCheckpoint + ", the one this run resumed from" : "step " + lastCheckpoint) + ") is kept in " + dir.checkpoint();
        }

        /**
         * Stops the run when the last AdamW step wrote a NaN or infinity into its moments or the weights: the loss
         * can stay finite for many steps while v overflows, and a checkpoint of that state resumes into garbage.
         */
        private void guardOptimizer() {
            if (stateChecked) return;
            stateChecked = true;
            if (!opt.wroteNonFinite()) return;
            throw new NonFiniteLossException(String.format(Locale.ROOT, "the optimizer state (AdamW moments or weights) holds NaN or "
                    + "infinity after step %d (lr %.3g); training stopped%s", step, plan.lr(step - 1), keptCheckpoint()), step, Double.NaN);
        }

        private String stopReason() {
            if (settings.stopAfter() > 0 && step >= settings.stopAfter() && step < plan.totalSteps()) {
                return "after " + step + " of " + plan.totalSteps() + " steps as asked (--stop-after " + settings.stopAfter() + ")"
                        + (dir != null ? "; continue with --resume " + dir.path() : "");
            }
            boolean timeUp = settings.timeLimitMinutes() > 0 && minutes() >= settings.timeLimitMinutes() && step < plan.totalSteps();
            // ranks stop together: one rank's clock must not leave the others waiting in an all-reduce
            if (parallel.worldSize() > 1 && settings.timeLimitMinutes() > 0) timeUp = parallel.mean(new double[] {timeUp ? 1 : 0})[0] > 0;
            if (timeUp) {
                return String.format(Locale.ROOT, "time limit of %.3g minutes reached at step %d of %d", settings.timeLimitMinutes(), step,
                        plan.totalSteps()) + (dir != null ? "; continue with --resume " + dir.path() : "");
            }
            return null;
        }

        private void afterStep(double loss, double lr, boolean last) {
            double sessionRate = (step - startStep) * (double) plan.imagesPerStep() / ((System.nanoTime() - startNanos) / 1e9);
            progress.update(step, loss, lr, sessionRate);
            if (dir == null) return;
            if (step % settings.logEvery() == 0 || last) {
                long now = System.nanoTime();
                double rate = (step - windowStep) * (double) plan.imagesPerStep() / ((now - windowNanos) / 1e9);
                StepMetrics m = new StepMetrics(step, plan.epoch(step - 1), loss, lr, rate, lastParts);
                dir.appendMetrics(m);
                if (!listeners.isEmpty()) {
                    RunEvent event = event();
                    for (RunListener l : listeners) l.onMetrics(event, m);
                }
                windowNanos = now;
                windowStep = step;
            }
            if (step % settings.checkpointEvery() == 0 || last) checkpoint();
        }

        /** Checkpoint, then the listeners (so a failing picture never costs the checkpoint). */
        private void checkpoint() {
            guardOptimizer();                                        // never replace a finite checkpoint by a broken one
            float[] history = new float[losses.size()];
            for (int i = 0; i < history.length; i++) history[i] = losses.get(i).floatValue();
            long draws = cursor.draws();
            Checkpoint.write(dir.checkpoint(), objective.model(), opt, step, plan.epochOf(step), plan.firstBatchOf(step, settings.accum()),
                    cursor.state(), draws, history, config);
            lastCheckpoint = step;
            RunEvent event = event();
            for (RunListener l : listeners) l.onCheckpoint(event);
        }

        private RunEvent event() {
            return new RunEvent(dir, objective, heldOut != null ? heldOut : train, heldOut != null, settings.seed(), step, List.copyOf(losses), this::addNote);
        }

        private void addNote(String note) {
            if (note != null && !notes.contains(note)) notes.add(note);
        }

        private double minutes() {
            return (System.nanoTime() - startNanos) / 60e9;
        }

        private double imagesPerSecond() {
            double s = (System.nanoTime() - startNanos) / 1e9;
            return s > 0 ? (step - startStep) * (double) plan.imagesPerStep() / s : 0;
        }

        private RunSummary summary(String status) {
            Map<String, String> paths = new LinkedHashMap<>();
            paths.put("run_dir", dir.path().toString());
            for (String f : List.of(RunDirectory.CONFIG, RunDirectory.METRICS, RunDirectory.CHECKPOINT, RunDirectory.LOSS_PNG,
                    RunDirectory.RECON_PNG)) {
                if (Files.exists(dir.file(f))) paths.put(f.substring(0, f.indexOf('.')), dir.file(f).toString());
            }
            List<String> allNotes = new ArrayList<>(notes);
            return new RunSummary(status, config.model().method(), config.model().name(),
                    config.precisionOrFp32().label(), step, plan.totalSteps(), plan.epoch(step),
                    losses.isEmpty() ? null : losses.getLast(), minutes(), imagesPerSecond(), resumedFrom, paths, allNotes);
        }
    }
}
