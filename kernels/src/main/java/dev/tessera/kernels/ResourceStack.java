package dev.tessera.kernels;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Resources opened one after another and closed in the reverse order, <b>each independently</b>: a close that
 * throws does not stop the ones after it. This is what makes a GPU fault survivable. After an illegal address the
 * context's error is sticky: the synchronize at close fails, and so may cublasDestroy, cuEventSynchronize and
 * cuMemFree; if the first failure stopped the cleanup, the allocator, module and context would never be released
 * and every later backend in the process would inherit the broken context.
 *
 * <p>{@link CudaBackend}'s constructor pushes each resource as it opens it, so a failure halfway (no pinned
 * memory, cublasCreate refused, a missing kernel) closes exactly what was opened so far and nothing else.
 */
final class ResourceStack {
    private static final System.Logger LOG = System.getLogger(ResourceStack.class.getName());

    private record Entry(String name, AutoCloseable resource) {}

    private final ArrayDeque<Entry> open = new ArrayDeque<>();

    /** Records {@code resource} (opened just now) as the next to close; returns it. */
    <T extends AutoCloseable> T push(String name, T resource) {
        open.push(new Entry(name, resource));
        return resource;
    }

    /**
     * Closes every resource, last opened first, each one even when an earlier close threw. Returns the failures
     * in the order they happened (empty when everything closed cleanly); each is also logged with the resource's name.
     */
    List<Exception> closeAll() {
        List<Exception> failures = new ArrayList<>();
        while (!open.isEmpty()) {
            Entry e = open.pop();
            try {
                e.resource().close();
            } catch (Exception x) {
                LOG.log(System.Logger.Level.WARNING, "closing {0} failed: {1}", e.name(), CudaProbe.oneLine(x));
                failures.add(x);
            }
        }
        return failures;
    }

    /** {@link #closeAll}, then throws the first failure (the later ones suppressed into it), if there was one. */
    void close() {
        List<Exception> failures = closeAll();
        if (failures.isEmpty()) return;
        Exception first = failures.get(0);
        RuntimeException thrown = first instanceof RuntimeException r ? r : new IllegalStateException(first.getMessage(), first);
        for (Exception x : failures.subList(1, failures.size())) thrown.addSuppressed(x);
        throw thrown;
    }

    /** {@link #closeAll} after {@code cause} stopped a constructor: the failures join it as suppressed exceptions. */
    void closeAfter(Throwable cause) {
        for (Exception x : closeAll()) cause.addSuppressed(x);
    }
}
