package dev.tessera.cae;

import dev.tessera.engine.nn.Module;

/**
 * A container that only names its children, like the {@code nn.Sequential(OrderedDict(...))} of
 * {@code dall_e/encoder.py}: it gives the state dict its official keys ({@code blocks.group_1.block_1.res_path.conv_1.w}).
 * The forward order is the caller's.
 */
final class DalleSequential extends Module {
    <M extends Module> M add(String name, M child) {
        return module(name, child);
    }
}
