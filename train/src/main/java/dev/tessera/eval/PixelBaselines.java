package dev.tessera.eval;

import dev.tessera.data.Dataset;
import dev.tessera.engine.backend.Backend;

/**
 * The no-encoder reference that the demo and the method comparison both report: kNN-20 (DINO's weighted vote) and
 * the linear probe on raw pixels, fitted on one set and scored on another (top-1 %). An encoder that does not
 * beat these has learned nothing the pixels did not already hold.
 */
record PixelBaselines(double knn, double linearProbe) {

    static PixelBaselines measure(Backend backend, Dataset fit, Dataset eval, ProbeRecipe probe, long seed) {
        FeatureSet pxFit = Features.pixels(fit), pxEval = Features.pixels(eval);
        return new PixelBaselines(KnnClassifier.dino().accuracy(backend, pxFit, pxEval),
                LinearProbe.score(backend, pxFit, pxEval, probe, seed));
    }
}
