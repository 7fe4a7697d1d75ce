/** Masked autoencoders (He et al. 2021): the MAE model, its masking and its loss. */
module dev.tessera.mae {
    requires transitive dev.tessera.vit;

    exports dev.tessera.mae;
}
