package dev.tessera.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * Which GEMM runs {@code Backend.matmul}, chosen once when a backend starts, first that works of: cuBLAS 13
 * through Java's FFM API (CUDA 13 machines; the library is found at run time by {@link CudaLibraryLocator}), cuBLAS 12
 * through JCublas2 (CUDA 12 machines: its JNI library needs {@code libcublas.so.12}), and our own kernels
 * ({@link GemmCuda}, always there). Every candidate skipped leaves its one-line reason in the description, which
 * {@code tessera info}, the backend's log line and every bench result print. A candidate that was found but failed
 * to start (cublasCreate refused, a symbol missing) is also logged as a warning: a quiet fallback would let a run
 * labelled "tf32" compute in fp32 on our kernels.
 */
final class GemmSelection {
    private static final System.Logger LOG = System.getLogger(GemmSelection.class.getName());

    private GemmSelection() {}

    /** One way to run matmul. {@link #open} returns it ready, or throws (a {@link Missing} when simply not installed). */
    interface Candidate {
        /** e.g. "cuBLAS 13 via FFM" */
        String name();

        GpuGemm open();
    }

    /** The candidates a backend tries, in order, before its own kernels. */
    @FunctionalInterface
    interface Candidates {
        List<Candidate> list(CudaContext ctx, LaunchContext lc, CudaOptions options);
    }

    /** The library a candidate needs is not on this machine: an expected absence, not a failure. */
    static final class Missing extends RuntimeException {
        Missing(String reason) {
            super(reason);
        }
    }

    /** The chosen GEMM and the one line that says what it is and why the ones before it were skipped. */
    record Choice(GpuGemm gemm, String description) {}

    /** The standard order on a real GPU: cuBLAS 13 via FFM, then cuBLAS 12 via JCublas2. */
    static List<Candidate> candidates(CudaContext ctx, LaunchContext lc, CudaOptions options) {
        return List.of(
                candidate("cuBLAS 13 via FFM", () -> Cublas13Gemm.open(ctx, lc, options.tf32(), CudaLibraryLocator.system())),
                candidate("cuBLAS 12 via JCublas2", () -> {
                    String problem = JCublas2Gemm.libraryProblem();
                    if (problem != null) throw new Missing(problem);
                    return new JCublas2Gemm(ctx, lc, options.tf32());
                }));
    }

    static Candidate candidate(String name, java.util.function.Supplier<GpuGemm> open) {
        return new Candidate() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public GpuGemm open() {
                return open.get();
            }
        };
    }

    /** The first candidate that opens, else {@code own}; with cuBLAS switched off, {@code own} straight away. */
    static Choice choose(CudaOptions options, List<Candidate> candidates, GpuGemm own) {
        if (!options.useCublas()) {
            return new Choice(own, own.describe() + ": cuBLAS switched off (-Dtessera.cuda.cublas=off)");
        }
        List<String> skipped = new ArrayList<>();
        for (Candidate c : candidates) {
            try {
                GpuGemm g = c.open();
                String why = skipped.isEmpty() ? "" : " (" + String.join("; ", skipped) + ")";
                return new Choice(g, g.describe() + why);
            } catch (Missing m) {
                skipped.add(c.name() + ": " + m.getMessage());
            } catch (RuntimeException | LinkageError e) {
                String reason = c.name() + " failed: " + CudaProbe.oneLine(e);
                LOG.log(System.Logger.Level.WARNING, "matmul falls back: {0}", reason);
                skipped.add(reason);
            }
        }
        return new Choice(own, own.describe() + (skipped.isEmpty() ? "" : ": " + String.join("; ", skipped)));
    }
}
