package dev.tessera.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The launch census: what one training step asks of the GPU — kernel launches (by kernel), CUDA graph launches,
 * memsets, copies and bytes each way, stream waits, host waits, cuMemAlloc calls — counted without a GPU. {@link #backend()} is a real
 * {@link CudaBackend}, with all its launchers, allocator and staging, over a {@link RecordingDriver} that runs
 * nothing and counts everything; the model and trainer code run on it unchanged, so the counts are those of the
 * real step. Launch heuristics see an H100 (132 SMs, compute 9.0); matmul uses our own kernels (one launch per
 * GEMM, as a cuBLAS call mostly is).
 *
 * <pre>
 *   try (LaunchCensus census = LaunchCensus.start()) {
 *       ... build the model on census.backend(), run two steps ...
 *       LaunchCensus.Counts before = census.counts();
 *       ... one more step ...
 *       System.out.println(census.counts().minus(before).table("MAE-B/16, one step"));
 *   }
 * </pre>
 */
public final class LaunchCensus implements AutoCloseable {
    /** An H100 SXM as the launch heuristics see it (132 SMs, compute 9.0, 80 GiB). */
    static final CudaStatus H100 = new CudaStatus(true, null, 0, "recording driver (no GPU; counts as an H100)",
            80L << 30, 9, 0, 132, 13000, true, false, "own kernels (gemm.cu): recording driver, no cuBLAS");
    /**
     * The fake device's capacity: far above any GPU, so the count never stops at an out-of-memory; the memory a step
     * really needs is reported instead ({@link Counts#deviceBytes}).
     */
    static final long CAPACITY = 1L << 40;

    private final RecordingDriver driver;
    private final CudaBackend backend;

    private LaunchCensus(CudaOptions options) {
        driver = new RecordingDriver(CAPACITY);
        backend = new CudaBackend(driver, H100, options, (ctx, lc, o) -> List.of(GemmSelection.candidate("cuBLAS",
                () -> {
                    throw new GemmSelection.Missing("no cuBLAS on the recording driver");
                })));
    }

    /** A census backend with the default options. */
    public static LaunchCensus start() {
        return start(CudaOptions.defaults());
    }

    public static LaunchCensus start(CudaOptions options) {
        return new LaunchCensus(options);
    }

    public CudaBackend backend() {
        return backend;
    }

    /**
     * From now on keeps the bytes of every host→device copy ({@link #uploads}): what a test compares between an eager
     * run and one with CUDA graphs. Off by default (a census at batch 256 would keep every batch).
     */
    public void keepUploads() {
        driver.keepUploads(true);
    }

    /** The host→device copies kept since {@link #keepUploads}, in the order they were queued. */
    public List<Upload> uploads() {
        return driver.uploads().stream().map(u -> new Upload(u.address(), u.bytes(), u.stream())).toList();
    }

    /**
     * One kept host→device copy: the fake device address it wrote, its bytes, and its stream (0: compute, 1: the
     * prefetch's copy stream).
     */
    public record Upload(long address, byte[] bytes, int stream) {}

    /** Everything counted since the start. */
    public Counts counts() {
        return driver.counts();
    }

    @Override
    public void close() {
        backend.close();
    }

    /**
     * What the driver was asked to do. Host waits are the calls that block the launching thread until the GPU
     * catches up: stream synchronizes and event waits (a download waits for its copy, so it is one of them). Stream
     * waits (cuStreamWaitEvent) order one stream after another's event without blocking the host: the prefetch's.
     * A graph launch replays a captured step; the kernels inside it are not counted as launches (they were counted
     * as nothing at capture: the recording driver runs nothing).
     */
    public record Counts(Map<String, Long> launches, long graphLaunches, long memsets, long memsetBytes, long uploads,
                         long uploadBytes, long downloads, long downloadBytes, long streamSyncs, long eventWaits,
                         long streamWaits, long deviceAllocations, long deviceBytes) {

        public long kernelLaunches() {
            return launches.values().stream().mapToLong(Long::longValue).sum();
        }

        public long hostWaits() {
            return streamSyncs + eventWaits;
        }

        /** The launches of kernels whose name starts with {@code prefix} (e.g. "adamw", "gemm"). */
        public long launchesOf(String prefix) {
            return launches.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToLong(Map.Entry::getValue).sum();
        }

        /** What happened between {@code earlier} and this snapshot. */
        public Counts minus(Counts earlier) {
            Map<String, Long> l = new TreeMap<>(launches);
            earlier.launches.forEach((k, v) -> l.merge(k, -v, Long::sum));
            l.values().removeIf(v -> v == 0);
            return new Counts(l, graphLaunches - earlier.graphLaunches, memsets - earlier.memsets,
                    memsetBytes - earlier.memsetBytes, uploads - earlier.uploads, uploadBytes - earlier.uploadBytes,
                    downloads - earlier.downloads, downloadBytes - earlier.downloadBytes, streamSyncs - earlier.streamSyncs,
                    eventWaits - earlier.eventWaits, streamWaits - earlier.streamWaits,
                    deviceAllocations - earlier.deviceAllocations, deviceBytes);
        }

        /** A Markdown table: the totals, then launches per kernel, most frequent first. */
        public String table(String title) {
            List<String> rows = new ArrayList<>();
            rows.add("| " + title + " | count | MB |");
            rows.add("|---|---:|---:|");
            rows.add(row("kernel launches", kernelLaunches(), -1));
            rows.add(row("CUDA graph launches", graphLaunches, -1));
            rows.add(row("memsets", memsets, memsetBytes));
            rows.add(row("host → device copies", uploads, uploadBytes));
            rows.add(row("device → host copies", downloads, downloadBytes));
            rows.add(row("host waits (stream syncs + event waits)", hostWaits(), -1));
            rows.add(row("  of which stream synchronizes", streamSyncs, -1));
            rows.add(row("stream waits (on another stream's event, no host wait)", streamWaits, -1));
            rows.add(row("cuMemAlloc calls", deviceAllocations, -1));
            rows.add(row("device memory held by the allocator", -1, deviceBytes));
            launches.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()
                            .thenComparing(Map.Entry.comparingByKey()))
                    .forEach(e -> rows.add(row("  " + e.getKey(), e.getValue(), -1)));
            return String.join("\n", rows);
        }

        private static String row(String what, long count, long bytes) {
            return String.format(Locale.ROOT, "| %s | %s | %s |", what, count < 0 ? "" : Long.toString(count),
                    bytes < 0 ? "" : String.format(Locale.ROOT, "%.1f", bytes / 1e6));
        }
    }
}
