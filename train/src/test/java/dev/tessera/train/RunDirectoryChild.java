package dev.tessera.train;

import dev.tessera.engine.io.AtomicFile;
import dev.tessera.train.testing.ChildJvm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second process for {@link RunLockTest}, started on the test class path: {@code lock DIR} holds DIR's run
 * lock, {@code write FILE} stops in the middle of an atomic write of FILE. Either prints "ready" and then waits
 * for stdin to close, so the test decides when (and how: {@code kill -9}) it ends.
 */
final class RunDirectoryChild {
    private RunDirectoryChild() {}

    /** Starts {@code main} in a new JVM with {@code args}; returns once it printed "ready". */
    static Process start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", ChildJvm.classPath(), RunDirectoryChild.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
        if (!"ready".equals(line)) {
            p.destroyForcibly();
            throw new IllegalStateException("child process said '" + line + "' instead of 'ready'");
        }
        return p;
    }

    /** kill -9, and wait until the process is gone (its locks with it). */
    static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        if (!p.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("child process " + p.pid() + " did not die");
    }

    public static void main(String[] args) throws IOException {
        Path path = Path.of(args[1]);
        switch (args[0]) {
            case "lock" -> {
                try (RunLock lock = RunLock.acquire(path, "--out")) {
                    readyAndWait();
                }
            }
            case "write" -> AtomicFile.write(path, ch -> {
                ch.write(ByteBuffer.wrap(new byte[1 << 16]));  // half a file on disk
                readyAndWait();
            });
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void readyAndWait() throws IOException {
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the parent closes stdin or kills this process
        }
    }
}
