package dev.tessera.engine.dist;

import dev.tessera.engine.backend.Buffer;

/** A world of one: the sum over one rank is the value itself, so every collective returns at once. */
final class SingleProcess implements Collectives {
    static final SingleProcess INSTANCE = new SingleProcess();
    private static final Pending DONE = () -> {};

    private SingleProcess() {}

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public int worldSize() {
        return 1;
    }

    @Override
    public Pending allReduceSum(Buffer values) {
        return DONE;
    }

    @Override
    public void broadcast(Buffer values, int root) {
        if (root != 0) throw new IllegalArgumentException("broadcast: root " + root + " in a world of 1");
    }

    @Override
    public double[] allReduceSum(double[] values) {
        return values.clone();
    }

    @Override
    public void barrier() {}

    @Override
    public void close() {}
}
