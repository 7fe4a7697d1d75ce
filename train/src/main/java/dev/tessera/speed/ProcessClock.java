package dev.tessera.speed;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * CPU time of the whole process (every thread), in nanoseconds, at the kernel's resolution:
 * {@code clock_gettime(CLOCK_PROCESS_CPUTIME_ID)} (POSIX) through the FFM linker. The JDK's
 * {@code OperatingSystemMXBean.getProcessCpuTime} counts in scheduler ticks on Linux (10 ms), far too coarse for one
 * step or one backend call, and needs {@code jdk.management}, which the jlink'd distribution leaves out. Where the
 * symbol cannot be linked {@link #available} is false and the harnesses report no CPU time rather than a wrong one.
 */
public final class ProcessClock {
    private static final int CLOCK_PROCESS_CPUTIME_ID = 2;     // <linux/time.h>
    private static final MethodHandle CLOCK_GETTIME = link();
    private static final MemorySegment TIMESPEC = CLOCK_GETTIME == null ? null : Arena.global().allocate(16, 8);

    private ProcessClock() {}

    private static MethodHandle link() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("clock_gettime").map(s -> linker.downcallHandle(s,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** True when {@link #nanos} can read the process clock. */
    public static boolean available() {
        return CLOCK_GETTIME != null;
    }

    /**
     * Process CPU time so far, or -1 when the clock is not available or fails. Called from the thread that drives
     * the backend only (one shared timespec).
     */
    public static long nanos() {
        if (CLOCK_GETTIME == null) return -1;
        try {
            int rc = (int) CLOCK_GETTIME.invokeExact(CLOCK_PROCESS_CPUTIME_ID, TIMESPEC);
            if (rc != 0) return -1;
        } catch (Throwable t) {
            throw new IllegalStateException("clock_gettime failed", t);
        }
        return TIMESPEC.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + TIMESPEC.get(ValueLayout.JAVA_LONG, 8);
    }
}
