package dev.tessera.speed;

import dev.tessera.data.Batch;
import dev.tessera.data.Dataset;
import dev.tessera.data.Loader;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code tessera bench data}: how many training images per second the data pipeline delivers — the
 * {@link Loader} exactly as the trainer configures it (shuffled, drop-last, the pre-training transform of the
 * dataset: decode, random-resized crop, flip, normalise) with {@code workers} decoding threads and nothing
 * consuming the batches but a counter. If this rate is below a training step's images/s
 * ({@code tessera bench step}), the GPU waits for the CPU. The first {@code warmup} batches (thread start,
 * JIT, the OS page cache) are not counted.
 */
public final class DataBenchmark {

    /** @param batches measured batches (after {@code warmup} batches) */
    public record Settings(int batch, int workers, int warmup, int batches, long seed) {
        public Settings {
            if (batch < 1 || workers < 0 || warmup < 0 || batches < 1) {
                throw new IllegalArgumentException("need batch >= 1, workers >= 0, warmup >= 0, batches >= 1; got " + batch + ", " + workers
                        + ", " + warmup + ", " + batches);
            }
        }
    }

    /** @param seconds wall time of the measured batches */
    public record Result(String data, Settings settings, long images, double seconds, long floats) {
        public double imagesPerSecond() {
            return images / seconds;
        }

        public Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("data", data);
            j.put("batch", settings.batch());
            j.put("workers", settings.workers());
            j.put("images", images);
            j.put("seconds", seconds);
            j.put("img_per_s", imagesPerSecond());
            j.put("output_mb_per_s", floats * 4 / 1e6 / seconds);
            return j;
        }
    }

    private DataBenchmark() {}

    public static Result run(Dataset data, String description, Settings s) {
        if (data.size() < s.batch()) {
            throw new IllegalArgumentException(description + " has " + data.size() + " images, fewer than one batch of " + s.batch());
        }
        Loader.Options options = new Loader.Options(s.batch(), true, s.seed(), s.workers(), true, false);
        int total = s.warmup() + s.batches();
        long images = 0, floats = 0;
        long start = System.nanoTime();                 // with warm-up: reset when its last batch arrives
        int seen = 0, epoch = 0;
        while (seen < total) {
            try (Loader loader = new Loader(data, options, epoch++)) {    // a new epoch, as the trainer opens one
                Iterator<Batch> it = loader.iterator();
                while (it.hasNext() && seen < total) {
                    Batch b = it.next();
                    seen++;
                    if (seen == s.warmup()) {
                        start = System.nanoTime();
                    } else if (seen > s.warmup()) {
                        images += b.n();
                        floats += b.images().length;
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(description, s, images, seconds, floats);
    }
}
