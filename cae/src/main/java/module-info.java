/** Context autoencoders (Chen et al. 2022): the CAE model, its block-wise masking, regressor and tokenizer. */
module dev.tessera.cae {
    requires transitive dev.tessera.vit;

    exports dev.tessera.cae;
}
