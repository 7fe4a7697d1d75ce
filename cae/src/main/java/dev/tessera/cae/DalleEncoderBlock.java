package dev.tessera.cae;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;

/**
 * {@code dall_e/encoder.py EncoderBlock}: {@code id_path(x) + post_gain · res_path(x)}, where id_path is a 1×1 conv
 * when the width changes (else the identity) and res_path is relu → conv3×3 → relu → conv3×3 → relu → conv3×3 →
 * relu → conv1×1 at a hidden width of n_out/4 ({@code conv_1} … {@code conv_4}; the relus hold no parameters).
 */
final class DalleEncoderBlock extends Module {
    private final DalleConv idPath;
    private final DalleConv[] res = new DalleConv[4];
    private final float postGain;

    DalleEncoderBlock(Backend backend, int nIn, int nOut, float postGain, Rng rng) {
        int hid = nOut / 4;
        this.idPath = nIn != nOut ? module("id_path", new DalleConv(backend, nIn, nOut, 1, rng)) : null;
        DalleSequential path = module("res_path", new DalleSequential());
        int[] widths = {nIn, hid, hid, hid, nOut};
        for (int i = 0; i < 4; i++) {
            res[i] = path.add("conv_" + (i + 1), new DalleConv(backend, widths[i], widths[i + 1], i < 3 ? 3 : 1, rng));
        }
        this.postGain = postGain;
    }

    /** x [N, n_in, H, W] → [N, n_out, H, W]. */
    Tensor forward(Tensor x) {
        Tensor h = x;
        for (DalleConv conv : res) h = conv.forward(h.relu());
        return (idPath == null ? x : idPath.forward(x)).add(h.mul(postGain));
    }
}
